import type { ConnEvent, FindingDraft, Rule, RuleContext, RuledOutDraft } from './types.js';
import { evidenceOf, groupBy, sortEvidence, withNatPeer } from './evidence.js';
import { backsOff, ipSizeOf, secondsText, stallOf, tooLargeCandidate, type Stall } from './stall.js';
import type { Connection } from '../flow/types.js';
import { TcpFlag } from '../decode/packet.js';
import { Fact } from './facts.js';

/** ICMP fragmentation-needed (IPv4 3/4) or packet-too-big (IPv6 2) tied to the connection. */
function tooBigErrors(c: Connection): ConnEvent[] {
  return c.events.filter((e) => e.icmpType >= 0 && ((c.orig.version === 4 && e.icmpType === 3 && e.icmpCode === 4) ||
    (c.orig.version === 6 && e.icmpType === 2)));
}

/** What proves the path, not the peer, is at fault: a smaller segment got through after the stall, or the peer kept talking. */
function proofOf(s: Stall): 'smallerPassed' | 'peerAlive' | null {
  if (s.smallerPassed !== undefined) return 'smallerPassed';
  if (s.peerAfter !== undefined) return 'peerAlive';
  return null;
}

function ruledOutOf(s: Stall, proof: ReturnType<typeof proofOf>): RuledOutDraft[] {
  const passed = s.largestAcked?.len ?? 0;
  const out: RuledOutDraft[] = [];
  if (proof !== null) {
    out.push({ rule: 'peer-unresponsive', messageId: proof === 'smallerPassed' ? 'notGoneSmaller' : 'notGonePeerAlive',
      data: { smallerFrame: s.smallerPassed?.frame ?? 0, smallerLen: s.smallerPassed?.len ?? 0, peerFrame: s.peerAfter?.frame ?? 0 } });
  } else {
    out.push({ rule: 'peer-unresponsive', messageId: 'notExcluded', data: { passed } });
  }
  out.push({ rule: 'abortive-close', messageId: 'noReset', data: { firstFrame: s.first.frame } });
  return out;
}

/** Large segments retransmitted with backoff and never acknowledged, while smaller ones got through. */
export const pmtuBlackhole: Rule = {
  meta: {
    id: 'pmtu-blackhole',
    severity: 'error',
    title: 'Large segments never got through: a PMTU black hole',
    description: 'Large segments retransmitted with backoff and never acknowledged while small ones pass; no ICMP fragmentation-needed / packet-too-big reaches the sender.',
    docs: 'docs/rules/pmtu-blackhole.md',
    messages: {
      blackhole: {
        summary: '{{sender}} → {{receiver}}: {{stalledLen}}-byte segments never acknowledged while smaller ones passed (PMTU black hole{{^proven}}?{{/proven}})',
        explanation: 'On the connection {{client}} → {{server}}, {{sender}} sent a {{stalledLen}}-byte segment (frame {{firstFrame|frame}}, an IP packet of about {{ipSize}} bytes) and retransmitted it {{retransmits|plural:time}} with backoff over {{waited}} s (frames {{retransmitFrames|frame}}); {{receiver}} never acknowledged it.' +
          ' The largest segment of {{sender}} that was acknowledged carried {{passed}} bytes{{#passedFrame}} (frame {{passedFrame|frame}}){{/passedFrame}}: the path passes packets of {{passedIpSize}} bytes and drops those of {{ipSize}}.' +
          '{{#smallerFrame}} After the stall began a smaller segment ({{smallerLen}} bytes, frame {{smallerFrame|frame}}) was acknowledged: the path and the peer work, only the size fails.{{/smallerFrame}}' +
          '{{#peerFrame}} {{receiver}} kept sending (frame {{peerFrame|frame}}) while its acknowledgement stayed below the large segment: it is alive and never received it.{{/peerFrame}}' +
          '{{#icmpFrames}} ICMP "too big" errors for this connection are in the capture (frames {{icmpFrames|frame}}) yet the sender kept the size: they did not reach its stack (dropped after this capture point, or ignored).{{/icmpFrames}}' +
          '{{^icmpFrames}} No ICMP fragmentation-needed / packet-too-big for this connection is in the capture: path MTU discovery never told the sender.{{/icmpFrames}}' +
          '{{^proven}} Nothing came back from {{receiver}} after the stall began, so a peer that vanished at that moment (peer-unresponsive) is not excluded; the size pattern makes the path MTU the likely cause.{{/proven}}' +
          '{{#several}} {{count}} connections stalled this way.{{/several}}' +
          ' A link on the path has a smaller MTU (an overlay: VXLAN takes 50 bytes, Geneve 50+, WireGuard 60–80, IPIP 20, IPsec 50–70) and the ICMP errors that would shrink the segments are filtered.',
      },
      notGoneSmaller: 'a smaller segment ({{smallerLen}} bytes, frame {{smallerFrame|frame}}) was acknowledged after the stall began: the peer is there',
      notGonePeerAlive: 'the peer kept sending (frame {{peerFrame|frame}}) after the stall began: it is there and did not receive the large segment',
      notExcluded: 'not excluded: nothing came back after the stall began, but every stalled segment is larger than any that passed ({{passed}} bytes)',
      noReset: 'no reset ended the connection: the stalled segment (frame {{firstFrame|frame}}) was retransmitted, not refused',
    },
    // A reset or challenge with a known cause explains the connection first.
    // stallOf: retransmissions.
    appliesTo: [{ all: Fact.Established | Fact.Retransmitted }],
    yieldsTo: ['unreversed-nat-midstream'],
    rollUp: { by: ['server'], title: 'Large segments on connections with {{server}} vanish: a PMTU black hole on the path (MTU mismatch, ICMP blocked)' },
  },
  detect(ctx: RuleContext): FindingDraft[] {
    const hits: { s: Stall; proof: ReturnType<typeof proofOf> }[] = [];
    for (const c of ctx.candidates) {
      if (!c.established || c.natRole === 'translated' && c.natPeer !== null || ctx.isClaimed(c)) continue;
      for (const dir of [0, 1] as const) {
        const s = stallOf(c, dir);
        if (s === undefined || !backsOff(s) || !tooLargeCandidate(s)) continue;
        // The peer answering the stalled segment with anything but ACKs is another story (a RST: stale-connection).
        if (s.peerAfter !== undefined && (s.peerAfter.flags & TcpFlag.RST) !== 0) continue;
        hits.push({ s, proof: proofOf(s) });
        break;
      }
    }
    return groupBy(hits, (h) => `${h.s.conn.orig.addr}|${h.s.conn.resp.text}|${h.s.dir}|${h.proof !== null}`).map((group) => {
      const { s, proof } = group[0]!;
      const c = s.conn;
      const sender = s.dir === 0 ? c.orig.text : c.resp.text;
      const receiver = s.dir === 0 ? c.resp.text : c.orig.text;
      const evidence = [];
      for (const { s: g } of group) {
        for (const k of withNatPeer(g.conn)) ctx.claim(k);
        if (g.largestAcked) evidence.push(evidenceOf(g.conn, g.largestAcked, `${g.largestAcked.len} bytes: acknowledged`));
        evidence.push(evidenceOf(g.conn, g.first, `${g.first.len} bytes: never acknowledged`));
        for (const r of g.retransmits) evidence.push(evidenceOf(g.conn, r, 'retransmitted: no acknowledgement'));
        if (g.smallerPassed) evidence.push(evidenceOf(g.conn, g.smallerPassed, `${g.smallerPassed.len} bytes: acknowledged after the stall`));
        else if (g.peerAfter) evidence.push(evidenceOf(g.conn, g.peerAfter, 'the peer is alive; its ack stays below the large segment'));
        for (const e of tooBigErrors(g.conn)) evidence.push(evidenceOf(g.conn, e, 'ICMP too big: did not shrink the segments'));
      }
      sortEvidence(evidence);
      const passed = s.largestAcked?.len ?? 0;
      const last = s.retransmits[s.retransmits.length - 1]!;
      const icmp = tooBigErrors(c);
      return {
        rule: 'pmtu-blackhole' as const,
        messageId: 'blackhole',
        data: {
          client: c.orig.text, server: c.resp.text, sender, receiver, proven: proof !== null,
          stalledLen: s.minLen, ipSize: ipSizeOf(c, s.first, s.minLen), firstFrame: s.first.frame,
          retransmits: s.retransmits.length, retransmitFrames: s.retransmits.map((r) => r.frame),
          waited: secondsText(last.t - s.first.t), passed, passedFrame: s.largestAcked?.frame ?? 0,
          passedIpSize: s.largestAcked ? ipSizeOf(c, s.largestAcked) : 0,
          smallerFrame: s.smallerPassed?.frame ?? 0, smallerLen: s.smallerPassed?.len ?? 0,
          peerFrame: proof === 'peerAlive' ? s.peerAfter!.frame : 0,
          icmpFrames: icmp.map((e) => e.frame),
        },
        severity: proof !== null ? 'error' as const : 'warning' as const,
        confidence: proof !== null ? 0.85 : 0.6,
        client: c.orig.text,
        server: c.resp.text,
        backend: c.natRole === 'original' && c.natPeer !== null ? c.natPeer.resp.text : null,
        resetBy: null,
        resetSender: null,
        count: group.length,
        ruledOut: ruledOutOf(s, proof),
        remediation: [
          `ip route get ${s.dir === 0 ? c.resp.addr : c.orig.addr}   # on the sender: the route's mtu, and the cached PMTU ("cache expires … mtu N")`,
          'ip link show   # compare the pod, bridge, overlay (vxlan/flannel.1/cali*/wg*) and host interface MTUs: the pod MTU must leave room for the overlay header',
          'Allow ICMP fragmentation-needed (IPv4 type 3 code 4) and ICMPv6 packet-too-big (type 2) through every firewall, security group and NetworkPolicy on the path.',
          'Set the CNI MTU to the underlay MTU minus the overlay overhead (flannel/calico/cilium mtu settings), or clamp the MSS: iptables -t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu',
          'As a mitigation on the senders: sysctl -w net.ipv4.tcp_mtu_probing=1 (packetization-layer PMTU discovery, RFC 4821).',
        ],
        evidence,
        connections: group.flatMap(({ s: g }) => withNatPeer(g.conn)),
      };
    });
  },
};

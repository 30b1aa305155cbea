import type { Connection, ConnEvent, FindingDraft, Rule, RuleContext, RuledOutDraft } from './types.js';
import { evidenceOf, groupBy, sortEvidence, synCopyNotes } from './evidence.js';
import { clientSynResends, isRst, isSynAck, isSynOnly, ttlInLine } from './tcp.js';
import { BR_NETFILTER_REMEDIATION } from './remediation.js';
import { TcpFlag } from '../decode/packet.js';
import { Fact } from './facts.js';

/** The SYN-ACK acked the SYN (no refusal); the RST fits the client's own stack (no forgery), when its TTL says so. */
function ruledOutOf(c: Connection, synAck: ConnEvent, rst: ConnEvent): RuledOutDraft[] {
  const out: RuledOutDraft[] = [{ rule: 'connection-refused', messageId: 'acceptedNotRefused', data: { server: c.resp.text, synAckFrame: synAck.frame } }];
  const ttl = ttlInLine(c.events, rst);
  if (ttl !== null) out.push({ rule: 'injected-reset', messageId: 'clientsOwnRst', data: { rstFrame: rst.frame, ...ttl } });
  return out;
}

/**
 * The client resets a SYN-ACK that acknowledges its own SYN, while the NAT'd half is not in the
 * capture (taken inside the server pod, say): the client saw the reply from an address it never
 * called. A late SYN-ACK after the client gave up also draws a RST, so the client retransmitting
 * the same SYN after its RST is what makes this confident.
 */
export const synackRejected: Rule = {
  meta: {
    id: 'synack-rejected',
    severity: 'error',
    title: 'The client reset a SYN-ACK that answered its own SYN',
    description: 'The client resets a SYN-ACK that acks its own SYN, and the NAT\'d half is not in the capture: NAT asymmetry on the client\'s side.',
    docs: 'docs/rules/synack-rejected.md',
    messages: {
      rejected: {
        summary: '{{clientAddr}} reset the SYN-ACK from {{server}} that answered its own SYN ({{count|plural:attempt}})',
        explanation: '{{client}} sent a SYN to {{server}} (frame {{synFrame|frame}}); {{server}} answered with a SYN-ACK acknowledging exactly that SYN (frame {{synAckFrame|frame}}), and the client answered it with RST.' +
          ' The client then retransmitted the same SYN (same ISN): its socket was still waiting for an answer, so it did not recognise this one as its own.' +
          ' A client rejects the answer to its own SYN when it arrives from an address it never called: the client most likely dialled a different address (a Service ClusterIP) that was translated to this one, and the reply reached the client without the reverse translation. The translated half is not in this capture (it was taken at the server); capture on the client\'s node with `tcpdump -i any` to see both halves.' +
          ' On Kubernetes with client and server on one node: br_netfilter is not loaded (or net.bridge.bridge-nf-call-iptables is 0). The application sees a connect timeout.',
      },
      acceptedNotRefused: '{{server}} accepted the SYN: it answered with a SYN-ACK acknowledging the SYN\'s ISN + 1 (frame {{synAckFrame|frame}}), not with RST+ACK',
      clientsOwnRst: 'the client\'s RST (frame {{rstFrame|frame}}) has its stack\'s signature: seq = the SYN-ACK\'s ack (the SYN\'s ISN + 1) and TTL {{ttl}}, as the client\'s other packets ({{usualTtl}})',
    },
    // With the NAT'd half in the capture, unreversed-dnat tells the whole story.
    appliesTo: [{ all: Fact.RstOrig | Fact.SynOrig | Fact.SynAckResp, none: Fact.Linked | Fact.Established }],
    yieldsTo: ['unreversed-dnat'],
    rollUp: { by: ['server'], title: 'Clients reset the SYN-ACKs of {{server}}: NAT asymmetry on the clients\' side' },
  },
  detect(ctx: RuleContext): FindingDraft[] {
    const hits: { conn: Connection; synAck: ConnEvent; rst: ConnEvent }[] = [];
    for (const c of ctx.candidates) {
      if (c.natPeer !== null || c.established) continue;
      const o = c.dirs[0];
      const r = c.dirs[1];
      if (!o.rstSeen || !o.synSeen || !r.synAckSeen || r.synAckAck !== ((o.isn + 1) >>> 0) || ctx.isClaimed(c)) continue;
      const synAck = c.events.find((e) => e.dir === 1 && isSynAck(e));
      const rst = c.events.find((e) => e.dir === 0 && isRst(e) && synAck !== undefined && e.frame > synAck.frame &&
        e.seq === r.synAckAck);
      if (synAck === undefined || rst === undefined) continue;
      // A client that acknowledged the SYN-ACK before its RST recognised the answer as its own.
      if (c.events.some((e) => e.dir === 0 && e.frame > synAck.frame && e.frame < rst.frame && !isRst(e) && (e.flags & TcpFlag.ACK) !== 0)) continue;
      // The client retransmits the same SYN (same ISN) after its RST: its socket is still waiting, so the
      // SYN-ACK it reset was not its own in its eyes. Without that retry the RST is what a client
      // that cancelled the connect (a browser's spare connection) or gave up also sends.
      // A copy its retransmission timer sent (not one replayed or crafted).
      const retriedAfter = clientSynResends(c).some((e) => (e.flags & (TcpFlag.FIN | TcpFlag.RST)) === 0 && e.frame > rst.frame);
      if (!retriedAfter) continue;
      hits.push({ conn: c, synAck, rst });
    }
    const findings: FindingDraft[] = [];
    for (const group of groupBy(hits, (h) => `${h.conn.orig.addr}|${h.conn.resp.text}`)) {
      const h0 = group[0]!;
      const c0 = h0.conn;
      const evidence = [];
      for (const h of group) {
        ctx.claim(h.conn);
        const notes = synCopyNotes(h.conn, 'the client retransmits the same SYN: its socket is still waiting');
        for (const ev of h.conn.events) {
          if (isSynOnly(ev)) evidence.push(evidenceOf(h.conn, ev, notes.get(ev) ?? ''));
          else if (isSynAck(ev) && ev.dir === 1) evidence.push(evidenceOf(h.conn, ev, 'acks the SYN\'s ISN + 1'));
          else if (isRst(ev) && ev.dir === 0) evidence.push(evidenceOf(h.conn, ev, 'the client resets the answer to its own SYN'));
        }
      }
      sortEvidence(evidence);
      findings.push({
        rule: 'synack-rejected',
        severity: 'error',
        confidence: 0.8,
        client: c0.orig.text,
        server: c0.resp.text,
        backend: null,
        resetBy: 'client',
        resetSender: c0.orig.addr,
        count: group.length,
        messageId: 'rejected',
        data: {
          clientAddr: c0.orig.addr, client: c0.orig.text, server: c0.resp.text, synFrame: c0.dirs[0].synFrame,
          synAckFrame: c0.dirs[1].synFrame,
        },
        ruledOut: ruledOutOf(h0.conn, h0.synAck, h0.rst),
        remediation: [
          'Capture on the client\'s node: tcpdump -i any -w node.pcap host ' + c0.orig.addr,
          ...BR_NETFILTER_REMEDIATION,
        ],
        evidence,
        connections: group.map((h) => h.conn),
      });
    }
    return findings;
  },
};

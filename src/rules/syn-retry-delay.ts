import type { Connection, ConnEvent, FindingDraft, Rule, RuleContext, RuledOutDraft } from './types.js';
import { evidenceOf, groupBy, sortEvidence, translatedPeer, withNatPeer } from './evidence.js';
import { clientSyns, isSynAck, isSynOnly, timerResends } from './tcp.js';
import { secondsText } from './stall.js';
import { Fact } from './facts.js';

/** Where the capture shows the unanswered SYN(s) stopping. */
type Where = 'beforeNat' | 'afterNat' | 'fewerCopies' | 'beyondCapture';

interface Delay {
  conn: Connection;
  /** The SYNs the client's stack sent before the answer (the first and its timer resends): the unanswered ones and the one answered (last). */
  syns: ConnEvent[];
  synAck: ConnEvent;
  where: Where;
  /** Translated SYNs (DNAT'd half) seen, when the capture linked one. */
  translatedSyns: ConnEvent[];
}

/**
 * The SYNs (same ISN) before the first SYN-ACK acking ISN + 1, if that SYN-ACK came only after a
 * retransmission: a copy the client's timer sent (a copy sent within a minimum RTO was not waiting
 * for an answer; a replayed or crafted one is not the client waiting at all).
 */
function delayOf(c: Connection): Omit<Delay, 'where' | 'translatedSyns'> | undefined {
  const o = c.dirs[0];
  if (!o.synSeen || o.synRetransmits === 0 || !c.dirs[1].synAckSeen) return undefined;
  const want = (o.isn + 1) >>> 0;
  const synAck = c.events.find((e) => e.dir === 1 && e.icmpType < 0 && isSynAck(e) && e.ack === want);
  if (synAck === undefined) return undefined;
  const copies = clientSyns(c, synAck.frame);
  const resends = timerResends(copies);
  if (resends.length === 0) return undefined;
  const syns = [copies[0]!, ...resends];
  // The SYN-ACK echoes the first SYN's TSval: the server had the first SYN and answers it (a
  // listener resends its SYN-ACK with the TSecr of the SYN that made the request). The first SYN
  // was answered; its answer came late or was lost on the way back — not a SYN that went unanswered.
  if (synAck.hasTs && syns[0]!.hasTs && synAck.tsEcr === syns[0]!.tsVal) return undefined;
  // Anything else back from the server before its SYN-ACK (a challenge ACK, a RST) is another story.
  if (c.events.some((e) => e.dir === 1 && e.frame < synAck.frame)) return undefined;
  return { conn: c, syns, synAck };
}

/** Where the first SYN stopped, as far as this capture shows. */
function whereOf(d: Omit<Delay, 'where' | 'translatedSyns'>): { where: Where; translatedSyns: ConnEvent[] } {
  const y = translatedPeer(d.conn);
  if (y !== null) {
    const translatedSyns = y.events.filter((e) => e.dir === 0 && isSynOnly(e));
    // The node translated fewer SYNs than the client sent: the first ones stopped on the node, at or before DNAT.
    return { where: translatedSyns.length < d.syns.length ? 'beforeNat' : 'afterNat', translatedSyns };
  }
  const answered = d.syns[d.syns.length - 1]!;
  const copies = (e: ConnEvent): number => e.copies?.length ?? 0;
  // -i any: the answered SYN crossed more interfaces of this node than the first one did.
  if (copies(answered) > 0 && copies(d.syns[0]!) < copies(answered)) return { where: 'fewerCopies', translatedSyns: [] };
  return { where: 'beyondCapture', translatedSyns: [] };
}

function countWhere(group: readonly Delay[], where: Where): number {
  return group.filter((g) => g.where === where).length;
}

function ruledOutOf(d: Delay): RuledOutDraft[] {
  return [
    { rule: 'syn-timeout', messageId: 'answered', data: { synAckFrame: d.synAck.frame } },
    { rule: 'challenge-ack', messageId: 'nothingBack', data: { firstFrame: d.syns[0]!.frame } },
  ];
}

/** The first SYN(s) went unanswered; a retransmission of the same ISN was answered. */
export const synRetryDelay: Rule = {
  meta: {
    id: 'syn-retry-delay',
    severity: 'warning',
    title: 'The first SYN was lost: the connection opened only after a retransmission',
    description: 'The first SYN(s) of a connection go unanswered and a retransmission of the same ISN is answered: a 1 s / 3 s connect delay.',
    docs: 'docs/rules/syn-retry-delay.md',
    messages: {
      delayed: {
        summary: '{{clientAddr}} → {{server}}: the first SYN went unanswered; connected after {{delay}} s ({{count|plural:connection}})',
        explanation: '{{client}} sent a SYN to {{server}} (frame {{firstFrame|frame}}) and nothing answered it; the same SYN (same ISN) was retransmitted {{retries|plural:time}} and the SYN-ACK (frame {{synAckFrame|frame}}) answered the retransmission: the application waited {{delay}} s to connect.' +
          '{{#beforeNat}} The node translated fewer SYNs than the client sent ({{beforeNat|plural:connection}}; to {{translatedTo}}): the first SYN(s) stopped on this node, at or before the Service\'s DNAT — a conntrack insert that failed (a race between two packets of one new flow, SNAT port collisions), a full conntrack table, or a policy applied late.{{/beforeNat}}' +
          '{{#afterNat}} The node translated every SYN ({{afterNat|plural:connection}}; to {{translatedTo}}) and the first still went unanswered: it was lost after the DNAT — in the node\'s filter rules, on the way to the server, or at the server (a full SYN queue).{{/afterNat}}' +
          '{{#fewerCopies}} On this node the first SYN crossed fewer interfaces than the answered one ({{fewerCopies|plural:connection}}; {{firstCopies}} against {{answeredCopies}}): the first stopped on this node.{{/fewerCopies}}' +
          '{{#beyondCapture}} The capture shows every SYN leaving ({{beyondCapture|plural:connection}}); the first was dropped beyond this capture point or its answer never came — capture on the server\'s side to see which.{{/beyondCapture}}' +
          '{{#several}} {{count}} connections were delayed this way: many at once on one node point to the node (conntrack insert races under SNAT/DNAT — conntrack -S insert_failed —, IPVS conn_reuse_mode, a full SYN queue).{{/several}}',
      },
      answered: 'a retransmission of the SYN was answered (frame {{synAckFrame|frame}}): the connection opened, late',
      nothingBack: 'nothing at all came back to the first SYN (frame {{firstFrame|frame}}): no challenge ACK, no RST',
    },
    // A SYN answered from the wrong address, refused, or challenged has a cause of its own.
    // delayOf: the SYN sent again, then a SYN-ACK.
    appliesTo: [{ all: Fact.SynOrig | Fact.SynRetriedOrig | Fact.SynAckResp }],
    yieldsTo: ['unreversed-dnat', 'synack-rejected', 'challenge-ack', 'connection-refused', 'icmp-rejected'],
    // Many at once point to the node (conntrack races, a full SYN queue): one cause per capture.
    rollUp: { by: [], title: 'First SYNs go unanswered and a retransmission connects (1 s / 3 s delays): conntrack insert races, a full SYN queue or a late policy' },
  },
  detect(ctx: RuleContext): FindingDraft[] {
    const hits: Delay[] = [];
    for (const c of ctx.candidates) {
      if (ctx.isClaimed(c) || c.natRole === 'translated' && c.natPeer !== null) continue;
      const d = delayOf(c);
      if (d !== undefined) hits.push({ ...d, ...whereOf(d) });
    }
    return groupBy(hits, (h) => `${h.conn.orig.addr}|${h.conn.resp.text}`).map((group) => {
      const h = group[0]!;
      const c = h.conn;
      const evidence = [];
      for (const g of group) {
        for (const k of withNatPeer(g.conn)) ctx.claim(k);
        g.syns.forEach((e, i) => evidence.push(evidenceOf(g.conn, e, i === g.syns.length - 1 ? 'the retransmission that was answered' : 'SYN: no answer')));
        evidence.push(evidenceOf(g.conn, g.synAck, `answers the retransmission, ${secondsText(g.synAck.t - g.syns[0]!.t)} s after the first SYN`));
        const y = translatedPeer(g.conn);
        if (y !== null && g.translatedSyns[0]) evidence.push(evidenceOf(y, g.translatedSyns[0], `translated: DNAT ${g.conn.resp.text} → ${y.resp.text}`));
      }
      sortEvidence(evidence);
      const answered = h.syns[h.syns.length - 1]!;
      return {
        rule: 'syn-retry-delay' as const,
        messageId: 'delayed',
        data: {
          clientAddr: c.orig.addr, client: c.orig.text, server: c.resp.text, firstFrame: h.syns[0]!.frame,
          retries: h.syns.length - 1, synAckFrame: h.synAck.frame, delay: secondsText(h.synAck.t - h.syns[0]!.t),
          beforeNat: countWhere(group, 'beforeNat'), afterNat: countWhere(group, 'afterNat'),
          fewerCopies: countWhere(group, 'fewerCopies'), beyondCapture: countWhere(group, 'beyondCapture'),
          translatedTo: translatedPeer(c)?.resp.text ?? '',
          firstCopies: (h.syns[0]!.copies?.length ?? 0) + 1, answeredCopies: (answered.copies?.length ?? 0) + 1,
        },
        severity: 'warning' as const,
        confidence: group.some((g) => g.where === 'beyondCapture') ? 0.6 : 0.75,
        client: c.orig.text,
        server: c.resp.text,
        backend: translatedPeer(c)?.resp.text ?? null,
        resetBy: null,
        resetSender: null,
        count: group.length,
        ruledOut: ruledOutOf(h),
        remediation: [
          'conntrack -S   # on the node: insert_failed and drop counters that grow with these delays',
          'SNAT/masquerade port collisions: use --random-fully on MASQUERADE rules (kube-proxy and CNI); with IPVS, check net.ipv4.vs.conn_reuse_mode.',
          'nstat -az TcpExtListenDrops TcpExtListenOverflows   # on the server: SYNs dropped by a full SYN or accept queue',
          'Look for policy or firewall rules that apply late to new pods (NetworkPolicy programming delays) and for DROP rules with statistics.',
        ],
        evidence,
        connections: group.flatMap((g) => withNatPeer(g.conn)),
      };
    });
  },
};

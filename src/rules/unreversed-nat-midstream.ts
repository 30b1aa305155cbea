import type { Connection, ConnEvent, FindingDraft, Rule, RuleContext, RuledOutDraft } from './types.js';
import { evidenceOf, sortEvidence } from './evidence.js';
import { answersSegment, isRst, ownTtlRange, seqDiff, ttlInLine } from './tcp.js';
import { TcpFlag } from '../decode/packet.js';
import { Fact } from './facts.js';

const MIDSTREAM_REMEDIATION: readonly string[] = [
  'sysctl -w net.netfilter.nf_conntrack_tcp_be_liberal=1   # stop marking out-of-window packets INVALID; persist in /etc/sysctl.d/',
  'iptables -t filter -I FORWARD -m conntrack --ctstate INVALID -j DROP   # or: drop INVALID replies instead of forwarding them untranslated (kube-proxy adds this rule itself only while nf_conntrack_tcp_be_liberal is 0 — check iptables-save | grep INVALID)',
  'conntrack -S   # on the node: watch the "invalid" counter grow while it happens',
];

/** How far (bytes of sequence space) a leaked segment may sit from the connection's edge. */
const WINDOW = 1 << 22;
const COPY_WINDOW = 0.05;

interface Leak {
  /** The connection the client opened to the Service address. */
  original: Connection;
  /** The 4-tuple client ↔ backend on which the untranslated segment and the client's RST travel. */
  leakConn: Connection;
  leaked: ConnEvent;
  clientRst: ConnEvent;
  /** The client endpoint's direction in leakConn. */
  clientDir: 0 | 1;
}

function inWindow(value: number, isn: number, next: number): boolean {
  if (isn < 0 || next < 0) return false;
  return seqDiff(value, isn) > 0 && Math.abs(seqDiff(value, next)) <= WINDOW;
}

/** Client vantage: a separate 4-tuple backend → client:port whose segment lies in the original's sequence space. */
function leakFromOtherTuple(ctx: RuleContext, z: Connection): Leak | undefined {
  if (z.dirs[0].synSeen || z.dirs[1].synSeen) return undefined;
  for (const clientDir of [0, 1] as const) {
    const clientEp = clientDir === 0 ? z.orig : z.resp;
    const remote = clientDir === 0 ? z.resp : z.orig;
    for (const x of ctx.byClient(clientEp.text)) {
      if (x === z || !x.established || x.resp.text === remote.text) continue;
      const leaked = z.events.find((e) => e.dir !== clientDir && e.icmpType < 0 && !isRst(e) &&
        inWindow(e.seq, x.dirs[1].isn, x.dirs[1].nextSeq) && inWindow(e.ack, x.dirs[0].isn, x.dirs[0].nextSeq) &&
        e.t >= x.firstT && e.t <= x.lastT + 1);
      if (leaked === undefined) continue;
      const clientRst = z.events.find((e) => e.dir === clientDir && isRst(e) && e.frame > leaked.frame);
      if (clientRst === undefined) continue;
      return { original: x, leakConn: z, leaked, clientRst, clientDir };
    }
  }
  return undefined;
}

/** Node vantage: in the translated half, a backend segment and a client RST with no pre-NAT twin in the original. */
function leakInTranslatedHalf(x: Connection): Leak | undefined {
  const y = x.natPeer;
  if (x.natRole !== 'original' || y === null || !x.established) return undefined;
  // DNAT changes the destination, not the client's port: halves on two client ports are two
  // connections (e.g. two loopback connections whose rewritten ISNs are both 1).
  if (y.orig.port !== x.orig.port) return undefined;
  const twin = (e: ConnEvent): boolean => x.events.some((o) => o.dir === e.dir && o.flags === e.flags && o.len === e.len &&
    Math.abs(o.t - e.t) <= COPY_WINDOW);
  const clientRst = y.events.find((e) => e.dir === 0 && isRst(e) && e.t > x.establishedT && !twin(e));
  if (clientRst === undefined) return undefined;
  const leaked = [...y.events].reverse().find((e) => e.dir === 1 && e.frame < clientRst.frame && !isRst(e) && e.icmpType < 0 && !twin(e));
  if (leaked === undefined) return undefined;
  return { original: x, leakConn: y, leaked, clientRst, clientDir: 0 };
}

/** A reset seen from the server's side, whose NAT half the capture lacks. */
interface UnseenReply {
  conn: Connection;
  /** The server's segment the client's stack answered as unknown. */
  reply: ConnEvent;
  clientRst: ConnEvent;
  /** The client's later segment: its socket carried on without having received `reply`. */
  carriedOn: ConnEvent;
  serverRst: ConnEvent | undefined;
}

/**
 * Server vantage (the server pod, or a bridge before the reverse NAT): the client's stack answers
 * a server segment with the bare RST of a stack that has no such connection (seq = its ack, TTL in
 * line), yet the client's socket carries on: its next segment continues its own sequence and does
 * not acknowledge that segment. The segment reached the client under other addresses than its
 * socket's: the reply escaped the reverse NAT.
 */
function replyUnseenByClient(c: Connection): UnseenReply | undefined {
  if (!c.established || c.natPeer !== null || !c.dirs[0].rstSeen) return undefined;
  const ev = c.events;
  for (let i = 0; i < ev.length; i++) {
    const r = ev[i]!;
    if (r.dir !== 0 || !isRst(r) || (r.flags & TcpFlag.ACK) !== 0) continue;
    const trigger = answersSegment(ev, i);
    if (trigger === undefined || trigger.len === 0) return undefined;
    const own = ownTtlRange(ev, 0);
    if (own === null || r.ttl < own.lo - 1 || r.ttl > own.hi + 1) return undefined;
    const replyEnd = (trigger.seq + trigger.len) >>> 0;
    const carriedOn = ev.find((e) => e.frame > r.frame && e.dir === 0 && e.icmpType < 0 && !isRst(e) &&
      (e.flags & TcpFlag.ACK) !== 0 && seqDiff(e.ack, replyEnd) < 0 && seqDiff(e.seq, r.seq) <= 0);
    if (carriedOn === undefined) return undefined;
    const serverRst = ev.find((e) => e.frame > carriedOn.frame && e.dir === 1 && isRst(e));
    return { conn: c, reply: trigger, clientRst: r, carriedOn, serverRst };
  }
  return undefined;
}

/**
 * The client's socket sent on the original after its RST (it had not lost the connection), and
 * the RST fits the client's own stack (TTL in line with its packets): when the capture shows so.
 */
function leakRuledOut(l: Leak, backend: string): RuledOutDraft[] {
  const out: RuledOutDraft[] = [];
  const x = l.original;
  const carriedOn = x.events.find((e) => e.frame > l.clientRst.frame && e.dir === 0 && e.icmpType < 0 && !isRst(e));
  if (carriedOn !== undefined) {
    out.push({ rule: 'stale-connection', messageId: 'socketCarriedOn', data: { server: x.resp.text, backend, carriedOnFrame: carriedOn.frame } });
  }
  // The RST's own 4-tuple first; without other client packets there, the original's (same side of the NAT).
  const ownInLeak = l.leakConn.events.some((e) => e.dir === l.clientDir && e.icmpType < 0 && !isRst(e));
  const ttl = ownInLeak ? ttlInLine(l.leakConn.events, l.clientRst)
    : ttlInLine(x.events, l.clientRst, 0);
  if (ttl !== null) {
    const bare = (l.clientRst.flags & TcpFlag.ACK) === 0 && l.clientRst.seq === l.leaked.ack;
    out.push({ rule: 'injected-reset', messageId: 'leakRstTtl', data: { clientRstFrame: l.clientRst.frame, bare, ...ttl } });
  }
  return out;
}

/**
 * An established connection to S receives a segment from B ≠ S on the same client port; the
 * client resets it and the connection dies: conntrack judged the reply INVALID (or lost the
 * entry) and did not reverse the NAT.
 */
export const unreversedNatMidstream: Rule = {
  meta: {
    id: 'unreversed-nat-midstream',
    severity: 'error',
    title: 'A reply mid-connection arrived untranslated from the backend; the client reset it',
    description: 'An established connection to S receives a segment from B ≠ S on the same client port (in window); the client resets it and the connection dies: conntrack marked it INVALID or lost it (kubernetes#74839).',
    docs: 'docs/rules/unreversed-nat-midstream.md',
    messages: {
      leaked: {
        summary: '{{client}} ↔ {{server}}: a reply arrived untranslated from {{backend}}; the client reset it and the connection died',
        explanation: 'The connection {{client}} → {{server}} was established through the Service address (frame {{synFrame|frame}}) and working.'
          + ' Then a segment from the backend\'s own address {{backend}} reached the client on the same port (frame {{leakedFrame|frame}}); its sequence numbers continue the connection\'s, so it is the server\'s reply that conntrack did not translate back to {{server}}.'
          + ' The client\'s kernel has no connection with {{backend}}, so it answered with RST (frame {{clientRstFrame|frame}}); that RST is in the backend\'s window and killed the server\'s side{{#serverRstFrame}}, and the client\'s next segment was answered with RST (frame {{serverRstFrame|frame}}){{/serverRstFrame}}.'
          + ' The application sees "connection reset by peer". Conntrack skips the reverse NAT when it judges a packet INVALID (out of its window tracking, e.g. after a retransmission storm or with offloads) or has lost the entry: kubernetes/kubernetes#74839.',
      },
      unseenReply: {
        summary: '{{client}} ↔ {{server}}: the client\'s stack reset a reply its socket never received (a reply that escaped the reverse NAT)',
        explanation: 'The connection {{client}} → {{server}} was established (frame {{synFrame|frame}}). {{server}} sent a segment (frame {{replyFrame|frame}}) and the client\'s stack answered it with a bare RST whose sequence number is that segment\'s acknowledgement (frame {{clientRstFrame|frame}}, TTL in line with the client\'s packets) — how a stack answers a segment of a connection it does not have.'
          + ' Yet the client\'s socket carried on: its next segment (frame {{carriedOnFrame|frame}}) continues its own sequence and does not acknowledge the server\'s segment, which it never received.'
          + ' The segment reached the client\'s stack under other addresses than its socket\'s: the client dialled another address (a Service ClusterIP) and this reply was not translated back (conntrack judged it INVALID or had lost the entry: kubernetes/kubernetes#74839).'
          + ' The client\'s RST killed the server\'s side{{#serverRstFrame}}, so the client\'s next segment was answered with RST (frame {{serverRstFrame|frame}}){{/serverRstFrame}}. The NAT\'d half is not in this capture (taken at the server): capture on the client\'s node with -i any to see the untranslated segment.',
      },
      stackNotSocket: 'the client\'s socket kept the connection (frame {{carriedOnFrame|frame}} continues it): only its stack, looking the segment up under other addresses, found none',
      ttlInLine: 'the client\'s RST has its stack\'s signature (bare, seq = the segment\'s ack) and a TTL in line with its own packets',
      socketCarriedOn: 'the client\'s socket still had the connection with {{server}}: it sent on it after its RST (frame {{carriedOnFrame|frame}}); the RST went to {{backend}}, an address it had no connection with',
      leakRstTtl: 'the client\'s RST (frame {{clientRstFrame|frame}}) {{#bare}}is bare with seq = the leaked segment\'s ack, and {{/bare}}came with TTL {{ttl}}, as the client\'s other packets ({{usualTtl}}): its own stack sent it',
    },
    // replyUnseenByClient; leakInTranslatedHalf (the client's RST in the translated half); leakFromOtherTuple.
    appliesTo: [
      { all: Fact.Established | Fact.RstOrig, none: Fact.Linked },
      { all: Fact.NatOriginal | Fact.Linked | Fact.Established, peer: { all: Fact.RstOrig } },
      { any: Fact.Rst, none: Fact.SynOrig | Fact.SynResp },
    ],
    yieldsTo: [],
    // Conntrack on the node loses or invalidates entries: one node-level fix (or the liberal setting).
    rollUp: { by: ['messageId'], title: 'Established connections break when replies leak past the NAT untranslated (conntrack INVALID or lost)' },
  },
  detect(ctx: RuleContext): FindingDraft[] {
    const unseen: FindingDraft[] = [];
    for (const c of ctx.candidates) {
      if (ctx.isClaimed(c)) continue;
      const u = replyUnseenByClient(c);
      if (u === undefined) continue;
      ctx.claim(c);
      const evidence = [
        evidenceOf(c, u.reply, 'the server\'s segment'),
        evidenceOf(c, u.clientRst, 'the client\'s stack: "no such connection"'),
        evidenceOf(c, u.carriedOn, 'yet the client\'s socket carries on, without that segment'),
        ...(u.serverRst ? [evidenceOf(c, u.serverRst, 'the server no longer has the connection')] : []),
      ];
      sortEvidence(evidence);
      unseen.push({
        rule: 'unreversed-nat-midstream', messageId: 'unseenReply',
        data: {
          client: c.orig.text, server: c.resp.text, synFrame: c.dirs[0].synFrame, replyFrame: u.reply.frame,
          clientRstFrame: u.clientRst.frame, carriedOnFrame: u.carriedOn.frame, serverRstFrame: u.serverRst?.frame ?? 0,
        },
        ruledOut: [
          { rule: 'stale-connection', messageId: 'stackNotSocket', data: { carriedOnFrame: u.carriedOn.frame } },
          { rule: 'injected-reset', messageId: 'ttlInLine', data: {} },
        ],
        severity: 'error', confidence: 0.8, client: c.orig.text, server: c.resp.text, backend: null,
        resetBy: 'client', resetSender: c.orig.addr, count: 1,
        remediation: [...MIDSTREAM_REMEDIATION],
        evidence, connections: [c],
      });
    }
    const leaks: Leak[] = [];
    for (const c of ctx.candidates) {
      if (ctx.isClaimed(c)) continue;
      const leak = leakInTranslatedHalf(c) ?? leakFromOtherTuple(ctx, c);
      if (leak !== undefined && !ctx.isClaimed(leak.original)) {
        leaks.push(leak);
        ctx.claim(leak.original);
        ctx.claim(leak.leakConn);
      }
    }
    return [...unseen, ...leaks.map((l) => {
      const x = l.original;
      const backendEp = l.clientDir === 0 ? l.leakConn.resp : l.leakConn.orig;
      const evidence = [];
      const lastBefore = x.events.filter((e) => e.frame < l.leaked.frame).slice(-2);
      for (const e of lastBefore) evidence.push(evidenceOf(x, e, 'the connection works through the Service address'));
      evidence.push(evidenceOf(l.leakConn, l.leaked, `from the backend's own address: not translated back to ${x.resp.text}`));
      evidence.push(evidenceOf(l.leakConn, l.clientRst, 'the client has no connection with the backend: RST, which kills the backend\'s side'));
      const after = x.events.filter((e) => e.frame > l.clientRst.frame);
      const serverRst = after.find((e) => e.dir === 1 && isRst(e));
      for (const e of after.slice(0, 3)) {
        evidence.push(evidenceOf(x, e, e === serverRst ? 'the server no longer has the connection' : e.retransmit ? 'the client retransmits: the answer never arrived' : ''));
      }
      sortEvidence(evidence);
      return {
        rule: 'unreversed-nat-midstream' as const,
        messageId: 'leaked',
        ruledOut: leakRuledOut(l, backendEp.text),
        data: {
          client: x.orig.text, server: x.resp.text, backend: backendEp.text, synFrame: x.dirs[0].synFrame,
          leakedFrame: l.leaked.frame, clientRstFrame: l.clientRst.frame, serverRstFrame: serverRst ? serverRst.frame : 0,
        },
        severity: 'error' as const,
        confidence: serverRst ? 0.9 : 0.8,
        client: x.orig.text,
        server: x.resp.text,
        backend: backendEp.text,
        resetBy: 'client' as const,
        resetSender: x.orig.addr,
        count: 1,
        remediation: [...MIDSTREAM_REMEDIATION],
        evidence,
        connections: [x, l.leakConn],
      };
    })];
  },
};

import type { Connection, ConnEvent, FindingDraft, Rule, RuleContext, RuledOutDraft } from './types.js';
import { evidenceOf, groupBy, sortEvidence, withNatPeer } from './evidence.js';
import { clientSyns, isRst, isSynAck, timerResends, ttlInLine } from './tcp.js';
import { TcpFlag } from '../decode/packet.js';
import { seqDiff } from '../tcp/seq.js';
import { Fact } from './facts.js';

/** A listener's RST to the handshake's ACK comes at once; later than this it answers something else. */
const ABORT_WITHIN = 1;
/** The ACK that completes a handshake follows the SYN-ACK within a round trip or a delayed ACK; much later it is not the handshake's. */
const HANDSHAKE_ACK_WITHIN = 3;

type Mode = 'dropped' | 'aborted';

interface Overflow {
  conn: Connection;
  mode: Mode;
  synAck: ConnEvent;
  /** The client's ACK that completed the handshake. */
  ack: ConnEvent;
  /** dropped: the SYN-ACK retransmitted after that ACK; aborted: the listener's RST. */
  answer: ConnEvent;
  /** The client's data the server never acknowledged (first segment), if any. */
  data: ConnEvent | undefined;
}

/**
 * In the whole capture the server sent nothing but SYN-ACKs (and a RST): it never had a socket for
 * the connection. Its acks never moved past the client's ISN + 1 (no data of the client taken); a
 * server that took the connection later had lost an ACK, not overflowed.
 */
function serverNeverTookIt(c: Connection): boolean {
  const want = (c.dirs[0].isn + 1) >>> 0;
  return c.events.every((e) => e.dir !== 1 || e.icmpType >= 0 || (isSynAck(e) && e.ack === want) ||
    ((e.flags & (TcpFlag.RST | TcpFlag.ACK)) === TcpFlag.RST));
}

/**
 * The first SYN-ACK after the handshake's ACK that the listener's own timer sent: a timer resend
 * (timerResends: a minimum RTO after the last, not a replay) beyond one answer per SYN copy — by
 * then more SYN-ACKs than SYNs. A listener answers every copy of the SYN it receives with a SYN-ACK
 * (a retransmitted SYN, a duplicate): a SYN-ACK that may answer one says nothing of the ACK.
 */
function synAckTimerAfter(c: Connection, ack: ConnEvent): ConnEvent | undefined {
  const si = c.dirs[1].isn;
  const synAcks = c.events.filter((e) => e.dir === 1 && e.icmpType < 0 && isSynAck(e) && e.seq === si);
  const timer = new Set(timerResends(synAcks));
  const syns = clientSyns(c);
  return synAcks.find((e, i) => e.frame > ack.frame && timer.has(e) && i + 1 > syns.filter((s) => s.frame < e.frame).length);
}

function overflowOf(c: Connection): Overflow | undefined {
  if (!c.established || !c.dirs[0].synSeen || !c.dirs[1].synAckSeen) return undefined;
  // Neither a SYN-ACK sent again nor a reset from the server: nothing to read the events for.
  if (c.dirs[1].synRetransmits === 0 && !c.dirs[1].rstSeen) return undefined;
  const si = c.dirs[1].isn;
  const synAck = c.events.find((e) => e.dir === 1 && isSynAck(e) && e.seq === si);
  const ack = c.events.find((e) => e.dir === 0 && e.icmpType < 0 && (e.flags & (TcpFlag.SYN | TcpFlag.RST | TcpFlag.ACK)) === TcpFlag.ACK &&
    e.ack === ((si + 1) >>> 0));
  if (synAck === undefined || ack === undefined || ack.t - synAck.t > HANDSHAKE_ACK_WITHIN || !serverNeverTookIt(c)) return undefined;
  // A client that closed or reset first ended the connection itself.
  if (c.events.some((e) => e.dir === 0 && e.frame < ack.frame && (e.flags & (TcpFlag.FIN | TcpFlag.RST)) !== 0)) return undefined;
  const data = c.events.find((e) => e.dir === 0 && e.len > 0 && e.frame > synAck.frame);
  // =0: the listener dropped the ACK and its SYN-ACK timer fired again.
  const again = c.dirs[1].synRetransmits === 0 ? undefined : synAckTimerAfter(c, ack);
  if (again !== undefined) {
    return { conn: c, mode: 'dropped', synAck, ack, answer: again, data };
  }
  // =1: the listener answered the ACK (or the first data) with a bare RST at its ack: no socket.
  const rst = c.events.find((e) => e.dir === 1 && isRst(e) && e.frame > ack.frame);
  if (rst === undefined || (rst.flags & TcpFlag.ACK) !== 0 || rst.seq !== ((si + 1) >>> 0)) return undefined;
  if (rst.t - ack.t > ABORT_WITHIN) return undefined;
  if (c.events.some((e) => e.frame < rst.frame && (e.flags & TcpFlag.RST) !== 0 || e.dir === 0 && e.frame < rst.frame && (e.flags & TcpFlag.FIN) !== 0)) return undefined;
  // Made by the server's own stack: at the distance its SYN-ACK came from.
  if (ttlInLine(c.events, rst) === null) return undefined;
  // The client's segments before the RST all ack the SYN-ACK only (nothing else from the server to ack).
  if (c.events.some((e) => e.dir === 0 && e.frame < rst.frame && (e.flags & TcpFlag.ACK) !== 0 && seqDiff(e.ack, (si + 1) >>> 0) !== 0)) return undefined;
  return { conn: c, mode: 'aborted', synAck, ack, answer: rst, data };
}

function ruledOutOf(o: Overflow): RuledOutDraft[] {
  if (o.mode === 'aborted') {
    return [
      { rule: 'stale-connection', messageId: 'justOpened', data: { synAckFrame: o.synAck.frame, rstFrame: o.answer.frame, ms: ((o.answer.t - o.ack.t) * 1000).toFixed(1) } },
      { rule: 'abortive-close', messageId: 'bareRst', data: { rstFrame: o.answer.frame } },
    ];
  }
  return [{ rule: 'peer-unresponsive', messageId: 'listenerAnswers', data: { againFrame: o.answer.frame } }];
}

/** The handshake completed but the listener never took the connection: its accept queue was full. */
export const acceptQueueOverflow: Rule = {
  meta: {
    id: 'accept-queue-overflow',
    severity: 'error',
    title: 'The listener\'s accept queue was full: the handshake completed, the server never took the connection',
    description: 'The handshake completes but the server never takes the connection: SYN-ACKs retransmitted after the client\'s ACK (tcp_abort_on_overflow=0), or a RST answering the first segments (=1).',
    docs: 'docs/rules/accept-queue-overflow.md',
    messages: {
      dropped: {
        summary: '{{serverListener}}: handshake ACK ignored, SYN-ACK retransmitted — accept queue full ({{count|plural:connection}}, tcp_abort_on_overflow=0)',
        explanation: '{{client}} completed the handshake with {{server}} (SYN-ACK frame {{synAckFrame|frame}}, the client\'s ACK frame {{ackFrame|frame}}), yet the server retransmitted its SYN-ACK (frame {{againFrame|frame}}) as if the ACK had never come{{#dataFrame}}, and never acknowledged the client\'s data (frame {{dataFrame|frame}}){{/dataFrame}}.' +
          ' A Linux listener whose accept queue is full drops the handshake\'s final ACK (net.ipv4.tcp_abort_on_overflow=0) and keeps the request half-open, retransmitting its SYN-ACK until the queue has room or net.ipv4.tcp_synack_retries runs out.' +
          '{{#several}} {{count}} connections to this listener met it: the signature of a full backlog.{{/several}}' +
          '{{^several}} With one connection only, a handshake ACK lost on the way to the server would look the same; several at once on one listener are the signature.{{/several}}' +
          ' The application accepts connections more slowly than they arrive, or its listen backlog (and net.core.somaxconn) is too small.',
      },
      aborted: {
        summary: '{{serverListener}}: connection reset right after the handshake — accept queue full ({{count|plural:connection}}, tcp_abort_on_overflow=1)',
        explanation: '{{client}} completed the handshake with {{server}} (SYN-ACK frame {{synAckFrame|frame}}, the client\'s ACK frame {{ackFrame|frame}}) and the server answered with a bare RST {{ms}} ms later (frame {{rstFrame|frame}}, seq = its ISN + 1), having sent nothing else: the listener had no socket for the connection.' +
          ' A Linux listener whose accept queue is full resets the handshake\'s final ACK when net.ipv4.tcp_abort_on_overflow=1.' +
          '{{#several}} {{count}} connections to this listener were reset this way: the signature of a full backlog.{{/several}}' +
          '{{^several}} With one connection only, a stack that lost a connection it had just made (a SYN cookie it could not validate) would look the same; several at once on one listener are the signature.{{/several}}' +
          ' The application accepts connections more slowly than they arrive, or its listen backlog (and net.core.somaxconn) is too small. The client sees "connection reset by peer" on its first read or write.',
      },
      justOpened: 'the connection was {{ms}} ms old: the server answered the SYN (frame {{synAckFrame|frame}}) and reset the ACK (frame {{rstFrame|frame}}) without sending anything between — no restart in between',
      bareRst: 'the RST (frame {{rstFrame|frame}}) is bare, at the server\'s ISN + 1: a stack with no socket answering a segment, not an application closing one (that is RST+ACK)',
      listenerAnswers: 'the server is alive: it retransmitted its SYN-ACK (frame {{againFrame|frame}}) after the client\'s ACK',
    },
    // Resets from NAT trouble or challenge ACKs have their own explanation.
    // overflowOf: a handshake, then the SYN-ACK sent again or the server's RST.
    appliesTo: [{ all: Fact.Established | Fact.SynOrig | Fact.SynAckResp, any: Fact.SynRetriedResp | Fact.RstResp }],
    yieldsTo: ['unreversed-dnat', 'synack-rejected', 'challenge-ack', 'unreversed-nat-midstream'],
    // One listener's backlog: one fix (accept faster, a larger backlog), whichever clients it drops.
    rollUp: { by: ['server'], title: 'The listen backlog of {{server}} overflows: the application accepts connections too slowly' },
  },
  detect(ctx: RuleContext): FindingDraft[] {
    const hits: Overflow[] = [];
    for (const c of ctx.candidates) {
      if (ctx.isClaimed(c) || c.natRole === 'translated' && c.natPeer !== null) continue;
      const o = overflowOf(c);
      if (o !== undefined) hits.push(o);
    }
    // One listener, one cause: every client that met it.
    return groupBy(hits, (o) => `${o.conn.resp.text}|${o.mode}`).map((group) => {
      const o = group[0]!;
      const c = o.conn;
      const evidence = [];
      for (const g of group) {
        for (const k of withNatPeer(g.conn)) ctx.claim(k);
        evidence.push(evidenceOf(g.conn, g.synAck, 'SYN-ACK'));
        evidence.push(evidenceOf(g.conn, g.ack, 'the client\'s ACK completes the handshake'));
        if (g.data) evidence.push(evidenceOf(g.conn, g.data, 'request: never acknowledged'));
        evidence.push(evidenceOf(g.conn, g.answer, g.mode === 'dropped' ? 'SYN-ACK again: the ACK was dropped' : 'RST: the listener had no room'));
      }
      sortEvidence(evidence);
      const several = group.length > 1;
      return {
        rule: 'accept-queue-overflow' as const,
        messageId: o.mode,
        data: {
          serverListener: c.resp.text, client: c.orig.text, server: c.resp.text, synAckFrame: o.synAck.frame, ackFrame: o.ack.frame,
          againFrame: o.answer.frame, rstFrame: o.answer.frame, dataFrame: o.data?.frame ?? 0,
          ms: ((o.answer.t - o.ack.t) * 1000).toFixed(1),
        },
        // One connection alone: a lost ACK (dropped), or a stack that lost a just-made connection
        // (aborted: a SYN cookie it could not validate), is not excluded; many on one listener are the signature.
        severity: several ? 'error' as const : 'warning' as const,
        confidence: several ? 0.85 : o.mode === 'dropped' ? 0.6 : 0.7,
        client: c.orig.text,
        server: c.resp.text,
        backend: c.natRole === 'original' && c.natPeer !== null ? c.natPeer.resp.text : null,
        resetBy: o.mode === 'aborted' ? 'server' as const : null,
        resetSender: o.mode === 'aborted' ? c.resp.addr : null,
        count: group.length,
        ruledOut: ruledOutOf(o),
        remediation: [
          `ss -lnt 'sport = :${c.resp.port}'   # on the server: Recv-Q (connections waiting to be accepted) at Send-Q (the backlog) means full`,
          'nstat -az TcpExtListenOverflows TcpExtListenDrops   # counters that grow with each overflow',
          'Raise the application\'s listen backlog and net.core.somaxconn (the kernel caps the backlog at it), and accept faster (more acceptor threads or workers).',
          'Keep net.ipv4.tcp_abort_on_overflow=0 unless clients must fail fast: with 0 a burst is absorbed by SYN-ACK retransmissions.',
        ],
        evidence,
        connections: group.flatMap((g) => withNatPeer(g.conn)),
      };
    });
  },
};

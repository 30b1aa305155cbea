import type { Connection, ConnEvent, FindingDraft, Rule, RuleContext, RuledOutDraft, Severity } from './types.js';
import { evidenceOf, groupBy, hex4, SHARED_COUNTER_FACTS, sharedCounterData, sharedCounterRun, sortEvidence } from './evidence.js';
import { answersFin, answersSegment, hasReset, IDLE_SHORT, isRst, noConnectionReply, ttlInLine } from './tcp.js';
import type { FindingMessage, MessageRef } from './messages.js';
import { TcpFlag } from '../decode/packet.js';
import { Fact } from './facts.js';
import { seqDiff } from '../tcp/seq.js';

type Reason = 'finished' | 'finAnswered' | 'dataAfterClose' | 'unreadData' | 'lingerZero';

/** One reason's message: the summary names the reason (`label`), the explanation says why. */
function closeMessage(label: string, why: string, byNote = ''): FindingMessage {
  return {
    summary: `{{sender}} reset an established connection ({{by}}${byNote}): ${label}`,
    explanation: `The connection {{client}} → {{server}} was established (frame {{establishedFrame|frame}}) and {{sender}}, the {{by}}, ended it with RST (frame {{rstFrame|frame}}); ${why}.` +
      '{{#several}} {{count}} connections ended this way.{{/several}} The peer\'s application sees "connection reset by peer" on its next read or write.',
  };
}

interface Abort {
  conn: Connection;
  rst: ConnEvent;
  reason: Reason;
  /** For `finished`: how the exchange had finished (a fragment of the messages: finishedBoth, finishedPeer). */
  how: MessageRef | null;
  /** The RST's IP ID is on one counter with other addresses' RSTs: not shown to be its named sender's own. */
  shared: boolean;
}

/** Why the exchange counts as finished, as the `finished` message words it (kept as before for the other two ways). */
const FINISHED_BOTH: MessageRef = { messageId: 'finishedBoth', data: {} };
/** The `finished` wording when the peer closed and the resetting side acknowledged it all before its RST. */
function peerFinishedHow(peerFin: ConnEvent, ackOfFin: ConnEvent): MessageRef {
  return { messageId: 'finishedPeer', data: { finFrame: peerFin.frame, ackFrame: ackOfFin.frame } };
}

/** The first RST after the handshake, unless it is a "no such connection" answer (stale-connection's). */
function firstRstAfterEstablished(c: Connection): ConnEvent | undefined {
  const i = c.events.findIndex((e) => isRst(e) && e.t >= c.establishedT);
  if (i < 0 || noConnectionReply(c, i) !== undefined) return undefined;
  return c.events[i];
}

function classify(c: Connection, rst: ConnEvent): { reason: Reason; how: MessageRef | null } {
  const done = { reason: 'finished' as const, how: FINISHED_BOTH };
  if (answersFin(c, c.events.indexOf(rst)) !== undefined) return { reason: 'finAnswered', how: null };
  const me = rst.dir;
  // Over the events before the RST: each side's first FIN and last data, in one pass.
  let myFin: ConnEvent | undefined;
  let peerFin: ConnEvent | undefined;
  let lastMine: ConnEvent | undefined;
  let lastPeer: ConnEvent | undefined;
  for (const e of c.events) {
    if (e.frame >= rst.frame) continue;
    const mine = e.dir === me;
    if ((e.flags & TcpFlag.FIN) !== 0) {
      if (mine) myFin ??= e;
      else peerFin ??= e;
    }
    if (e.len > 0) {
      if (mine) lastMine = e;
      else lastPeer = e;
    }
  }
  if (myFin && peerFin) return done;
  if (myFin) {
    const finFrame = myFin.frame;
    const lateData = c.events.some((e) => e.frame < rst.frame && e.dir !== me && e.len > 0 && e.frame > finFrame);
    return lateData ? { reason: 'dataAfterClose', how: null } : done;
  }
  if (lastPeer && (!lastMine || lastPeer.frame > lastMine.frame)) {
    // The peer's data came last, but it finished (FIN) and everything was acknowledged both ways:
    // the packets show no data left unanswered, nothing was in flight to lose.
    const ackOfFin = peerFin && peerFinishedAcked(c, rst, peerFin);
    return peerFin && ackOfFin ? { reason: 'finished', how: peerFinishedHow(peerFin, ackOfFin) } : { reason: 'unreadData', how: null };
  }
  return { reason: 'lingerZero', how: null };
}

/**
 * The peer had closed (FIN) and the resetting side's stack acknowledged that FIN (so all the peer's
 * data) by the RST at the latest, while the peer had acknowledged everything the resetting side sent
 * (up to the RST's sequence number, its send-next): nothing was in flight either way, the exchange
 * was over. Returns the resetting side's first kept packet that acked the FIN (the RST+ACK itself
 * when the pure ACKs before it are not kept).
 */
function peerFinishedAcked(c: Connection, rst: ConnEvent, peerFin: ConnEvent): ConnEvent | undefined {
  const me = rst.dir;
  const finEnd = (peerFin.seq + peerFin.len + 1) >>> 0;
  let ackOfFin: ConnEvent | undefined;
  let myEnd = rst.seq;
  let peerAck: number | undefined;
  for (const e of c.events) {
    if (e.frame > rst.frame || e.icmpType >= 0) continue;
    if (e.dir === me) {
      if (ackOfFin === undefined && (e.flags & TcpFlag.ACK) !== 0 && e.frame > peerFin.frame && seqDiff(e.ack, finEnd) >= 0) ackOfFin = e;
      if (e.len > 0 && seqDiff(e.seq + e.len, myEnd) > 0) myEnd = (e.seq + e.len) >>> 0;
    } else if ((e.flags & TcpFlag.ACK) !== 0 && (peerAck === undefined || seqDiff(e.ack, peerAck) > 0)) {
      peerAck = e.ack;
    }
  }
  if (ackOfFin === undefined || peerAck === undefined || seqDiff(peerAck, myEnd) < 0) return undefined;
  return ackOfFin;
}

/** Why the RST is not a stack's "no such connection" answer (stale-connection), from the packets; undefined when only a pure ACK was answered. */
function notStale(c: Connection, rst: ConnEvent): RuledOutDraft | undefined {
  if ((rst.flags & TcpFlag.ACK) !== 0) return { rule: 'stale-connection', messageId: 'rstAck', data: { rstFrame: rst.frame } };
  const i = c.events.indexOf(rst);
  const answered = answersSegment(c.events, i);
  if (answered === undefined) return { rule: 'stale-connection', messageId: 'answersNothing', data: { rstFrame: rst.frame } };
  if ((answered.flags & TcpFlag.FIN) !== 0) return { rule: 'stale-connection', messageId: 'answersFin', data: { finFrame: answered.frame } };
  const ended = c.events.find((e, j) => j < i && e.dir === rst.dir && (e.flags & (TcpFlag.FIN | TcpFlag.RST)) !== 0);
  if (ended !== undefined) return { rule: 'stale-connection', messageId: 'endedItself', data: { endFrame: ended.frame } };
  return undefined;
}

function ruledOutOf(c: Connection, rst: ConnEvent, shared: boolean): RuledOutDraft[] {
  const out: RuledOutDraft[] = [];
  const stale = notStale(c, rst);
  if (stale !== undefined) out.push(stale);
  // Two of the sender's own packets at least, as injected-reset's TTL detector wants. A RST on a
  // counter shared across addresses was made by another stack whatever its TTL: nothing to claim.
  const ttl = shared ? null : ttlInLine(c.events, rst, rst.dir, 2);
  if (ttl !== null) out.push({ rule: 'injected-reset', messageId: 'ttlInLine', data: ttl });
  if (c.maxIdle < IDLE_SHORT) out.push({ rule: 'idle-timeout', messageId: 'neverIdle', data: { maxIdle: c.maxIdle.toFixed(1) } });
  return out;
}

/** An endpoint resets an established connection. */
export const abortiveClose: Rule = {
  meta: {
    id: 'abortive-close',
    severity: 'warning',
    title: 'An endpoint reset an established connection',
    description: 'An endpoint resets an established connection (resetBy); reason: linger-0, unread data, data after close.',
    docs: 'docs/rules/abortive-close.md',
    messages: {
      finishedBoth: 'both sides had sent FIN, or the resetting side had closed and had nothing outstanding',
      finishedPeer: 'the peer had closed with FIN in frame {{finFrame|frame}}, the resetting side had acknowledged that FIN and so all the peer\'s data by frame {{ackFrame|frame}}, and the peer had acknowledged all the resetting side sent',
      finished: closeMessage('finished', 'the exchange was already finished ({{finishedHow}}): a fast close many HTTP clients and proxies use; harmless',
        ', after the exchange finished'),
      finAnswered: closeMessage('FIN answered with RST', 'that bare RST answers the peer\'s FIN (its sequence number is the FIN\'s acknowledgement): the resetting side no longer had the socket — it had closed it earlier (its own FIN not in the capture) or torn it down — while the peer was closing too; the connection was ending anyway',
        ', as the peer closed'),
      dataAfterClose: closeMessage('data after close', 'the resetting side had already closed (sent FIN) and data kept arriving: the application closed while its peer was still sending, so the kernel answered the late data with RST'),
      unreadData: closeMessage('unread data', 'the resetting side had received data it never answered: closing a socket with unread data in its receive buffer makes the kernel send RST instead of FIN'),
      lingerZero: closeMessage('linger zero', 'the resetting side closed right after its own last data, without FIN: close() with SO_LINGER {on, 0}, or an explicit abort (an application or proxy dropping the connection)'),
      onSharedCounter: {
        summary: 'An established connection reset in {{sender}}\'s name ({{by}}) by one stack that answers for {{runAddrs}} addresses (IP IDs from one counter): not shown to be its own',
        explanation: 'The connection {{client}} → {{server}} was established (frame {{establishedFrame|frame}}) and ended with a RST in {{sender}}\'s name, the {{by}} (frame {{rstFrame|frame}}, TTL {{rstTtl}}, IP ID {{rstIpId}}).'
          + SHARED_COUNTER_FACTS
          + ' The RST was made by one box answering in the peers\' name, not shown to be {{sender}}\'s own stack: a NAT or proxy (a user-mode NAT such as VirtualBox\'s or slirp passes its own socket\'s reset or failure on as a RST), a firewall resetting the connection, or one host that owns all these addresses. Whether {{sender}}\'s application closed or aborted is not shown.'
          + '{{#several}} {{count}} connections ended this way.{{/several}} The peer\'s application sees "connection reset by peer" on its next read or write.',
      },
      rstAck: 'the RST (frame {{rstFrame|frame}}) is RST+ACK, a live socket\'s abort; a stack without the connection sends a bare RST',
      answersNothing: 'the bare RST (frame {{rstFrame|frame}}) is not at the acknowledgement of the peer\'s latest segment, as a stack without the connection answers',
      answersFin: 'it answers the peer\'s FIN (frame {{finFrame|frame}}): the connection was ending, not lost',
      endedItself: 'its sender had ended the connection itself before (FIN or RST, frame {{endFrame|frame}})',
      ttlInLine: 'the RST came with TTL {{ttl}}, as its sender\'s other packets ({{usualTtl}}): its own stack sent it',
      neverIdle: 'the connection was never silent longer than {{maxIdle}} s: no idle period for a middlebox to time out',
    },
    // Every more specific reason for a RST on an established connection comes first.
    appliesTo: [{ all: Fact.Established, any: Fact.Rst }],
    yieldsTo: ['challenge-ack', 'unreversed-nat-midstream', 'injected-reset', 'idle-timeout', 'stale-connection', 'accept-queue-overflow',
      'pmtu-blackhole', 'peer-unresponsive'],
    // Aborts by one side of one port are one application's (or proxy's) close behaviour.
    rollUp: {
      by: ['messageId', 'resetBy', 'serverPort'],
      title: 'The {{by}} side of port {{serverPort}} resets established connections',
      titleFor: {
        lingerZero: 'The {{by}} side of port {{serverPort}} aborts connections without FIN (SO_LINGER 0 or an explicit abort)',
        unreadData: 'The {{by}} side of port {{serverPort}} closes with unread data (RST instead of FIN)',
        dataAfterClose: 'The {{by}} side of port {{serverPort}} closes while its peer still sends (RST answers late data)',
        finished: 'The {{by}} side of port {{serverPort}} resets after the exchange finished (fast close, harmless)',
        finAnswered: 'The {{by}} side of port {{serverPort}} answers FIN with RST while closing (harmless)',
        onSharedCounter: 'Resets on port {{serverPort}} sent in the {{by}}s\' name by one stack (their IP IDs come from one counter)',
      },
    },
  },
  detect(ctx: RuleContext): FindingDraft[] {
    const hits: Abort[] = [];
    for (const c of ctx.candidates) {
      if (!c.established || !hasReset(c) || ctx.isClaimed(c)) continue;
      // The NAT'd half repeats the original's packets: report once, on the original.
      if (c.natRole === 'translated' && c.natPeer !== null) continue;
      const rst = firstRstAfterEstablished(c);
      if (rst === undefined) continue;
      hits.push({ conn: c, rst, ...classify(c, rst), shared: sharedCounterRun(c, rst.dir) !== null });
    }
    return groupBy(hits, (h) => `${h.conn.orig.addr}|${h.conn.resp.text}|${h.rst.dir}|${h.shared ? 'shared' : h.reason}`).map((group) => {
      const h0 = group[0]!;
      const c0 = h0.conn;
      const by = h0.rst.dir === 0 ? 'client' as const : 'server' as const;
      const sender = h0.rst.dir === 0 ? c0.orig : c0.resp;
      // A RST on a counter shared across addresses: another stack made it, whatever the packets before it show.
      const run = h0.shared ? sharedCounterRun(c0, h0.rst.dir) : null;
      const harmless = run === null && (h0.reason === 'finished' || h0.reason === 'finAnswered');
      const severity: Severity = harmless ? 'info' : 'warning';
      const evidence = [];
      for (const h of group) {
        const idx = h.conn.events.indexOf(h.rst);
        // The packets leading up to the reset, and the reset itself.
        for (const ev of h.conn.events.slice(Math.max(0, idx - 4), idx + 1)) {
          evidence.push(evidenceOf(h.conn, ev, ev !== h.rst ? '' : h.shared ? `RST in the ${by}'s name, IP ID on a counter other addresses share` : `${by} resets the established connection`));
        }
      }
      sortEvidence(evidence);
      const backend = c0.natPeer && c0.natRole === 'original' ? c0.natPeer.resp.text : null;
      return {
        rule: 'abortive-close' as const,
        severity,
        confidence: run !== null ? 0.6 : h0.reason === 'finished' ? 0.9 : 0.75,
        client: c0.orig.text,
        server: c0.resp.text,
        backend,
        resetBy: run !== null ? 'middlebox' as const : by,
        resetSender: sender.addr,
        count: group.length,
        ruledOut: ruledOutOf(c0, h0.rst, run !== null),
        messageId: run !== null ? 'onSharedCounter' : h0.reason,
        data: {
          sender: sender.text, by, client: c0.orig.text, server: c0.resp.text,
          establishedFrame: c0.dirs[0].synFrame || c0.firstFrame, rstFrame: h0.rst.frame,
          ...(h0.reason === 'finished' && h0.how !== null ? { finishedHow: [h0.how] } : {}),
          ...(run !== null ? { rstTtl: h0.rst.ttl, rstIpId: hex4(h0.rst.ipId), ...sharedCounterData(run) } : {}),
        },
        remediation: run !== null ? [
          `Find what answers in ${sender.addr}'s name between ${(by === 'server' ? c0.orig : c0.resp).addr} and the capture point: a NAT or proxy (a VM's user-mode NAT: VirtualBox, QEMU/slirp), a firewall resetting connections.`,
          `Capture beyond it, or on ${sender.addr}, to see whether ${sender.addr} itself reset the connection and why.`,
        ] : harmless ? ['Nothing to fix unless the peer logs errors: the data exchange had completed.'] : [
          `Look at how the ${by} application closes its sockets: SO_LINGER with a zero timeout, closing before reading the whole request/response, or a proxy/idle reaper aborting connections.`,
          h0.reason === 'unreadData' ? 'Read (drain) the socket before close(), or shut down the write side first (shutdown(SHUT_WR)) and wait for the peer\'s FIN.' : 'Use a graceful close (FIN): remove SO_LINGER 0, or shutdown() before close().',
        ],
        evidence,
        connections: group.map((h) => h.conn),
      };
    });
  },
};

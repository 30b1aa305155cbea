import type { Connection, ConnEvent, FindingDraft, Rule, RuleContext, RuledOutDraft, Severity } from './types.js';
import { evidenceOf, groupBy, sortEvidence } from './evidence.js';
import { answersFin, answersSegment, hasReset, IDLE_SHORT, isRst, noConnectionReply, ttlInLine } from './tcp.js';
import type { FindingMessage } from './messages.js';
import { TcpFlag } from '../decode/packet.js';
import { Fact } from './facts.js';

type Reason = 'finished' | 'finAnswered' | 'dataAfterClose' | 'unreadData' | 'lingerZero';

/** One reason's message: the summary names the reason (`label`), the explanation says why. */
function closeMessage(label: string, why: string, byNote = ''): FindingMessage {
  return {
    summary: `{{sender}} reset an established connection ({{by}}${byNote}): ${label}`,
    explanation: `The connection {{client}} → {{server}} was established (frame {{establishedFrame}}) and {{sender}}, the {{by}}, ended it with RST (frame {{rstFrame}}); ${why}.` +
      '{{#several}} {{count}} connections ended this way.{{/several}} The peer\'s application sees "connection reset by peer" on its next read or write.',
  };
}

interface Abort {
  conn: Connection;
  rst: ConnEvent;
  reason: Reason;
}

/** The first RST after the handshake, unless it is a "no such connection" answer (stale-connection's). */
function firstRstAfterEstablished(c: Connection): ConnEvent | undefined {
  const i = c.events.findIndex((e) => isRst(e) && e.t >= c.establishedT);
  if (i < 0 || noConnectionReply(c, i) !== undefined) return undefined;
  return c.events[i];
}

function classify(c: Connection, rst: ConnEvent): Reason {
  if (answersFin(c, c.events.indexOf(rst)) !== undefined) return 'finAnswered';
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
  if (myFin && peerFin) return 'finished';
  if (myFin) {
    const finFrame = myFin.frame;
    const lateData = c.events.some((e) => e.frame < rst.frame && e.dir !== me && e.len > 0 && e.frame > finFrame);
    return lateData ? 'dataAfterClose' : 'finished';
  }
  if (lastPeer && (!lastMine || lastPeer.frame > lastMine.frame)) return 'unreadData';
  return 'lingerZero';
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

function ruledOutOf(c: Connection, rst: ConnEvent): RuledOutDraft[] {
  const out: RuledOutDraft[] = [];
  const stale = notStale(c, rst);
  if (stale !== undefined) out.push(stale);
  // Two of the sender's own packets at least, as injected-reset's TTL detector wants.
  const ttl = ttlInLine(c.events, rst, rst.dir, 2);
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
      finished: closeMessage('finished', 'the exchange was already finished (both sides had sent FIN, or the resetting side had closed and had nothing outstanding): a fast close many HTTP clients and proxies use; harmless',
        ', after the exchange finished'),
      finAnswered: closeMessage('FIN answered with RST', 'that bare RST answers the peer\'s FIN (its sequence number is the FIN\'s acknowledgement): the resetting side no longer had the socket — it had closed it earlier (its own FIN not in the capture) or torn it down — while the peer was closing too; the connection was ending anyway',
        ', as the peer closed'),
      dataAfterClose: closeMessage('data after close', 'the resetting side had already closed (sent FIN) and data kept arriving: the application closed while its peer was still sending, so the kernel answered the late data with RST'),
      unreadData: closeMessage('unread data', 'the resetting side had received data it never answered: closing a socket with unread data in its receive buffer makes the kernel send RST instead of FIN'),
      lingerZero: closeMessage('linger zero', 'the resetting side closed right after its own last data, without FIN: close() with SO_LINGER {on, 0}, or an explicit abort (an application or proxy dropping the connection)'),
      rstAck: 'the RST (frame {{rstFrame}}) is RST+ACK, a live socket\'s abort; a stack without the connection sends a bare RST',
      answersNothing: 'the bare RST (frame {{rstFrame}}) is not at the acknowledgement of the peer\'s latest segment, as a stack without the connection answers',
      answersFin: 'it answers the peer\'s FIN (frame {{finFrame}}): the connection was ending, not lost',
      endedItself: 'its sender had ended the connection itself before (FIN or RST, frame {{endFrame}})',
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
      hits.push({ conn: c, rst, reason: classify(c, rst) });
    }
    return groupBy(hits, (h) => `${h.conn.orig.addr}|${h.conn.resp.text}|${h.rst.dir}|${h.reason}`).map((group) => {
      const h0 = group[0]!;
      const c0 = h0.conn;
      const by = h0.rst.dir === 0 ? 'client' as const : 'server' as const;
      const sender = h0.rst.dir === 0 ? c0.orig : c0.resp;
      const severity: Severity = h0.reason === 'finished' || h0.reason === 'finAnswered' ? 'info' : 'warning';
      const evidence = [];
      for (const h of group) {
        const idx = h.conn.events.indexOf(h.rst);
        // The packets leading up to the reset, and the reset itself.
        for (const ev of h.conn.events.slice(Math.max(0, idx - 4), idx + 1)) {
          evidence.push(evidenceOf(h.conn, ev, ev === h.rst ? `${by} resets the established connection` : ''));
        }
      }
      sortEvidence(evidence);
      const backend = c0.natPeer && c0.natRole === 'original' ? c0.natPeer.resp.text : null;
      return {
        rule: 'abortive-close' as const,
        severity,
        confidence: h0.reason === 'finished' ? 0.9 : 0.75,
        client: c0.orig.text,
        server: c0.resp.text,
        backend,
        resetBy: by,
        resetSender: sender.addr,
        count: group.length,
        ruledOut: ruledOutOf(c0, h0.rst),
        messageId: h0.reason,
        data: {
          sender: sender.text, by, client: c0.orig.text, server: c0.resp.text,
          establishedFrame: c0.dirs[0].synFrame || c0.firstFrame, rstFrame: h0.rst.frame,
        },
        remediation: h0.reason === 'finished' || h0.reason === 'finAnswered' ? ['Nothing to fix unless the peer logs errors: the data exchange had completed.'] : [
          `Look at how the ${by} application closes its sockets: SO_LINGER with a zero timeout, closing before reading the whole request/response, or a proxy/idle reaper aborting connections.`,
          h0.reason === 'unreadData' ? 'Read (drain) the socket before close(), or shut down the write side first (shutdown(SHUT_WR)) and wait for the peer\'s FIN.' : 'Use a graceful close (FIN): remove SO_LINGER 0, or shutdown() before close().',
        ],
        evidence,
        connections: group.map((h) => h.conn),
      };
    });
  },
};

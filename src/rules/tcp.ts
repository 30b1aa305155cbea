/**
 * TCP facts the rules share: segment kinds, sequence arithmetic, and how a stack answers a segment
 * for which it has no connection. Rules import these; rules never import each other.
 */
import { TcpFlag } from '../decode/packet.js';
import type { Connection, ConnEvent } from '../flow/types.js';

import { seqDiff } from '../tcp/seq.js';

export { seqDiff };

export function isSynOnly(ev: ConnEvent): boolean {
  return (ev.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN;
}
export function isSynAck(ev: ConnEvent): boolean {
  return (ev.flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK);
}
/** RFC 6298's minimum RTO: no retransmission timer fires sooner after the segment it resends. */
export const MIN_RTO = 0.2;

/**
 * `e` repeats `sent`'s identity: a replay or a duplicated frame, not the segment sent again. A
 * stack that resends a segment gives it a new IPv4 ID (counting up, or random) and a new TSval
 * (its timestamp clock ticks at least once a second, RFC 7323). Compared: a nonzero IP ID (0 may
 * be the constant ID of every atomic datagram, RFC 6864; IPv6 has none) and the TSval; with
 * neither, nothing tells a replay from a resend.
 */
function repeats(sent: ConnEvent, e: ConnEvent): boolean {
  if (e.ipId <= 0 && !e.hasTs) return false;
  return e.ipId === sent.ipId && e.hasTs === sent.hasTs && (!e.hasTs || e.tsVal === sent.tsVal);
}

/** What a copy of a handshake segment is: the original, a resend by the sender's retransmission timer, or neither. */
export type CopyKind = 'first' | 'timer' | 'tooSoon' | 'otherData' | 'replay';

/**
 * Of the copies of one handshake segment (a SYN or a SYN-ACK: the same sequence number, in
 * capture order, the original first), what each is. A retransmission timer sent a copy at least a
 * minimum RTO after the last one the stack sent, with the same payload size or none (a Fast Open
 * SYN is resent without its data), not repeating the IP ID and TSval of one it sent before. A copy
 * 1 ms after another (tooSoon), a crafted segment with other data (otherData), or a replay or
 * duplicated frame (replay) is not a retransmission. The one definition every rule counts by.
 */
export function copyKinds(copies: readonly ConnEvent[]): CopyKind[] {
  const kinds: CopyKind[] = [];
  const sent: ConnEvent[] = [];
  for (const e of copies) {
    const last = sent[sent.length - 1];
    let kind: CopyKind;
    if (last === undefined) kind = 'first';
    else if (e.t - last.t < MIN_RTO) kind = 'tooSoon';
    else if (e.len !== 0 && e.len !== last.len) kind = 'otherData';
    else if (sent.some((s) => repeats(s, e))) kind = 'replay';
    else kind = 'timer';
    if (kind === 'first' || kind === 'timer') sent.push(e);
    kinds.push(kind);
  }
  return kinds;
}

/** Of the copies of one handshake segment (see copyKinds), the ones a retransmission timer sent. */
export function timerResends(copies: readonly ConnEvent[]): ConnEvent[] {
  const kinds = copyKinds(copies);
  return copies.filter((_, i) => kinds[i] === 'timer');
}

/** The SYNs (no ACK) direction `dir` sent with its ISN, in capture order (before frame `before` when given). */
export function synsOf(c: Connection, dir: 0 | 1, before = Infinity): ConnEvent[] {
  const isn = c.dirs[dir].isn;
  return c.events.filter((e) => e.dir === dir && e.icmpType < 0 && isSynOnly(e) && e.seq === isn && e.frame < before);
}

/** The client's SYNs with its ISN (direction 0, in capture order; before frame `before` when given). */
export function clientSyns(c: Connection, before = Infinity): ConnEvent[] {
  return synsOf(c, 0, before);
}

/** The client's SYNs its retransmission timer sent again (see copyKinds). */
export function clientSynResends(c: Connection): ConnEvent[] {
  return timerResends(clientSyns(c));
}

/** Either side sent a RST (a cheap test before a rule reads the connection's events). */
export function hasReset(c: Connection): boolean {
  return c.dirs[0].rstSeen || c.dirs[1].rstSeen;
}
export function isRst(ev: ConnEvent): boolean {
  return (ev.flags & TcpFlag.RST) !== 0;
}

/**
 * The same packet seen again within this many seconds (another interface of `-i any`) is a copy
 * (the flow table's window, src/flow/copies.ts).
 */
export { COPY_WINDOW } from '../flow/copies.js';

/**
 * idle-timeout reports no silence shorter than this (shorter idles only when the reset betrays a
 * middlebox); abortive-close cites it to rule idle-timeout out.
 */
export const IDLE_SHORT = 10;

/** A stack answers a segment at once: the answer reaches any capture point within a round trip. */
const ANSWER_WITHIN = 2;

/**
 * A bare RST whose seq equals the ack of the segment it answers: what a TCP stack sends for a
 * segment of a connection it does not have (RFC 9293 §3.10.7.1). The answered segment is the
 * other side's latest packet, with nothing from the RST's sender in between (a sender that
 * acknowledged or sent anything after it still had the connection), and the RST follows it at once.
 */
export function answersSegment(events: readonly ConnEvent[], i: number): ConnEvent | undefined {
  const rst = events[i]!;
  if ((rst.flags & TcpFlag.ACK) !== 0) return undefined;
  for (let j = i - 1; j >= 0 && j >= i - 4; j--) {
    const e = events[j]!;
    if (e.icmpType >= 0) continue;
    if (e.dir === rst.dir) {
      if (isRst(e)) continue;
      return undefined;
    }
    if ((e.flags & (TcpFlag.SYN | TcpFlag.RST)) !== 0 || (e.flags & TcpFlag.ACK) === 0) return undefined;
    return e.ack === rst.seq && rst.t - e.t <= ANSWER_WITHIN ? e : undefined;
  }
  return undefined;
}

/**
 * A keepalive probe: no data (or one byte) at a sequence number its sender already used. It asks
 * the peer for an answer, as data does; a bare ACK does not.
 */
function isKeepalive(events: readonly ConnEvent[], k: number): boolean {
  const e = events[k]!;
  if (e.len > 1) return false;
  for (let j = k - 1; j >= 0; j--) {
    const o = events[j]!;
    if (o.dir === e.dir && o.icmpType < 0 && seqDiff((o.seq + o.len) >>> 0, e.seq) > 0) return true;
  }
  return false;
}

/**
 * The RST at events[i] is a "no such connection" answer: a bare RST answering a segment that asks
 * for an answer (data, or a keepalive probe), from a side that had not ended the connection
 * itself (one that sent FIN or RST and then resets late data is an abortive close, not a lost
 * connection). A bare RST answering a pure ACK proves nothing more: a live socket that aborts
 * after everything it sent was acknowledged sends the same packet.
 */
export function noConnectionReply(c: Connection, i: number): ConnEvent | undefined {
  const rst = c.events[i]!;
  const trigger = answersSegment(c.events, i);
  if (trigger === undefined || (trigger.flags & TcpFlag.FIN) !== 0) return undefined;
  if (trigger.len === 0 && !isKeepalive(c.events, c.events.indexOf(trigger))) return undefined;
  // A side that had sent FIN, or reset the connection itself, is answering late segments of a
  // connection it ended: that reset is a consequence, not a lost connection.
  const endedItself = c.events.some((e, j) => j < i && e.dir === rst.dir && (e.flags & (TcpFlag.FIN | TcpFlag.RST)) !== 0);
  return endedItself ? undefined : trigger;
}

/** The RST at events[i] answers the other side's FIN (bare, seq = the FIN's ack): the FIN, if so. */
export function answersFin(c: Connection, i: number): ConnEvent | undefined {
  const trigger = answersSegment(c.events, i);
  return trigger !== undefined && (trigger.flags & TcpFlag.FIN) !== 0 ? trigger : undefined;
}

/** The TTLs of one side's own TCP packets in `events` (not its RSTs), and how many there are. */
export interface TtlRange {
  lo: number;
  hi: number;
  count: number;
}

/** One side's TTL range over `events` (direction `dir`), or null when it sent no packet there. */
export function ownTtlRange(events: readonly ConnEvent[], dir: number): TtlRange | null {
  let lo = 256;
  let hi = -1;
  let count = 0;
  for (const e of events) {
    if (e.dir !== dir || e.icmpType >= 0 || isRst(e)) continue;
    count++;
    if (e.ttl < lo) lo = e.ttl;
    if (e.ttl > hi) hi = e.ttl;
  }
  return count === 0 ? null : { lo, hi, count };
}

/** The range agrees within one (one TTL or two adjacent ones) over at least `minCount` packets. */
export function consistentTtl(range: TtlRange | null, minCount = 1): range is TtlRange {
  return range !== null && range.count >= minCount && range.hi - range.lo <= 1;
}

/**
 * The RST's TTL is among those of its sender's own other TCP packets in `events` (direction
 * `senderDir` there; they agree within one): the RST was made at the same distance as they were,
 * by the sender's own stack. The RST's TTL and its sender's usual TTL ("64", "63–64") when so;
 * null when not, or with fewer than `minOwn` packets to compare.
 */
export function ttlInLine(events: readonly ConnEvent[], rst: ConnEvent, senderDir: number = rst.dir, minOwn = 1): { ttl: number; usualTtl: string } | null {
  const range = ownTtlRange(events, senderDir);
  if (!consistentTtl(range, minOwn) || rst.ttl < range.lo || rst.ttl > range.hi) return null;
  return { ttl: rst.ttl, usualTtl: range.lo === range.hi ? `${range.lo}` : `${range.lo}–${range.hi}` };
}

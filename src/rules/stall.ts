/**
 * A stalled direction: data one side sent and kept retransmitting that the other side never
 * acknowledged. pmtu-blackhole and peer-unresponsive tell its causes apart from the same facts,
 * so the facts are read once, here.
 */
import { TcpFlag } from '../decode/packet.js';
import type { Connection, ConnEvent, Dir } from '../flow/types.js';
import { seqDiff } from '../tcp/seq.js';

/** Fewer retransmissions of the stalled segment than this are not a stall (one loss recovers). */
export const MIN_STALL_RETRANSMITS = 2;

/**
 * An IP packet this size or smaller crosses any IPv6 path (RFC 8200's minimum MTU) and, in
 * practice, every IPv4 one: a segment no larger than it is not too large for the path.
 */
export const ALWAYS_FITS = 1280;

export interface Stall {
  conn: Connection;
  /** The side that retransmitted. */
  dir: Dir;
  /** The first transmission of the lowest unacknowledged sequence number. */
  first: ConnEvent;
  /** Its retransmissions, in order. */
  retransmits: ConnEvent[];
  /** Payload sizes of the stalled transmissions (smallest, largest). */
  minLen: number;
  maxLen: number;
  /** The largest segment of the same sender that the peer acknowledged (0: none in the evidence). */
  largestAcked: ConnEvent | undefined;
  /** A later segment of the same sender that the peer did acknowledge, smaller than the stalled ones. */
  smallerPassed: ConnEvent | undefined;
  /** The peer's last TCP packet before the stall began, and its first one after (if any). */
  peerLast: ConnEvent | undefined;
  peerAfter: ConnEvent | undefined;
  /** Seconds between consecutive transmissions of the stalled segment. */
  intervals: number[];
}

/** IP packet size of a segment with `len` payload bytes (IPv4/IPv6 header, TCP header and timestamps when used). */
export function ipSizeOf(c: Connection, ev: ConnEvent, len = ev.len): number {
  return len + (c.orig.version === 6 ? 40 : 20) + 20 + (ev.hasTs ? 12 : 0);
}

/** The peer's acknowledgement covers the segment. */
function acked(ev: ConnEvent, peerAck: number): boolean {
  return seqDiff((ev.seq + ev.len) >>> 0, peerAck) <= 0;
}

/**
 * Direction `dir`'s stall: its lowest unacknowledged segment (at the peer's last ack) sent and
 * retransmitted at least MIN_STALL_RETRANSMITS times, never acknowledged in the capture.
 * Undefined when the peer never acknowledged anything (one direction seen), or nothing stalled.
 */
export function stallOf(c: Connection, dir: Dir): Stall | undefined {
  const me = c.dirs[dir];
  const peer = c.dirs[dir === 0 ? 1 : 0];
  if (me.retransmits < MIN_STALL_RETRANSMITS || me.nextSeq < 0 || peer.lastAck < 0) return undefined;
  const hole = peer.lastAck >>> 0;
  if (seqDiff(me.nextSeq, hole) > 0) {
    const stall = stallAt(c, dir, hole, transmissionsAt(c, dir, hole), hole);
    if (stall !== undefined) return stall;
  }
  return resegmentedStall(c, dir);
}

/** The sender's transmissions (data or FIN) starting at `seq`, in order. */
function transmissionsAt(c: Connection, dir: Dir, seq: number): ConnEvent[] {
  return c.events.filter((e) => e.dir === dir && e.icmpType < 0 && (e.flags & (TcpFlag.SYN | TcpFlag.RST)) === 0 &&
    (e.len > 0 || (e.flags & TcpFlag.FIN) !== 0) && e.seq === seq);
}

/**
 * A stall that ended by size: segments at one seq retransmitted at one length with no ack past
 * them, then sent again smaller (a stack's black-hole detection, RFC 4821) and that was acknowledged.
 */
function resegmentedStall(c: Connection, dir: Dir): Stall | undefined {
  const seen = new Set<number>();
  for (const e of c.events) {
    if (e.dir !== dir || !e.retransmit || e.len === 0 || seen.has(e.seq)) continue;
    seen.add(e.seq);
    const sent = transmissionsAt(c, dir, e.seq);
    // (A retransmitted SYN or RST carrying data is not a transmission here.)
    if (sent.length === 0) continue;
    const big = sent[0]!.len;
    const cut = sent.findIndex((x) => x.len < big);
    if (cut < 1 + MIN_STALL_RETRANSMITS) continue;
    const smaller = sent[cut]!;
    const ackedAt = c.events.find((a) => a.dir !== dir && a.icmpType < 0 && (a.flags & TcpFlag.ACK) !== 0 && seqDiff(a.ack, e.seq) > 0);
    // Nothing past the seq was acknowledged before the smaller copy, and it was after.
    if (ackedAt === undefined || ackedAt.frame < smaller.frame || seqDiff(ackedAt.ack, (e.seq + smaller.len) >>> 0) < 0) continue;
    const stall = stallAt(c, dir, e.seq, sent.slice(0, cut), e.seq);
    if (stall !== undefined) return { ...stall, smallerPassed: smaller };
  }
  return undefined;
}

/** The stall of the transmissions `sent` at `seq`; `ackedTo`: what the peer had acknowledged then. */
function stallAt(c: Connection, dir: Dir, seq: number, sent: ConnEvent[], ackedTo: number): Stall | undefined {
  const events = c.events;
  const first = sent[0];
  if (first === undefined || first.seq !== seq) return undefined;
  const retransmits = sent.slice(1);
  if (retransmits.length < MIN_STALL_RETRANSMITS) return undefined;
  const hole = ackedTo;
  let minLen = Infinity;
  let maxLen = 0;
  for (const e of sent) {
    minLen = Math.min(minLen, e.len);
    maxLen = Math.max(maxLen, e.len);
  }
  let largestAcked: ConnEvent | undefined;
  let smallerPassed: ConnEvent | undefined;
  for (const e of events) {
    if (e.dir !== dir || e.icmpType >= 0 || e.len === 0 || !acked(e, hole)) continue;
    if (largestAcked === undefined || e.len > largestAcked.len) largestAcked = e;
    if (e.frame > first.frame && e.len < minLen) smallerPassed ??= e;
  }
  const other = dir === 0 ? 1 : 0;
  const peerLast = events.filter((e) => e.dir === other && e.icmpType < 0 && e.frame < first.frame).pop();
  const peerAfter = events.find((e) => e.dir === other && e.icmpType < 0 && e.frame > first.frame);
  const intervals: number[] = [];
  for (let i = 1; i < sent.length; i++) intervals.push(sent[i]!.t - sent[i - 1]!.t);
  return { conn: c, dir, first, retransmits, minLen, maxLen, largestAcked, smallerPassed, peerLast, peerAfter, intervals };
}

/** The retransmissions back off (each wait at least as long as the one before, roughly): RTO, not fast retransmit. */
export function backsOff(s: Stall): boolean {
  for (let i = 1; i < s.intervals.length; i++) if (s.intervals[i]! < s.intervals[i - 1]! * 0.8) return false;
  return s.intervals.length >= 2 && s.intervals[s.intervals.length - 1]! >= s.intervals[0]! * 1.5;
}

/**
 * A segment small enough for any path, sent after the stall began, that drew nothing from the peer
 * either (a receiver answers a segment beyond a hole at once, with a duplicate ACK): the peer
 * heard nothing at all, whatever the size.
 */
export function smallUnanswered(s: Stall): ConnEvent | undefined {
  if (s.peerAfter !== undefined) return undefined;
  return s.conn.events.find((e) => e.dir === s.dir && e.icmpType < 0 && e.len > 0 && e.frame > s.first.frame &&
    seqDiff(e.seq, s.first.seq) > 0 && ipSizeOf(s.conn, e) <= ALWAYS_FITS);
}

/**
 * The stalled segments could be too large for the path: larger than anything that passed, larger
 * than every path carries, and no small segment sent after them went unheard too.
 */
export function tooLargeCandidate(s: Stall): boolean {
  const passed = s.largestAcked?.len ?? 0;
  return s.minLen > passed && ipSizeOf(s.conn, s.first, s.minLen) > ALWAYS_FITS && smallUnanswered(s) === undefined;
}

/** Seconds with one decimal place (or two below one second): for the report's prose. */
export function secondsText(x: number): string {
  return x < 1 ? x.toFixed(2) : x.toFixed(1);
}

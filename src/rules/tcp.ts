/**
 * TCP facts the rules share: segment kinds, sequence arithmetic, and how a stack answers a segment
 * for which it has no connection. Rules import these; rules never import each other.
 */
import { TcpFlag } from '../decode/packet.js';
import type { Connection, ConnEvent } from '../flow/types.js';

export { seqDiff } from '../tcp/seq.js';

export function isSynOnly(ev: ConnEvent): boolean {
  return (ev.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN;
}
export function isSynAck(ev: ConnEvent): boolean {
  return (ev.flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK);
}
export function isRst(ev: ConnEvent): boolean {
  return (ev.flags & TcpFlag.RST) !== 0;
}

/**
 * A bare RST whose seq equals the ack of the segment it answers: what a TCP stack sends for a
 * segment of a connection it does not have (RFC 9293 §3.10.7.1).
 */
export function answersSegment(events: ConnEvent[], i: number): ConnEvent | undefined {
  const rst = events[i]!;
  if ((rst.flags & TcpFlag.ACK) !== 0) return undefined;
  for (let j = i - 1; j >= 0 && j >= i - 4; j--) {
    const e = events[j]!;
    if (e.dir === rst.dir || e.icmpType >= 0) continue;
    if ((e.flags & (TcpFlag.SYN | TcpFlag.RST)) !== 0 || (e.flags & TcpFlag.ACK) === 0) return undefined;
    return e.ack === rst.seq ? e : undefined;
  }
  return undefined;
}

/**
 * The RST at events[i] is a "no such connection" answer: a bare RST answering a segment, from a
 * side that had not closed the connection itself (one that sent FIN and then resets late data
 * is an abortive close after close(), not a lost connection).
 */
export function noConnectionReply(c: Connection, i: number): ConnEvent | undefined {
  const rst = c.events[i]!;
  const trigger = answersSegment(c.events, i);
  if (trigger === undefined) return undefined;
  const closedItself = c.events.some((e, j) => j < i && e.dir === rst.dir && (e.flags & TcpFlag.FIN) !== 0);
  return closedItself ? undefined : trigger;
}

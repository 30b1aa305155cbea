import { TcpFlag } from '../decode/packet.js';
import type { DirSlots } from './dir-slots.js';

/**
 * Each side's own TCP state, as Zeek's TCP analyzer keeps it (TCPSessionAdapter::UpdateStateMachine)
 * and conn_state reads it: what that side's packets show — a SYN sent, established, closed with a
 * FIN, reset — and what the peer's SYN-ACK or ACK implies. Kept in bits 8–11 of the direction's
 * DirSlots bits, so a packet that changes nothing costs one test.
 */
export const enum EndpointState {
  Inactive = 0,
  SynSent,
  SynAckSent,
  /** The side was first seen without a SYN (midstream). */
  Partial,
  Established,
  Closed,
  Reset,
}

const SHIFT = 8;
const MASK = 7 << SHIFT;
/** Set when the side went from Closed to Reset (a FIN, then a RST): the peer's FIN turns it back into Closed. */
const RESET_AFTER_CLOSE = 1 << 11;
/** Bits this module owns in a direction's bits. */
export const ENDPOINT_BITS = MASK | RESET_AFTER_CLOSE;

export function endpointStateOf(bits: number): EndpointState {
  return (bits & MASK) >> SHIFT;
}

/** Whether a packet with these flags from a side with these bits can change a side's state. */
export function mayChangeEndpoint(bits: number, flags: number): boolean {
  return (flags & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) !== 0 || (bits & MASK) === 0;
}

function set(bits: number, s: EndpointState): number {
  const old = endpointStateOf(bits);
  bits = (bits & ~MASK) | (s << SHIFT);
  if (s === EndpointState.Reset) bits = old === EndpointState.Closed ? bits | RESET_AFTER_CLOSE : bits & ~RESET_AFTER_CLOSE;
  return bits;
}

/**
 * A packet from side `dir` (0: originator) with `flags` and `len` payload bytes: both sides' new
 * states, written back into `dirs`. Zeek's roles are rstdiag's (a SYN-ACK seen first makes its
 * sender the responder, as Zeek's flip on a likely server port does).
 */
export function advanceEndpoints(dirs: DirSlots, slot: number, dir: 0 | 1, flags: number, len: number): void {
  const i = dirs.at(slot, dir);
  const j = dirs.at(slot, dir === 0 ? 1 : 0);
  let x = dirs.bits(i);
  let y = dirs.bits(j);
  const syn = (flags & TcpFlag.SYN) !== 0;
  const ack = (flags & TcpFlag.ACK) !== 0;
  const fin = (flags & TcpFlag.FIN) !== 0;
  const rst = (flags & TcpFlag.RST) !== 0;
  const peer = endpointStateOf(y);
  switch (endpointStateOf(x)) {
    case EndpointState.Inactive:
      if (syn) {
        if (dir === 0) x = set(x, ack ? EndpointState.SynAckSent : EndpointState.SynSent);
        else {
          if (peer === EndpointState.SynSent || (!ack && peer === EndpointState.SynAckSent)) y = set(y, EndpointState.Established);
          x = set(x, EndpointState.Established);
        }
      }
      if (fin) x = set(x, EndpointState.Closed);
      if (rst) x = set(x, EndpointState.Reset);
      if (endpointStateOf(x) === EndpointState.Inactive) {
        // A responder's bare ACK of the SYN before its SYN-ACK does not make the connection partial.
        if (dir === 1 && len === 0 && peer === EndpointState.SynSent) break;
        // No SYN seen, but the peer's SYN-ACK was: the handshake's last ACK establishes this side.
        x = set(x, ack && peer === EndpointState.Established ? EndpointState.Established : EndpointState.Partial);
      }
      break;
    case EndpointState.SynSent:
    case EndpointState.SynAckSent:
      if (fin) x = set(x, EndpointState.Closed);
      if (rst) x = set(x, EndpointState.Reset);
      break;
    case EndpointState.Established:
    case EndpointState.Partial:
      if (syn && !ack && endpointStateOf(x) === EndpointState.Partial && peer === EndpointState.Inactive) x = set(x, EndpointState.SynSent);
      if (fin && !rst) {
        x = set(x, EndpointState.Closed);
        // The peer sent a FIN and then a RST: this FIN makes it a normal close after all.
        if (peer === EndpointState.Reset && (y & RESET_AFTER_CLOSE) !== 0) y = set(y, EndpointState.Closed);
      }
      if (rst) x = set(x, EndpointState.Reset);
      break;
    case EndpointState.Closed:
      // A RST after both sides' FINs does not undo the close.
      if (rst && peer !== EndpointState.Closed) x = set(x, EndpointState.Reset);
      break;
    default:
      break;
  }
  dirs.setBits(i, x);
  dirs.setBits(j, y);
}

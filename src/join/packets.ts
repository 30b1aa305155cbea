import type { ConnEvent } from '../flow/types.js';

/**
 * Packet identity across vantage points: what NAT and encapsulation leave alone. Direction
 * (originator or responder), flags, seq, ack and payload length always; the IP ID and the TCP
 * timestamp value when both copies carry them (they tell a retransmission from its original).
 */
export function samePacket(a: ConnEvent, b: ConnEvent): boolean {
  if (a.dir !== b.dir || a.flags !== b.flags || a.seq !== b.seq || a.ack !== b.ack || a.len !== b.len) return false;
  if (a.ipId >= 0 && b.ipId >= 0 && a.ipId !== b.ipId) return false;
  if (a.hasTs && b.hasTs && a.tsVal !== b.tsVal) return false;
  return true;
}

/** A packet and the one it is at another vantage point. */
export interface PacketPair {
  a: ConnEvent;
  b: ConnEvent;
}

/**
 * Packets of `as` seen again in `bs` (two connections already known to be one). Each packet of
 * `as` takes the candidate of `bs` nearest in time after removing `offset` (b's clock minus a's),
 * within `tolerance` seconds; a candidate is taken once. Without IP ID and timestamps, identical
 * retransmissions are told apart by time only.
 */
export function matchPackets(as: readonly ConnEvent[], bs: readonly ConnEvent[], offset: number, tolerance: number): PacketPair[] {
  const used = new Set<ConnEvent>();
  const pairs: PacketPair[] = [];
  for (const a of as) {
    let best: ConnEvent | undefined;
    let bestGap = tolerance;
    for (const b of bs) {
      if (used.has(b) || !samePacket(a, b)) continue;
      const gap = Math.abs(b.t - offset - a.t);
      if (gap <= bestGap) {
        best = b;
        bestGap = gap;
      }
    }
    if (best !== undefined) {
      used.add(best);
      pairs.push({ a, b: best });
    }
  }
  return pairs;
}

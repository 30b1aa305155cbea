/**
 * What a held connection's numbers say before any record of it is made: plainly healthy (no rule
 * can fire on it) or a lone SYN (nothing but one SYN). The flow table offers both to its owner to
 * release without a record (FlowTableOptions.releaseHealthy / releaseLoneSyn).
 */
import { ConnFlag, type ConnSlots } from './slots.js';
import { DirFlag } from './dir-layout.js';
import type { DirSlots } from './dir-slots.js';
import type { HistoryLetters } from './history.js';
import { seqDiff } from '../tcp/seq.js';

/**
 * Direction `i` retransmitted and its data was still unacknowledged by `peer` at the end: a
 * peer that stopped answering, or segments that never got through (peer-unresponsive,
 * pmtu-blackhole, accept-queue-overflow read it).
 */
function stalled(d: DirSlots, i: number, peer: number): boolean {
  if (d.retransmits(i) === 0 || (d.bits(i) & DirFlag.NextSeqValid) === 0) return false;
  return (d.bits(peer) & DirFlag.LastAckValid) === 0 || seqDiff(d.nextSeq(i), d.lastAck(peer)) > 0;
}

/**
 * Plainly healthy: no rule can fire on it (see FlowTableOptions.releaseHealthy). The one test:
 * a record retired carries its verdict (ConnectionRecord.plainlyHealthy).
 */
export function plainlyHealthy(c: ConnSlots, d: DirSlots, history: HistoryLetters, slot: number): boolean {
  const bits = c.bits(slot);
  if ((bits & ConnFlag.Established) === 0 || (bits & ConnFlag.NatLinked) !== 0) return false;
  if ((d.eitherBits(slot) & DirFlag.RstSeen) !== 0) return false;
  const o = d.at(slot, 0);
  const r = d.at(slot, 1);
  if (d.synRetransmits(o) !== 0 || d.synRetransmits(r) !== 0) return false;
  if (history.hasIcmpError(slot)) return false;
  if (stalled(d, o, r) || stalled(d, r, o)) return false;
  return c.maxIdle(slot) < 10;
}

/**
 * A lone SYN: one SYN from the originator, no data, not sent again; from the responder nothing,
 * or only its SYN-ACK (sent again or not) — a handshake never completed; no RST, FIN, ICMP error
 * or NAT link either way. A SYN flood's spoofed sources, unanswered or answered by a listener, and
 * probes (see FlowTableOptions.releaseLoneSyn).
 */
export function loneSyn(c: ConnSlots, d: DirSlots, history: HistoryLetters, slot: number): boolean {
  const bits = c.bits(slot) & (ConnFlag.OriginKnown | ConnFlag.Flipped | ConnFlag.Established | ConnFlag.NatLinked);
  if (bits !== ConnFlag.OriginKnown) return false;
  const o = d.at(slot, 0);
  const r = d.at(slot, 1);
  if ((d.bits(o) & (DirFlag.SynSeen | DirFlag.SynAckSeen | DirFlag.FinSeen | DirFlag.RstSeen)) !== DirFlag.SynSeen) return false;
  if (d.packets(slot, 0) !== 1 || d.payloadBytes(slot, 0) !== 0 || history.hasIcmpError(slot)) return false;
  if (d.packets(slot, 1) === 0) return true;
  // Nothing but one SYN-ACK and its retransmissions (same ISN).
  return (d.bits(r) & (DirFlag.SynAckSeen | DirFlag.FinSeen | DirFlag.RstSeen)) === DirFlag.SynAckSeen &&
    d.packets(slot, 1) === 1 + d.synRetransmits(r) && d.payloadBytes(slot, 1) === 0;
}

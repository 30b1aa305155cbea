import { grownF64, grownU32 } from './slots.js';

/** DirSlots.bits */
export const enum DirFlag {
  SynSeen = 1,
  SynHasTs = 2,
  SynAckSeen = 4,
  SynAckHasTs = 8,
  FinSeen = 16,
  RstSeen = 32,
  NextSeqValid = 64,
  LastAckValid = 128,
}

/** A direction row's 32-bit fields. */
const enum DirWord {
  /** DirFlag bits. */
  Bits = 0,
  /** Sequence number of the first SYN sent this way. */
  Isn,
  SynTsVal,
  SynAckAck,
  SynAckTsEcr,
  SynFrame,
  NextSeq,
  LastAck,
  Retransmits,
  Duplicates,
  SynRetransmits,
  MinTtl,
  /** -1 (as 2^32 - 1) before any packet. */
  MaxTtl,
  Count,
}

/** A direction row's doubles. */
const enum DirDouble {
  Packets = 0,
  PayloadBytes,
  IpBytes,
  LastT,
  LastDataT,
  Count,
}

/**
 * Per-direction fields (see src/flow/slots.ts), in rows at slot × 2 + direction
 * (0: originator → responder), both directions of a connection side by side.
 */
export class DirSlots {
  private u = new Uint32Array(0);
  private f = new Float64Array(0);

  grow(capacity: number): void {
    this.u = grownU32(this.u, capacity * 2 * DirWord.Count);
    this.f = grownF64(this.f, capacity * 2 * DirDouble.Count);
  }

  /** Both directions of a new connection: nothing seen. */
  reset(slot: number): void {
    const b = slot * 2 * DirWord.Count;
    for (let i = b; i < b + 2 * DirWord.Count; i++) this.u[i] = 0;
    const fb = slot * 2 * DirDouble.Count;
    for (let i = fb; i < fb + 2 * DirDouble.Count; i++) this.f[i] = 0;
    for (let d = slot * 2; d < slot * 2 + 2; d++) {
      this.u[d * DirWord.Count + DirWord.MinTtl] = 256;
      this.u[d * DirWord.Count + DirWord.MaxTtl] = -1 >>> 0;
    }
  }

  bits(d: number): number { return this.u[d * DirWord.Count + DirWord.Bits]!; }
  setBits(d: number, v: number): void { this.u[d * DirWord.Count + DirWord.Bits] = v; }
  isn(d: number): number { return this.u[d * DirWord.Count + DirWord.Isn]!; }
  setIsn(d: number, v: number): void { this.u[d * DirWord.Count + DirWord.Isn] = v; }
  synTsVal(d: number): number { return this.u[d * DirWord.Count + DirWord.SynTsVal]!; }
  setSynTsVal(d: number, v: number): void { this.u[d * DirWord.Count + DirWord.SynTsVal] = v; }
  synAckAck(d: number): number { return this.u[d * DirWord.Count + DirWord.SynAckAck]!; }
  setSynAckAck(d: number, v: number): void { this.u[d * DirWord.Count + DirWord.SynAckAck] = v; }
  synAckTsEcr(d: number): number { return this.u[d * DirWord.Count + DirWord.SynAckTsEcr]!; }
  setSynAckTsEcr(d: number, v: number): void { this.u[d * DirWord.Count + DirWord.SynAckTsEcr] = v; }
  synFrame(d: number): number { return this.u[d * DirWord.Count + DirWord.SynFrame]!; }
  setSynFrame(d: number, v: number): void { this.u[d * DirWord.Count + DirWord.SynFrame] = v; }
  nextSeq(d: number): number { return this.u[d * DirWord.Count + DirWord.NextSeq]!; }
  setNextSeq(d: number, v: number): void { this.u[d * DirWord.Count + DirWord.NextSeq] = v; }
  lastAck(d: number): number { return this.u[d * DirWord.Count + DirWord.LastAck]!; }
  setLastAck(d: number, v: number): void { this.u[d * DirWord.Count + DirWord.LastAck] = v; }
  retransmits(d: number): number { return this.u[d * DirWord.Count + DirWord.Retransmits]!; }
  countRetransmit(d: number): void { this.u[d * DirWord.Count + DirWord.Retransmits]++; }
  duplicates(d: number): number { return this.u[d * DirWord.Count + DirWord.Duplicates]!; }
  countDuplicate(d: number): void { this.u[d * DirWord.Count + DirWord.Duplicates]++; }
  synRetransmits(d: number): number { return this.u[d * DirWord.Count + DirWord.SynRetransmits]!; }
  countSynRetransmit(d: number): void { this.u[d * DirWord.Count + DirWord.SynRetransmits]++; }
  minTtl(d: number): number { return this.u[d * DirWord.Count + DirWord.MinTtl]!; }
  maxTtl(d: number): number { return this.u[d * DirWord.Count + DirWord.MaxTtl]! | 0; }

  packets(d: number): number { return this.f[d * DirDouble.Count + DirDouble.Packets]!; }
  payloadBytes(d: number): number { return this.f[d * DirDouble.Count + DirDouble.PayloadBytes]!; }
  ipBytes(d: number): number { return this.f[d * DirDouble.Count + DirDouble.IpBytes]!; }

  /**
   * One more packet (not a copy) this way, of `payload` TCP and `ip` IP bytes; the direction's TTL
   * range widened to include `ttl`. One call, for V8's inlining budget.
   */
  countPacket(d: number, payload: number, ip: number, ttl: number): void {
    const o = d * DirDouble.Count;
    this.f[o + DirDouble.Packets]++;
    this.f[o + DirDouble.PayloadBytes] += payload;
    this.f[o + DirDouble.IpBytes] += ip;
    const w = d * DirWord.Count;
    if (ttl < this.u[w + DirWord.MinTtl]!) this.u[w + DirWord.MinTtl] = ttl;
    if (ttl > (this.u[w + DirWord.MaxTtl]! | 0)) this.u[w + DirWord.MaxTtl] = ttl;
  }

  lastT(d: number): number { return this.f[d * DirDouble.Count + DirDouble.LastT]!; }
  setLastT(d: number, v: number): void { this.f[d * DirDouble.Count + DirDouble.LastT] = v; }
  lastDataT(d: number): number { return this.f[d * DirDouble.Count + DirDouble.LastDataT]!; }
  setLastDataT(d: number, v: number): void { this.f[d * DirDouble.Count + DirDouble.LastDataT] = v; }
}

import { Row, type ConnSlots } from './slots.js';
import type { Dir } from './types.js';
import { DirDouble, DirFlag, DirWord } from './dir-layout.js';

/** Where direction dir's doubles start in the rows' Float64Array. */
function fw(s: number, dir: Dir): number {
  return s * Row.Doubles + Row.Dir0Double + dir * DirDouble.Count;
}

/**
 * Per-direction fields (dir 0: originator → responder), kept in the connection's row (see
 * src/flow/slots.ts): both directions of a connection beside its own fields. The 32-bit fields are
 * reached through a direction's place in the rows, `at(slot, dir)`, so each accessor is small
 * enough for V8 to inline anywhere; the doubles by slot and direction.
 */
export class DirSlots {
  constructor(private readonly conns: ConnSlots) {}

  /** Direction dir's place in the rows: what the 32-bit fields' accessors take. */
  at(s: number, dir: Dir): number {
    return s * Row.Words + Row.Dir0 + dir * DirWord.Count;
  }

  /** Both directions of a new connection (its row just zeroed): nothing seen. */
  reset(s: number): void {
    const u = this.conns.u;
    for (let i = this.at(s, 0); i <= this.at(s, 1); i += DirWord.Count) {
      u[i + DirWord.MinTtl] = 256;
      u[i + DirWord.MaxTtl] = -1 >>> 0;
    }
  }

  bits(i: number): number { return this.conns.u[i + DirWord.Bits]!; }
  setBits(i: number, v: number): void { this.conns.u[i + DirWord.Bits] = v; }
  /** Both directions' bits or-ed (a RST or a FIN either way). */
  eitherBits(s: number): number {
    const i = s * Row.Words + Row.Dir0 + DirWord.Bits;
    return this.conns.u[i]! | this.conns.u[i + DirWord.Count]!;
  }
  isn(i: number): number { return this.conns.u[i + DirWord.Isn]!; }
  setIsn(i: number, v: number): void { this.conns.u[i + DirWord.Isn] = v; }
  synTsVal(i: number): number { return this.conns.u[i + DirWord.SynTsVal]!; }
  setSynTsVal(i: number, v: number): void { this.conns.u[i + DirWord.SynTsVal] = v; }
  synAckAck(i: number): number { return this.conns.u[i + DirWord.SynAckAck]!; }
  setSynAckAck(i: number, v: number): void { this.conns.u[i + DirWord.SynAckAck] = v; }
  synAckTsEcr(i: number): number { return this.conns.u[i + DirWord.SynAckTsEcr]!; }
  setSynAckTsEcr(i: number, v: number): void { this.conns.u[i + DirWord.SynAckTsEcr] = v; }
  synFrame(i: number): number { return this.conns.u[i + DirWord.SynFrame]!; }
  setSynFrame(i: number, v: number): void { this.conns.u[i + DirWord.SynFrame] = v; }
  nextSeq(i: number): number { return this.conns.u[i + DirWord.NextSeq]!; }
  setNextSeq(i: number, v: number): void { this.conns.u[i + DirWord.NextSeq] = v; }
  lastAck(i: number): number { return this.conns.u[i + DirWord.LastAck]!; }
  setLastAck(i: number, v: number): void { this.conns.u[i + DirWord.LastAck] = v; }
  retransmits(i: number): number { return this.conns.u[i + DirWord.Retransmits]!; }
  countRetransmit(i: number): void { this.conns.u[i + DirWord.Retransmits]++; }
  duplicates(i: number): number { return this.conns.u[i + DirWord.Duplicates]!; }
  countDuplicate(i: number): void { this.conns.u[i + DirWord.Duplicates]++; }
  synRetransmits(i: number): number { return this.conns.u[i + DirWord.SynRetransmits]!; }
  countSynRetransmit(i: number): void { this.conns.u[i + DirWord.SynRetransmits]++; }
  minTtl(i: number): number { return this.conns.u[i + DirWord.MinTtl]!; }
  maxTtl(i: number): number { return this.conns.u[i + DirWord.MaxTtl]! | 0; }
  /** The direction's TTL range widened to include `ttl`. */
  widenTtl(i: number, ttl: number): void {
    const u = this.conns.u;
    if (ttl < u[i + DirWord.MinTtl]!) u[i + DirWord.MinTtl] = ttl;
    if (ttl > (u[i + DirWord.MaxTtl]! | 0)) u[i + DirWord.MaxTtl] = ttl;
  }

  packets(s: number, d: Dir): number { return this.conns.f[fw(s, d) + DirDouble.Packets]!; }
  payloadBytes(s: number, d: Dir): number { return this.conns.f[fw(s, d) + DirDouble.PayloadBytes]!; }
  ipBytes(s: number, d: Dir): number { return this.conns.f[fw(s, d) + DirDouble.IpBytes]!; }
  lastT(s: number, d: Dir): number { return this.conns.f[fw(s, d) + DirDouble.LastT]!; }
  lastDataT(s: number, d: Dir): number { return this.conns.f[fw(s, d) + DirDouble.LastDataT]!; }

  /**
   * One more packet (not a copy) this way, of `payload` TCP and `ip` IP bytes, sent at `t`, with
   * data (or SYN, FIN) or not. `t` is read from the caller's field: a double argument to a call
   * V8 does not inline is boxed.
   */
  countPacket(s: number, d: Dir, payload: number, ip: number, clock: { readonly now: number }, data: boolean): void {
    const f = this.conns.f;
    const o = fw(s, d);
    const t = clock.now;
    f[o + DirDouble.Packets]++;
    f[o + DirDouble.PayloadBytes] += payload;
    f[o + DirDouble.IpBytes] += ip;
    f[o + DirDouble.LastT] = t;
    if (data) f[o + DirDouble.LastDataT] = t;
  }
}

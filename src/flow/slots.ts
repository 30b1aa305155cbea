import { addressWord, endpointKey, endpointOf } from './endpoints.js';
import type { Endpoint } from './types.js';
import type { Frame } from '../capture/types.js';
import { DirDouble, DirWord } from './dir-layout.js';
import { resizedF64, resizedU32 } from './block-pool.js';

/**
 * Slot storage: the held connections' numbers. Each record is a row of one typed array (its
 * 32-bit fields) and of another (its doubles), reached only through the named accessors below:
 * a packet touches a few cache lines of one connection, not one line per field. A row holds the
 * connection's fields, the other parts' words (PartWord) and both directions' fields (DirSlots),
 * so retiring or sweeping a connection reads one row. V8 inlines the accessors.
 */

/** ConnSlots.bits */
export const enum ConnFlag {
  OriginKnown = 1,
  Established = 2,
  /** The responder endpoint is counted in the held-endpoint counts too (no SYN seen). */
  CountedResp = 4,
  NatLinked = 8,
  /** The first packet was a SYN-ACK: its receiver was made the originator (Zeek's '^' in the history). */
  Flipped = 16,
}

/**
 * Address words per endpoint: one for IPv4, four for IPv6. A const enum, inlined where it is read
 * (an imported const is loaded and checked at each use, even in optimized code).
 */
export const enum AddressWords {
  V4 = 1,
  V6 = 4,
}

/** A connection row's 32-bit fields. Side A is the originator, side B the responder. */
const enum ConnWord {
  /** Connection id; 0 for a free slot. */
  Id = 0,
  Version,
  PortA,
  PortB,
  /** ConnFlag bits. */
  Bits,
  FirstFrame,
  LastFrame,
  FirstNsec,
  LastNsec,
  MaxIdleFrame,
  /** Endpoint keys (31-bit hashes of address and port), for the held-endpoint counts. */
  OrigKey,
  RespKey,
  AddrA,
  AddrB = AddrA + AddressWords.V6,
  Parts = AddrB + AddressWords.V6,
}

/**
 * Words the other parts (tuple index, recency lists, history, evidence buffer, copy window) keep in the
 * connection's row, through word / setWord: one packet then touches few cache lines.
 */
export const enum PartWord {
  /** The tuple hash, and slot + 1 of the next slot in the bucket (0: none). */
  IndexHash = ConnWord.Parts,
  IndexChain,
  /** Neighbours (slot + 1) on the recency list, and 1 while on the idle list. */
  RecencyPrev,
  RecencyNext,
  RecencyIdle,
  /** History letters seen (bits), their order (4 bits each, two words) and count. */
  HistorySeen,
  HistoryLo,
  HistoryHi,
  HistoryLength,
  /** Inline evidence events, and events not kept (past the bounds). */
  EventCount,
  EventsDropped,
  /** The evidence block (+ 1; 0: none) holding the inline events past the row's first few. */
  EventBlock,
  /** Per direction (+ dir), the packets remembered for copy detection so far (src/flow/copies.ts). */
  CopyCount,
  /**
   * Per direction (+ dir), the running number of its newest remembered packet in the copy window's
   * ring, modulo 2^32 (read only while its CopyCount is not 0).
   */
  CopyNewest = CopyCount + 2,
  End = CopyNewest + 2,
}


/** A connection row's doubles. */
const enum ConnDouble {
  FirstSec = 0,
  LastSec,
  FirstT,
  LastT,
  MaxIdle,
  EstablishedT,
  /** Each direction's doubles (DirSlots). */
  Dir0,
  Count = Dir0 + 2 * DirDouble.Count,
}

/**
 * Room at the end of each row for the parts' inline entries, in 32-bit words (even: the areas are
 * 8-byte aligned, their doubles read through ConnSlots.d): the evidence buffer's first events. Its
 * owner (src/flow/evidence.ts) checks the size. In the row, a packet's inline entries share the
 * pages and cache lines it touches anyway.
 */
export const enum InlineArea {
  Events = 28,
}

/**
 * A connection row's size: its own and the parts' words, then each direction's (DirSlots), then
 * the inline areas (not zeroed for a new connection: the counts in the row say what is written);
 * its doubles, then each direction's.
 */
export const enum Row {
  Dir0 = PartWord.End,
  Events = (Dir0 + 2 * DirWord.Count + 1) & ~1,
  Words = Events + InlineArea.Events,
  Dir0Double = ConnDouble.Dir0,
  Doubles = ConnDouble.Count,
}

/** Per-connection fields. */
export class ConnSlots {
  /**
   * The rows; DirSlots reads and writes its fields in them, the evidence buffer its inline area
   * (also through d, the same memory seen as doubles), every other part goes through the accessors.
   */
  u = new Uint32Array(0);
  d = new Float64Array(0);
  f = new Float64Array(0);

  grow(capacity: number): void {
    this.u = resizedU32(this.u, capacity * Row.Words);
    this.d = new Float64Array(this.u.buffer);
    this.f = resizedF64(this.f, capacity * ConnDouble.Count);
  }

  /** A new connection's row: all zero, no establishment time (the caller and DirSlots.reset set the rest). */
  reset(slot: number): void {
    const b = slot * Row.Words;
    // Loops, not fill(): a builtin call costs more than these few stores.
    for (let i = b; i < b + Row.Events; i++) this.u[i] = 0;
    const fb = slot * ConnDouble.Count;
    for (let i = fb; i < fb + ConnDouble.Count; i++) this.f[i] = 0;
    this.f[fb + ConnDouble.EstablishedT] = NaN;
  }

  /** A word another part keeps in the row. */
  word(s: number, w: PartWord): number { return this.u[s * Row.Words + w]!; }
  setWord(s: number, w: PartWord, v: number): void { this.u[s * Row.Words + w] = v; }

  id(s: number): number { return this.u[s * Row.Words + ConnWord.Id]!; }
  setId(s: number, v: number): void { this.u[s * Row.Words + ConnWord.Id] = v; }
  version(s: number): number { return this.u[s * Row.Words + ConnWord.Version]!; }
  setVersion(s: number, v: number): void { this.u[s * Row.Words + ConnWord.Version] = v; }
  portA(s: number): number { return this.u[s * Row.Words + ConnWord.PortA]!; }
  setPortA(s: number, v: number): void { this.u[s * Row.Words + ConnWord.PortA] = v; }
  portB(s: number): number { return this.u[s * Row.Words + ConnWord.PortB]!; }
  setPortB(s: number, v: number): void { this.u[s * Row.Words + ConnWord.PortB] = v; }
  bits(s: number): number { return this.u[s * Row.Words + ConnWord.Bits]!; }
  setBits(s: number, v: number): void { this.u[s * Row.Words + ConnWord.Bits] = v; }
  firstFrame(s: number): number { return this.u[s * Row.Words + ConnWord.FirstFrame]!; }
  setFirstFrame(s: number, v: number): void { this.u[s * Row.Words + ConnWord.FirstFrame] = v; }
  lastFrame(s: number): number { return this.u[s * Row.Words + ConnWord.LastFrame]!; }
  setLastFrame(s: number, v: number): void { this.u[s * Row.Words + ConnWord.LastFrame] = v; }
  firstNsec(s: number): number { return this.u[s * Row.Words + ConnWord.FirstNsec]!; }
  setFirstNsec(s: number, v: number): void { this.u[s * Row.Words + ConnWord.FirstNsec] = v; }
  lastNsec(s: number): number { return this.u[s * Row.Words + ConnWord.LastNsec]!; }
  maxIdleFrame(s: number): number { return this.u[s * Row.Words + ConnWord.MaxIdleFrame]!; }
  /** Signed (a Map key V8 keeps unboxed). */
  origKey(s: number): number { return this.u[s * Row.Words + ConnWord.OrigKey]! | 0; }
  setOrigKey(s: number, v: number): void { this.u[s * Row.Words + ConnWord.OrigKey] = v; }
  respKey(s: number): number { return this.u[s * Row.Words + ConnWord.RespKey]! | 0; }
  setRespKey(s: number, v: number): void { this.u[s * Row.Words + ConnWord.RespKey] = v; }

  firstSec(s: number): number { return this.f[s * ConnDouble.Count + ConnDouble.FirstSec]!; }
  setFirstSec(s: number, v: number): void { this.f[s * ConnDouble.Count + ConnDouble.FirstSec] = v; }
  lastSec(s: number): number { return this.f[s * ConnDouble.Count + ConnDouble.LastSec]!; }
  firstT(s: number): number { return this.f[s * ConnDouble.Count + ConnDouble.FirstT]!; }
  setFirstT(s: number, v: number): void { this.f[s * ConnDouble.Count + ConnDouble.FirstT] = v; }
  lastT(s: number): number { return this.f[s * ConnDouble.Count + ConnDouble.LastT]!; }
  maxIdle(s: number): number { return this.f[s * ConnDouble.Count + ConnDouble.MaxIdle]!; }
  /** The longest silence so far: `gap` seconds, ended by frame `frameNumber`. */
  setMaxIdle(s: number, gap: number, frameNumber: number): void {
    this.f[s * ConnDouble.Count + ConnDouble.MaxIdle] = gap;
    this.u[s * Row.Words + ConnWord.MaxIdleFrame] = frameNumber;
  }
  /** The connection's last packet: sent at t (seconds), in `frame`. One call, for V8's inlining budget. */
  setLastPacket(s: number, t: number, frame: Frame): void {
    const b = s * Row.Words;
    this.u[b + ConnWord.LastFrame] = frame.frameNumber;
    this.u[b + ConnWord.LastNsec] = frame.tsNsec;
    const fb = s * ConnDouble.Count;
    this.f[fb + ConnDouble.LastSec] = frame.tsSec;
    this.f[fb + ConnDouble.LastT] = t;
  }

  establishedT(s: number): number { return this.f[s * ConnDouble.Count + ConnDouble.EstablishedT]!; }
  setEstablishedT(s: number, v: number): void { this.f[s * ConnDouble.Count + ConnDouble.EstablishedT] = v; }

  private addrAt(s: number, sideA: boolean): number {
    return s * Row.Words + (sideA ? ConnWord.AddrA : ConnWord.AddrB);
  }

  /** Where a side's address words start in `u`. */
  addrOffset(s: number, sideA: boolean): number {
    return this.addrAt(s, sideA);
  }

  /** A side's address is this one (`bytes`, of the slot's IP version). */
  isAddress(s: number, sideA: boolean, bytes: Uint8Array): boolean {
    const o = this.addrAt(s, sideA);
    const words = this.version(s) === 4 ? AddressWords.V4 : AddressWords.V6;
    for (let w = 0, i = 0; w < words; w++, i += 4) {
      if (this.u[o + w] !== addressWord(bytes, i)) return false;
    }
    return true;
  }

  /** The first address word of a side (the whole address for IPv4). */
  addrWord(s: number, sideA: boolean): number {
    return this.u[this.addrAt(s, sideA)]!;
  }

  /** Sets a side's address from `words` 32-bit words of `from`. */
  setAddress(s: number, sideA: boolean, from: Uint32Array, words: number): void {
    const o = this.addrAt(s, sideA);
    for (let i = 0; i < words; i++) this.u[o + i] = from[i]!;
  }

  /**
   * Whether the slot holds the tuple src:srcPort → dst:dstPort (address words in `src`, `dst`):
   * 1 with side A the source, -1 with side B the source, 0 not at all.
   */
  tupleSide(s: number, srcPort: number, dstPort: number, src: Uint32Array, dst: Uint32Array, words: number): number {
    const u = this.u;
    const b = s * Row.Words;
    if (u[b + ConnWord.PortA] === srcPort && u[b + ConnWord.PortB] === dstPort && sameTuple(u, b, src, dst, words)) return 1;
    if (u[b + ConnWord.PortA] === dstPort && u[b + ConnWord.PortB] === srcPort && sameTuple(u, b, dst, src, words)) return -1;
    return 0;
  }

  /** The side's endpoint. `shared`: its text is cached (a responder; clients' ports rarely recur). */
  endpoint(s: number, sideA: boolean, shared: boolean): Endpoint {
    return endpointOf(this.u, this.addrAt(s, sideA), this.version(s) as 4 | 6, sideA ? this.portA(s) : this.portB(s), shared);
  }

  /** The side's endpoint key (endpointKey of its address words and port). */
  endpointKey(s: number, sideA: boolean): number {
    const n = this.version(s) === 4 ? AddressWords.V4 : AddressWords.V6;
    return endpointKey(this.u, this.addrAt(s, sideA), n, sideA ? this.portA(s) : this.portB(s));
  }

  /** Endpoint `sideA` (true: the originator) of slot a equals endpoint `sideB` of slot b. */
  sameEndpoint(a: number, sideA: boolean, b: number, sideB: boolean): boolean {
    if (this.version(a) !== this.version(b)) return false;
    if ((sideA ? this.portA(a) : this.portB(a)) !== (sideB ? this.portA(b) : this.portB(b))) return false;
    const words = this.version(a) === 4 ? AddressWords.V4 : AddressWords.V6;
    const oa = this.addrAt(a, sideA);
    const ob = this.addrAt(b, sideB);
    for (let i = 0; i < words; i++) if (this.u[oa + i] !== this.u[ob + i]) return false;
    return true;
  }
}

/** The row at b has side A's address `a` and side B's `b` (their first `words` words). */
function sameTuple(u: Uint32Array, row: number, a: Uint32Array, b: Uint32Array, words: number): boolean {
  for (let i = 0; i < words; i++) if (u[row + ConnWord.AddrA + i] !== a[i] || u[row + ConnWord.AddrB + i] !== b[i]) return false;
  return true;
}

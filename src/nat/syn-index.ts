import { ChainedRing, RingWord } from '../flow/chained-ring.js';

/** How far apart (capture seconds) a SYN and its translated copy or reply may be. */
export const LINK_WINDOW = 5;

/** The hash an ISN is bucketed by (the index's and its prefilter's, syn-prefilter.ts). */
export function isnHash(isn: number): number {
  return Math.imul(isn, 0x9e3779b1) ^ (isn >>> 16);
}

/**
 * One entry, in 32-bit words: the ring's words (src/flow/chained-ring.ts), its doubles, then its
 * words; 16 words, one cache line. A lookup walking a chain reads the running number, Time and Isn
 * of each entry: one line each, where an array per field cost one miss per field (a SYN flood's
 * lookups miss the cache at every step).
 */
const enum Entry {
  Number = RingWord.Number,
  Older = RingWord.Older,
  /** Capture seconds (double). */
  Time = RingWord.Fields,
  /** The connection's id (double). */
  Id = Time + 2,
  /** The SYN's ISN (as int32). */
  Isn = Id + 2,
  Slot,
  IpId,
  /** TSval (as int32). */
  TsVal,
  HasTs,
  Size = 16,
}

/**
 * Recent originator SYNs by ISN, for the NAT linker: a chained ring (src/flow/chained-ring.ts)
 * in capture-time order, bucketed by ISN, so a lookup stops at the first entry older than the
 * link window. The ring doubles when the entry it would overwrite is still inside the window (a
 * SYN flood), so no live entry is ever lost.
 */
export class SynIndex extends ChainedRing {
  /** `keep`: capture seconds an entry must stay findable (the link window). */
  constructor(private readonly keep: number, initial = 4096) {
    // A bucket per entry: at 65,536 buckets at least, the bucket array alone (512 kB) missed the
    // cache at each SYN of a capture holding a few hundred.
    super(Entry.Size, 1, 0);
    this.resize(initial);
  }

  private bucket(isn: number): number {
    return isnHash(isn) & this.bucketMask;
  }

  protected bucketOf(o: number): number {
    return this.bucket(this.words[o + Entry.Isn]! >>> 0);
  }

  add(isn: number, slot: number, id: number, t: number, ipId: number, hasTs: boolean, tsVal: number): void {
    const n = this.count;
    let o = this.at(n);
    // The entry about to be overwritten is still findable: make room instead.
    if (this.overwrites(o, n) && t - this.doubles[(o + Entry.Time) >> 1]! <= this.keep) {
      this.resize(this.capacity * 2);
      o = this.at(n);
    }
    const w = this.words;
    const d = this.doubles;
    d[(o + Entry.Time) >> 1] = t;
    d[(o + Entry.Id) >> 1] = id;
    w[o + Entry.Isn] = isn;
    w[o + Entry.Slot] = slot;
    w[o + Entry.IpId] = ipId;
    w[o + Entry.TsVal] = tsVal;
    w[o + Entry.HasTs] = hasTs ? 1 : 0;
    this.link(n, o, this.bucket(isn));
  }

  /** The newest entry for the ISN within `keep` of t (its word offset), or -1. */
  first(isn: number, t: number): number {
    return this.from(this.heads[this.bucket(isn)]!, isn, t);
  }

  /** The next older entry for the ISN after `entry`, or -1. */
  next(entry: number, isn: number, t: number): number {
    return this.from(this.doubles[(entry + Entry.Older) >> 1]!, isn, t);
  }

  private from(seq: number, isn: number, t: number): number {
    const key = isn | 0;
    while (seq >= 0) {
      const o = this.at(seq);
      // Overwritten, or older than the window: the rest of the chain is older still.
      if (this.doubles[(o + Entry.Number) >> 1] !== seq || t - this.doubles[(o + Entry.Time) >> 1]! > this.keep) return -1;
      if (this.words[o + Entry.Isn] === key) return o;
      seq = this.doubles[(o + Entry.Older) >> 1]!;
    }
    return -1;
  }

  slotAt(e: number): number {
    return this.words[e + Entry.Slot]!;
  }

  idAt(e: number): number {
    return this.doubles[(e + Entry.Id) >> 1]!;
  }

  ipIdAt(e: number): number {
    return this.words[e + Entry.IpId]!;
  }

  hasTsAt(e: number): boolean {
    return this.words[e + Entry.HasTs] === 1;
  }

  tsValAt(e: number): number {
    return this.words[e + Entry.TsVal]! >>> 0;
  }
}

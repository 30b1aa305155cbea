/**
 * One entry, in 32-bit words: its doubles first (8-byte aligned, read through the same memory seen
 * as doubles at word / 2), then its words; 16 words, one cache line. A lookup walking a chain reads
 * Seq, Time and Isn of each entry: one line each, where an array per field cost one miss per field
 * (a SYN flood's lookups miss the cache at every step).
 */
const enum Entry {
  /** The entry's own running number (double): the ring position is valid while it matches. */
  Seq = 0,
  /** Running number of the next older entry in the same bucket (double), or -1. */
  Older = 2,
  /** Capture seconds (double). */
  Time = 4,
  /** The connection's id (double). */
  Id = 6,
  /** The SYN's ISN (as int32). */
  Isn = 8,
  Slot,
  IpId,
  /** TSval (as int32). */
  TsVal,
  HasTs,
  Size = 16,
}

/**
 * Recent originator SYNs by ISN, for the NAT linker, in typed arrays: no object per SYN.
 *
 * Entries sit in a ring in arrival (capture time) order, addressed by a running sequence number
 * (entry = seq & mask; it is valid while its stored seq matches). Each hash bucket chains its
 * entries newest first, so a lookup stops at the first entry older than the link window, and
 * nothing needs pruning: old entries are simply overwritten. The ring doubles when the entry it
 * would overwrite is still inside the window (a SYN flood), so no live entry is ever lost.
 */
export class SynIndex {
  private capacity = 0;
  private mask = 0;
  private words = new Int32Array(0);
  private doubles = new Float64Array(0);
  /** Newest entry's seq per bucket, or -1. */
  private heads = new Float64Array(0);
  private bucketMask = 0;
  /** The next entry's seq. */
  private count = 0;

  /** `keep`: capture seconds an entry must stay findable (the link window). */
  constructor(private readonly keep: number, initial = 4096) {
    this.resize(initial);
  }

  private resize(capacity: number): void {
    const oldWords = this.words;
    const oldDoubles = this.doubles;
    const oldMask = this.mask;
    const live = Math.min(this.count, this.capacity);
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.words = new Int32Array(capacity * Entry.Size);
    this.doubles = new Float64Array(this.words.buffer);
    for (let e = 0; e < capacity; e++) this.doubles[(e * Entry.Size + Entry.Seq) >> 1] = -1;
    const buckets = Math.max(65536, capacity);
    this.heads = new Float64Array(buckets).fill(-1);
    this.bucketMask = buckets - 1;
    // Re-add the live entries, oldest first, so the chains come out newest first again.
    for (let seq = this.count - live; seq < this.count; seq++) {
      const from = (seq & oldMask) * Entry.Size;
      if (oldDoubles[(from + Entry.Seq) >> 1] !== seq) continue;
      const to = (seq & this.mask) * Entry.Size;
      this.words.set(oldWords.subarray(from, from + Entry.Size), to);
      this.chain(seq, to);
    }
  }

  private bucket(isn: number): number {
    return (Math.imul(isn, 0x9e3779b1) ^ (isn >>> 16)) & this.bucketMask;
  }

  /** Entry seq (at word o) becomes its bucket's newest. */
  private chain(seq: number, o: number): void {
    const b = this.bucket(this.words[o + Entry.Isn]! >>> 0);
    this.doubles[(o + Entry.Older) >> 1] = this.heads[b]!;
    this.heads[b] = seq;
  }

  add(isn: number, slot: number, id: number, t: number, ipId: number, hasTs: boolean, tsVal: number): void {
    const seq = this.count;
    let o = (seq & this.mask) * Entry.Size;
    // The entry about to be overwritten is still findable: make room instead.
    if (this.doubles[(o + Entry.Seq) >> 1] === seq - this.capacity && t - this.doubles[(o + Entry.Time) >> 1]! <= this.keep) {
      this.resize(this.capacity * 2);
      o = (seq & this.mask) * Entry.Size;
    }
    const w = this.words;
    const d = this.doubles;
    d[(o + Entry.Seq) >> 1] = seq;
    d[(o + Entry.Time) >> 1] = t;
    d[(o + Entry.Id) >> 1] = id;
    w[o + Entry.Isn] = isn;
    w[o + Entry.Slot] = slot;
    w[o + Entry.IpId] = ipId;
    w[o + Entry.TsVal] = tsVal;
    w[o + Entry.HasTs] = hasTs ? 1 : 0;
    this.chain(seq, o);
    this.count = seq + 1;
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
      const o = (seq & this.mask) * Entry.Size;
      // Overwritten, or older than the window: the rest of the chain is older still.
      if (this.doubles[(o + Entry.Seq) >> 1] !== seq || t - this.doubles[(o + Entry.Time) >> 1]! > this.keep) return -1;
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

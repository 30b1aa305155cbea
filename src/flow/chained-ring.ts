/** The words every ring entry begins with (doubles, 8-byte aligned); an entry's own fields follow. */
export const enum RingWord {
  /** The entry's own running number: its ring position holds it while this matches. */
  Number = 0,
  /** Running number of the next older entry in the same chain (bucket, or the owner's key), or -1. */
  Older = 2,
  /** Where an entry's own fields begin. */
  Fields = 4,
}

/** bucketOf's answer for an entry chained by its owner (ChainedRing.append). */
export const OWN_CHAIN = -1;

/**
 * Recent entries by key, in typed arrays, no object per entry: fixed rows of 32-bit words (their
 * doubles read through the same memory at word / 2) in a ring in arrival order, addressed by a
 * running number (entry n sits at (n & mask) × row size, valid while its stored number is n), so
 * old entries are overwritten, never pruned. Each hash bucket chains its entries newest first, so
 * a lookup walks the latest first and stops at the first one too old or overwritten. The ring
 * grows (doubling, entries kept) when a subclass finds the entry it would overwrite still wanted.
 *
 * The copy window (copies.ts), its prefilter (copy-prefilter.ts) and the NAT linker's SYN index
 * (src/nat/syn-index.ts) are such rings; each lays out its fields, picks buckets, and decides when
 * to grow. An owner that knows each key's newest entry where it looks anyway (the copy window: in
 * the connection's row) chains by key itself (append, bucketOf OWN_CHAIN) and needs no buckets.
 */
export abstract class ChainedRing {
  protected capacity = 0;
  protected mask = 0;
  protected words = new Int32Array(0);
  protected doubles = new Float64Array(0);
  /** Newest entry's running number per bucket, or -1. */
  protected heads = new Float64Array(0);
  protected bucketMask = 0;
  /** The next entry's running number. */
  protected count = 0;

  /**
   * `rowWords`: an entry's size in 32-bit words (even); buckets: `bucketsPerEntry` per entry of
   * capacity, at least `minBuckets` (a power of two).
   */
  constructor(private readonly rowWords: number, private readonly bucketsPerEntry: number, private readonly minBuckets: number) {}

  /**
   * The bucket of the entry at word o, from its fields: where it goes again when the ring grows;
   * OWN_CHAIN for an entry its owner chains (its Older link is kept as it is).
   */
  protected abstract bucketOf(o: number): number;

  /** Word offset of entry n's ring position. */
  protected at(n: number): number {
    return (n & this.mask) * this.rowWords;
  }

  /** The entry at o (entry n's position) still holds entry n - capacity, which entry n would overwrite. */
  protected overwrites(o: number, n: number): boolean {
    return this.doubles[(o + RingWord.Number) >> 1] === n - this.capacity;
  }

  /** Entry n, its fields written at o, becomes bucket b's newest and the ring's latest. */
  protected link(n: number, o: number, b: number): void {
    this.append(n, o, this.heads[b]!);
    this.heads[b] = n;
  }

  /** Entry n, its fields written at o, becomes the ring's latest, chained to entry `older` (or -1) by its owner. */
  protected append(n: number, o: number, older: number): void {
    this.doubles[(o + RingWord.Number) >> 1] = n;
    this.doubles[(o + RingWord.Older) >> 1] = older;
    this.count = n + 1;
  }

  /** Room for `capacity` entries (a power of two), the live ones kept and chained again. */
  protected resize(capacity: number): void {
    const oldWords = this.words;
    const oldDoubles = this.doubles;
    const oldMask = this.mask;
    const size = this.rowWords;
    const live = Math.min(this.count, this.capacity);
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.words = new Int32Array(capacity * size);
    this.doubles = new Float64Array(this.words.buffer);
    for (let e = 0; e < capacity; e++) this.doubles[(e * size + RingWord.Number) >> 1] = -1;
    const buckets = Math.max(this.minBuckets, this.bucketsPerEntry * capacity);
    this.heads = new Float64Array(buckets).fill(-1);
    this.bucketMask = buckets - 1;
    // The live entries again, oldest first, so the chains come out newest first.
    for (let n = this.count - live; n < this.count; n++) {
      const from = (n & oldMask) * size;
      if (oldDoubles[(from + RingWord.Number) >> 1] !== n) continue;
      const to = (n & this.mask) * size;
      this.words.set(oldWords.subarray(from, from + size), to);
      const b = this.bucketOf(to);
      if (b === OWN_CHAIN) continue;
      this.doubles[(to + RingWord.Older) >> 1] = this.heads[b]!;
      this.heads[b] = n;
    }
  }

  /** Every entry dropped, the ring back to `capacity` entries. */
  protected restart(capacity: number): void {
    this.count = 0;
    this.capacity = 0;
    this.resize(capacity);
  }
}

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
  private seqOf = new Float64Array(0);
  /** seq of the next older entry in the same bucket, or -1. */
  private older = new Float64Array(0);
  private isns = new Uint32Array(0);
  private slots = new Uint32Array(0);
  private ids = new Float64Array(0);
  private times = new Float64Array(0);
  private ipIds = new Int32Array(0);
  private tsVals = new Uint32Array(0);
  private hasTs = new Uint8Array(0);
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
    const old = {
      seqOf: this.seqOf, older: this.older, isns: this.isns, slots: this.slots, ids: this.ids, times: this.times,
      ipIds: this.ipIds, tsVals: this.tsVals, hasTs: this.hasTs, mask: this.mask,
    };
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.seqOf = new Float64Array(capacity).fill(-1);
    this.older = new Float64Array(capacity);
    this.isns = new Uint32Array(capacity);
    this.slots = new Uint32Array(capacity);
    this.ids = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
    this.ipIds = new Int32Array(capacity);
    this.tsVals = new Uint32Array(capacity);
    this.hasTs = new Uint8Array(capacity);
    const buckets = Math.max(65536, capacity);
    this.heads = new Float64Array(buckets).fill(-1);
    this.bucketMask = buckets - 1;
    // Re-add the live entries, oldest first, so the chains come out newest first again.
    const live = Math.min(this.count, old.seqOf.length);
    for (let seq = this.count - live; seq < this.count; seq++) {
      const o = seq & old.mask;
      if (old.seqOf[o] !== seq) continue;
      this.place(seq, old.isns[o]!, old.slots[o]!, old.ids[o]!, old.times[o]!, old.ipIds[o]!, old.hasTs[o] === 1, old.tsVals[o]!);
    }
  }

  private bucket(isn: number): number {
    return (Math.imul(isn, 0x9e3779b1) ^ (isn >>> 16)) & this.bucketMask;
  }

  private place(seq: number, isn: number, slot: number, id: number, t: number, ipId: number, hasTs: boolean, tsVal: number): void {
    const e = seq & this.mask;
    const b = this.bucket(isn);
    this.seqOf[e] = seq;
    this.older[e] = this.heads[b]!;
    this.heads[b] = seq;
    this.isns[e] = isn;
    this.slots[e] = slot;
    this.ids[e] = id;
    this.times[e] = t;
    this.ipIds[e] = ipId;
    this.tsVals[e] = tsVal;
    this.hasTs[e] = hasTs ? 1 : 0;
  }

  add(isn: number, slot: number, id: number, t: number, ipId: number, hasTs: boolean, tsVal: number): void {
    const seq = this.count;
    const e = seq & this.mask;
    // The entry about to be overwritten is still findable: make room instead.
    if (this.seqOf[e] === seq - this.capacity && t - this.times[e]! <= this.keep) this.resize(this.capacity * 2);
    this.place(seq, isn, slot, id, t, ipId, hasTs, tsVal);
    this.count = seq + 1;
  }

  /** The newest entry for this ISN not older than the window at time t, or -1; then `next`. */
  first(isn: number, t: number): number {
    return this.from(this.heads[this.bucket(isn)]!, isn, t);
  }

  next(entry: number, isn: number, t: number): number {
    return this.from(this.older[entry]!, isn, t);
  }

  private from(seq: number, isn: number, t: number): number {
    while (seq >= 0) {
      const e = seq & this.mask;
      // Overwritten, or older than the window: the rest of the chain is older still.
      if (this.seqOf[e] !== seq || t - this.times[e]! > this.keep) return -1;
      if (this.isns[e] === isn) return e;
      seq = this.older[e]!;
    }
    return -1;
  }

  slotAt(e: number): number {
    return this.slots[e]!;
  }

  idAt(e: number): number {
    return this.ids[e]!;
  }

  timeAt(e: number): number {
    return this.times[e]!;
  }

  ipIdAt(e: number): number {
    return this.ipIds[e]!;
  }

  hasTsAt(e: number): boolean {
    return this.hasTs[e] === 1;
  }

  tsValAt(e: number): number {
    return this.tsVals[e]!;
  }
}

import type { Frame } from '../capture/types.js';
import { ChainedRing, RingWord } from './chained-ring.js';

/** One remembered key after the ring's words (chained-ring.ts), in 32-bit words; 32 bytes. */
const enum Entry {
  Number = RingWord.Number,
  Older = RingWord.Older,
  /** Capture seconds (double). */
  Time = RingWord.Fields,
  Key = Time + 2,
  Size = 8,
}

const INITIAL_ENTRIES = 4096;

/**
 * 32-bit keys seen within `window` seconds of capture time: the memory of the prefilters that run
 * where packets are decoded, ahead of the flow table (copy-prefilter.ts, src/nat/syn-prefilter.ts),
 * each telling the table a lookup of its own can be skipped because no packet it could find was seen.
 *
 * While capture times never step back, a key older than the window can match no later packet, so
 * the ring may overwrite it (it grows instead when the entry it would overwrite is within the
 * window). A capture whose clock steps back turns the filter off for the rest of it (`clock`):
 * every later packet is looked up the full way, as without the filter.
 */
export abstract class RecentKeys extends ChainedRing {
  private off = false;
  /**
   * The current packet's capture time (clock), the latest seen: a packet before it turns the filter
   * off. A field, not a result or an argument: a double returned from or passed to a method that
   * is not inlined is boxed (allocated) at each call.
   */
  protected now = -Infinity;

  /** `window`: capture seconds a key stays findable; `bucketsPerEntry` as ChainedRing's. */
  constructor(private readonly window: number, bucketsPerEntry: number) {
    super(Entry.Size, bucketsPerEntry, 0);
    this.resize(INITIAL_ENTRIES);
  }

  /** The key's bucket. */
  protected abstract bucket(key: number): number;

  protected bucketOf(o: number): number {
    return this.bucket(this.words[o + Entry.Key]!);
  }

  /**
   * Sets `now` to the frame's capture time as the flow table computes it (FlowTable.observeTcp, to
   * the same double); false when the filter is off: this frame's time stepped back, or an earlier one's did.
   */
  protected clock(frame: Frame): boolean {
    if (this.off) return false;
    const t = frame.tsSec + frame.tsNsec / 1e9;
    if (t < this.now) {
      this.off = true;
      return false;
    }
    this.now = t;
    return true;
  }

  /** The key (its bucket b) was remembered within the window before now. */
  protected seen(key: number, b: number): boolean {
    const t = this.now;
    for (let n = this.heads[b]!; n >= 0;) {
      const o = this.at(n);
      // Overwritten, or past the window (times never step back here): so is the rest of the chain.
      if (this.doubles[(o + Entry.Number) >> 1] !== n || t - this.doubles[(o + Entry.Time) >> 1]! > this.window) return false;
      if (this.words[o + Entry.Key] === key) return true;
      n = this.doubles[(o + Entry.Older) >> 1]!;
    }
    return false;
  }

  /** The key (its bucket b) seen now. */
  protected remember(key: number, b: number): void {
    const t = this.now;
    const n = this.count;
    let o = this.at(n);
    if (this.overwrites(o, n) && t - this.doubles[(o + Entry.Time) >> 1]! <= this.window) {
      this.resize(this.capacity * 2);
      o = this.at(n);
      b = this.bucket(key);
    }
    this.doubles[(o + Entry.Time) >> 1] = t;
    this.words[o + Entry.Key] = key;
    this.link(n, o, b);
  }
}

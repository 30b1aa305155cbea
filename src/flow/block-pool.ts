/**
 * Block numbers for storage a connection takes only when it needs it: most held connections are
 * short (under a SYN flood nearly all are one SYN), so each slot keeps a small inline part and
 * only the connections that outgrow it take a block (src/flow/evidence.ts). Blocks are
 * reused last-freed first; the owner's arrays grow with the pool (onGrow, by doubling).
 */
export class BlockPool {
  private readonly free: number[] = [];
  private fresh = 0;
  private capacity = 0;

  constructor(private readonly initial: number, private readonly onGrow: (capacity: number) => void) {}

  take(): number {
    if (this.free.length > 0) return this.free.pop()!;
    if (this.fresh === this.capacity) {
      this.capacity = Math.max(this.initial, this.capacity * 2);
      this.onGrow(this.capacity);
    }
    return this.fresh++;
  }

  give(block: number): void {
    this.free.push(block);
  }

  /** Every block forgotten, the owner's arrays cut to nothing (onGrow(0)): the pool starts over. */
  clear(): void {
    this.free.length = 0;
    this.fresh = 0;
    this.capacity = 0;
    this.onGrow(0);
  }
}

/** The array's first `length` elements in a new array of that length (zeros past the old end). */
export function resizedU32(old: Uint32Array, length: number): Uint32Array<ArrayBuffer> {
  const a = new Uint32Array(length);
  a.set(old.length > length ? old.subarray(0, length) : old);
  return a;
}

export function resizedF64(old: Float64Array, length: number): Float64Array<ArrayBuffer> {
  const a = new Float64Array(length);
  a.set(old.length > length ? old.subarray(0, length) : old);
  return a;
}

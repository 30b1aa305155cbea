/**
 * A set of strings kept as 64-bit hashes in one typed array (open addressing, linear probing):
 * 16 bytes a member instead of the string and its Set entry (~120 bytes for a diagnosis key).
 * Two strings are one member only if both 32-bit halves of their hashes agree: among a million
 * members, the odds that any two collide are about 3 in 100 million.
 */
export class KeyHashSet {
  /** Cell i: [2i] the high hash with its top bit set (0: empty), [2i + 1] the low hash. */
  private cells = new Uint32Array(2 * 64);
  private mask = 63;
  private count = 0;
  private hi = 0;
  private lo = 0;

  get size(): number {
    return this.count;
  }

  add(key: string): void {
    this.hash(key);
    const at = this.find();
    if (at >= 0) return;
    if (2 * (this.count + 1) > this.mask + 1) this.grow();
    this.place(~this.find());
    this.count++;
  }

  has(key: string): boolean {
    this.hash(key);
    return this.find() >= 0;
  }

  /** Two FNV-1a hashes of the UTF-16 code units, with different offsets and primes. */
  private hash(key: string): void {
    let a = 0x811c9dc5;
    let b = 0x2545f491;
    for (let i = 0; i < key.length; i++) {
      const ch = key.charCodeAt(i);
      a = Math.imul(a ^ ch, 0x01000193);
      b = Math.imul(b ^ ch, 0x5bd1e995);
    }
    b ^= b >>> 15;
    this.hi = ((a ^ (a >>> 16)) | 0x80000000) >>> 0;
    this.lo = b >>> 0;
  }

  private find(): number {
    const c = this.cells;
    for (let i = (this.lo ^ (this.hi >>> 7)) & this.mask; ; i = (i + 1) & this.mask) {
      const h = c[2 * i]!;
      if (h === 0) return ~i;
      if (h === this.hi && c[2 * i + 1] === this.lo) return i;
    }
  }

  private place(i: number): void {
    this.cells[2 * i] = this.hi;
    this.cells[2 * i + 1] = this.lo;
  }

  private grow(): void {
    const old = this.cells;
    const hi = this.hi;
    const lo = this.lo;
    this.cells = new Uint32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] === 0) continue;
      this.hi = old[i]!;
      this.lo = old[i + 1]!;
      this.place(~this.find());
    }
    this.hi = hi;
    this.lo = lo;
  }
}

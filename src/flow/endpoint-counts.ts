/**
 * A counting filter of endpoint keys (31-bit hashes of address and port): how many connections
 * hold each, in one typed array indexed by the key's low bits. Distinct keys may share a counter,
 * so `has` can say yes for an endpoint nobody holds (about held / 2^20 of the time), never no for
 * one that is held: callers use it only where a false yes costs time, not correctness (a
 * connection waits a little longer, or takes the slow path).
 */
export class EndpointCounts {
  private readonly counts = new Uint32Array(1 << 20);

  add(key: number): void {
    this.counts[key & 0xfffff]++;
  }

  remove(key: number): void {
    const i = key & 0xfffff;
    if (this.counts[i]! > 0) this.counts[i]--;
  }

  has(key: number): boolean {
    return this.counts[key & 0xfffff] !== 0;
  }
}

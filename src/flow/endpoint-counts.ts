/**
 * A counting filter of endpoint keys (31-bit hashes of address and port): how many connections
 * hold each, in one typed array indexed by the key's low bits. Distinct keys may share a counter,
 * so `has` can say yes for an endpoint nobody holds (about held / 2^20 of the time), never no for
 * one that is held: callers use it only where a false yes costs time, not correctness (a
 * connection waits a little longer, or takes the slow path). Counters are 16-bit and stick at
 * their maximum (a bucket held by 65,535 connections at once stays "held"): same kind of cost.
 */
export class EndpointCounts {
  private readonly counts = new Uint16Array(1 << 20);

  add(key: number): void {
    const i = key & 0xfffff;
    if (this.counts[i] !== 0xffff) this.counts[i]++;
  }

  remove(key: number): void {
    const i = key & 0xfffff;
    const n = this.counts[i]!;
    if (n > 0 && n !== 0xffff) this.counts[i] = n - 1;
  }

  has(key: number): boolean {
    return this.counts[key & 0xfffff] !== 0;
  }
}

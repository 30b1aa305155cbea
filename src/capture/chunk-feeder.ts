/**
 * Feeds chunks to a CaptureParser. Records are decoded straight out of each chunk; only a record
 * split across two chunks is copied into a carry-over buffer, and that buffer only ever grows
 * with bytes actually received (never to a length a record header merely claims).
 */

import { CaptureParser } from './capture-parser.js';

/** The caller may reuse a chunk's memory once `feed` returns. */
export class ChunkFeeder {
  private carry: Buffer = Buffer.alloc(0);
  private carryLen = 0;

  constructor(private readonly parser: CaptureParser) {}

  /** Returns false once the parser has stopped (damage found): stop reading. */
  feed(chunk: Buffer): boolean {
    const parser = this.parser;
    const n = chunk.length;
    let pos = 0;
    while (this.carryLen > 0) {
      if (pos >= n) return !parser.stopped;
      const want = parser.need - this.carryLen;
      const take = want < n - pos ? want : n - pos;
      if (take > 0) {
        this.ensure(this.carryLen + take);
        chunk.copy(this.carry, this.carryLen, pos, pos + take);
        this.carryLen += take;
        pos += take;
      }
      if (this.carryLen < parser.need) return true;
      const used = parser.parse(this.carry, 0, this.carryLen);
      if (parser.stopped) {
        this.carryLen = 0;
        return false;
      }
      if (used >= this.carryLen) this.carryLen = 0;
      else if (used > 0) {
        this.carry.copyWithin(0, used, this.carryLen);
        this.carryLen -= used;
      }
    }
    if (pos >= n) return !parser.stopped;
    const used = parser.parse(chunk, pos, n);
    if (parser.stopped) return false;
    if (used < n) {
      this.ensure(n - used);
      chunk.copy(this.carry, 0, used, n);
      this.carryLen = n - used;
    }
    return true;
  }

  private ensure(size: number): void {
    if (this.carry.length >= size) return;
    let cap = Math.max(this.carry.length * 2, 65536);
    if (cap < size) cap = size;
    const next = Buffer.allocUnsafe(cap);
    this.carry.copy(next, 0, 0, this.carryLen);
    this.carry = next;
  }

  finish(compressed: boolean): void {
    this.parser.finish(this.carry, this.carryLen, compressed);
    this.carryLen = 0;
  }
}

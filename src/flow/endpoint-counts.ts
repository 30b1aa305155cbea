/**
 * Endpoint keys (31-bit hashes of address and port) with how many connections hold each: an
 * open-addressing hash map in one typed array (the key's tag and count per cell; linear probing; a cell
 * emptied by its last remove is filled by shifting its run back, so no tombstones pile up).
 * Exact for keys: two endpoints share an answer only when their 31-bit hashes are equal. (A
 * counting filter indexed by the key's low bits answered yes for a held / 2^20 share of the
 * endpoints nobody held: a SYN flood's 100k held sources sent one lone SYN in ten the slow way.)
 */
export class EndpointCounts {
  /** Cell i: [2i] the key's tag (0: empty), [2i + 1] count. */
  private cells = new Uint32Array(2 << 12);
  private mask = (1 << 12) - 1;
  private size = 0;

  /** Keys are signed 31-bit numbers: the tag is never 0 and fits 32 bits. */
  private static tag(key: number): number {
    return (key & 0x7fffffff) + 1;
  }

  private home(tag: number): number {
    return (Math.imul(tag, 0x9e3779b1) >>> 7) & this.mask;
  }

  /** The cell holding tag, or the empty cell ending its probe run (~cell there: negative). */
  private find(tag: number): number {
    const cells = this.cells;
    for (let i = this.home(tag); ; i = (i + 1) & this.mask) {
      const k = cells[2 * i]!;
      if (k === tag) return i;
      if (k === 0) return ~i;
    }
  }

  add(key: number): void {
    const tag = EndpointCounts.tag(key);
    let i = this.find(tag);
    if (i >= 0) {
      this.cells[2 * i + 1]!++;
      return;
    }
    if (2 * (this.size + 1) > this.mask + 1) {
      this.grow();
      i = this.find(tag);
    }
    i = ~i;
    this.cells[2 * i] = tag;
    this.cells[2 * i + 1] = 1;
    this.size++;
  }

  remove(key: number): void {
    const i = this.find(EndpointCounts.tag(key));
    if (i < 0) return;
    const cells = this.cells;
    if (--cells[2 * i + 1]! > 0) return;
    this.size--;
    // Backward shift: move later cells of the run into the hole when their home allows it.
    let hole = i;
    for (let j = (i + 1) & this.mask; cells[2 * j] !== 0; j = (j + 1) & this.mask) {
      const h = this.home(cells[2 * j]!);
      // j may move to the hole unless its home lies cyclically in (hole, j].
      if (((j - h) & this.mask) >= ((j - hole) & this.mask)) {
        cells[2 * hole] = cells[2 * j]!;
        cells[2 * hole + 1] = cells[2 * j + 1]!;
        hole = j;
      }
    }
    cells[2 * hole] = 0;
    cells[2 * hole + 1] = 0;
  }

  has(key: number): boolean {
    return this.find(EndpointCounts.tag(key)) >= 0;
  }

  private grow(): void {
    const old = this.cells;
    this.cells = new Uint32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    for (let c = 0; c < old.length; c += 2) {
      if (old[c] === 0) continue;
      const i = ~this.find(old[c]!);
      this.cells[2 * i] = old[c]!;
      this.cells[2 * i + 1] = old[c + 1]!;
    }
  }
}

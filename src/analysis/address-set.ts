import ipaddr from 'ipaddr.js';
import { isDottedQuad } from '../decode/address.js';

/** Words per cell: the address kind (0: empty, 4, 6), then the address in four 32-bit words. */
const CELL = 5;

/**
 * A set of client addresses (text, as findings name them), exact, for counting distinct clients
 * without a string per client: IPv4 and IPv6 addresses are kept as numbers in one typed array
 * (open addressing, linear probing; about 40 bytes a client instead of ~100). Anything else (''
 * for no client, text that is no address) goes to a plain Set. Two texts are one member exactly
 * when they are the same string: the decoder writes each address one way.
 */
export class AddressSet {
  private cells = new Uint32Array(CELL * 64);
  private mask = 63;
  private count = 0;
  private readonly other = new Set<string>();
  private readonly words = new Uint32Array(4);

  get size(): number {
    return this.count + this.other.size;
  }

  add(addr: string): void {
    const kind = this.load(addr);
    if (kind === 0) {
      this.other.add(addr);
      return;
    }
    this.insertLoaded(kind);
  }

  has(addr: string): boolean {
    const kind = this.load(addr);
    return kind === 0 ? this.other.has(addr) : this.find(kind) >= 0;
  }

  /** Adds every member of `b`. */
  addAll(b: AddressSet): void {
    for (const s of b.other) this.other.add(s);
    const c = b.cells;
    for (let i = 0; i < c.length; i += CELL) {
      const kind = c[i]!;
      if (kind === 0) continue;
      for (let w = 0; w < 4; w++) this.words[w] = c[i + 1 + w]!;
      this.insertLoaded(kind);
    }
  }

  /** Adds the address in this.words (kind `kind`) unless present. */
  private insertLoaded(kind: number): void {
    if (this.find(kind) >= 0) return;
    if (2 * (this.count + 1) > this.mask + 1) this.grow();
    this.place(~this.find(kind), kind);
    this.count++;
  }

  /** A copy. */
  copy(): AddressSet {
    const s = new AddressSet();
    s.addAll(this);
    return s;
  }

  /** Parses addr into this.words: its kind (4, 6), or 0 when it is no address. */
  private load(addr: string): number {
    const w = this.words;
    if (isDottedQuad(addr)) {
      let v = 0;
      let part = 0;
      for (let i = 0; i < addr.length; i++) {
        const ch = addr.charCodeAt(i);
        if (ch === 46) {
          v = v * 256 + part;
          part = 0;
        } else part = part * 10 + ch - 48;
      }
      w[0] = v * 256 + part;
      w[1] = w[2] = w[3] = 0;
      return 4;
    }
    // The decoder's spelling (RFC 5952) only: another spelling of the same address is another string.
    if (!ipaddr.IPv6.isValid(addr)) return 0;
    const v6 = ipaddr.IPv6.parse(addr);
    if (v6.toRFC5952String() !== addr) return 0;
    const parts = v6.parts;
    for (let i = 0; i < 4; i++) w[i] = (parts[2 * i]! * 65536 + parts[2 * i + 1]!) >>> 0;
    return 6;
  }

  private home(kind: number): number {
    const w = this.words;
    let h = Math.imul(kind, 0x9e3779b1);
    for (let i = 0; i < 4; i++) h = Math.imul(h ^ w[i]!, 0x85ebca6b) ^ (h >>> 13);
    return (h ^ (h >>> 16)) & this.mask;
  }

  /** The cell of this.words (kind `kind`), or ~ the empty cell ending its probe run. */
  private find(kind: number): number {
    const c = this.cells;
    const w = this.words;
    for (let i = this.home(kind); ; i = (i + 1) & this.mask) {
      const at = i * CELL;
      const k = c[at]!;
      if (k === 0) return ~i;
      if (k === kind && c[at + 1] === w[0] && c[at + 2] === w[1] && c[at + 3] === w[2] && c[at + 4] === w[3]) return i;
    }
  }

  private place(i: number, kind: number): void {
    const at = i * CELL;
    this.cells[at] = kind;
    this.cells.set(this.words, at + 1);
  }

  private grow(): void {
    const old = this.cells;
    this.cells = new Uint32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    const saved = this.words.slice();
    for (let i = 0; i < old.length; i += CELL) {
      const kind = old[i]!;
      if (kind === 0) continue;
      for (let w = 0; w < 4; w++) this.words[w] = old[i + 1 + w]!;
      this.place(~this.find(kind), kind);
    }
    this.words.set(saved);
  }
}

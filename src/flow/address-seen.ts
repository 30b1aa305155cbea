import { addressWord, mix32 } from './endpoints.js';
import type { ConnSlots } from './slots.js';
import { DirFlag } from './dir-layout.js';
import type { DirSlots } from './dir-slots.js';

/**
 * When an address last sent a TCP packet in a connection where it sent an ACK (it answered, or was
 * in a connection: a SYN flood's spoofed sources never are), whatever the connection. Read from
 * each direction's last packet time, not per packet: retired connections noted as they retire (a
 * bounded map, AddressLastSent), held ones walked when asked (rules ask only about silent peers).
 */
export class LastSentByAddress {
  private readonly retired = new AddressLastSent();

  constructor(private readonly conns: ConnSlots, private readonly dirs: DirSlots) {}

  /** The connection in `slot` retires: its sides that sent an ACK, with their last packet times. */
  noteRetiring(slot: number): void {
    // Both sides spelled out: a loop over [0, 1] allocated its array at each of 200,000 retirements.
    const d = this.dirs;
    if ((d.bits(d.at(slot, 0)) & DirFlag.LastAckValid) !== 0) this.noteSide(slot, true, d.lastT(slot, 0));
    if ((d.bits(d.at(slot, 1)) & DirFlag.LastAckValid) !== 0) this.noteSide(slot, false, d.lastT(slot, 1));
  }

  private noteSide(slot: number, sideA: boolean, t: number): void {
    const c = this.conns;
    if (c.version(slot) === 4) this.retired.noteV4(c.addrWord(slot, sideA), t);
    else this.retired.note(c.version(slot), c.u, c.addrOffset(slot, sideA), t);
  }

  /** The last capture time the address (IP version 4 or 6, its bytes) sent, retired or in `held` slots; NaN when never. */
  lastSent(version: number, bytes: Uint8Array, held: readonly number[]): number {
    let last = this.retired.lastSent(version, bytes);
    const c = this.conns;
    const d = this.dirs;
    for (const s of held) {
      if (c.version(s) !== version) continue;
      for (const dir of [0, 1] as const) {
        if ((d.bits(d.at(s, dir)) & DirFlag.LastAckValid) === 0 || !c.isAddress(s, dir === 0, bytes)) continue;
        if (!(d.lastT(s, dir) <= last)) last = d.lastT(s, dir);
      }
    }
    return last;
  }
}

/**
 * When each IP address last sent a packet (noted per connection as it retires, FlowTable): what
 * says a host that went silent on one connection was still up on others (LastSentByAddress). An
 * open-addressing map in typed arrays (the address words, the version, the time). Bounded: a new address past MAX empties it and it starts
 * over, so it holds the addresses noted most recently (one asked about after it was emptied is
 * unknown, as if never heard from: never a sign of life that was not seen).
 */
export class AddressLastSent {
  /** Addresses held at most. */
  static readonly MAX = 1 << 13;
  /** Cell i: words [4i, 4i + 4) (IPv4: the first only), versions[i] (0: empty), times[i]. */
  private words = new Uint32Array(4 << 10);
  private versions = new Uint8Array(1 << 10);
  private times = new Float64Array(1 << 10);
  private mask = (1 << 10) - 1;
  private size = 0;
  private readonly key = new Uint32Array(4);
  /** noteV4's address as note's words. */
  private readonly v4Word = new Uint32Array(1);

  /** Loads an address, its words from `words` at `at`, into `key`; its hash. */
  private loadWords(version: number, words: Uint32Array, at: number): number {
    for (let w = 0; w < 4; w++) this.key[w] = w < (version === 4 ? 1 : 4) ? words[at + w]! : 0;
    return this.hashKey(version);
  }

  /** Loads an address's bytes into `key`; its hash. */
  private loadBytes(version: number, bytes: Uint8Array): number {
    for (let w = 0, i = 0; w < 4; w++, i += 4) {
      this.key[w] = w < (version === 4 ? 1 : 4) ? addressWord(bytes, i) : 0;
    }
    return this.hashKey(version);
  }

  private hashKey(version: number): number {
    let h = 0x811c9dc5 ^ version;
    for (let w = 0; w < 4; w++) h = Math.imul(h ^ this.key[w]!, 0x01000193);
    return mix32(h);
  }

  /** The cell holding the loaded key, or the empty cell ending its probe run (~cell: negative). */
  private find(version: number, hash: number): number {
    const { words, versions, key, mask } = this;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const v = versions[i]!;
      if (v === 0) return ~i;
      const at = 4 * i;
      if (v === version && words[at] === key[0] && words[at + 1] === key[1] && words[at + 2] === key[2] && words[at + 3] === key[3]) return i;
    }
  }

  /** The hash of an IPv4 address (its one word): hashKey's with the key loaded, without loading it. */
  private static hashV4(word: number): number {
    let h = Math.imul((0x811c9dc5 ^ 4) ^ word, 0x01000193);
    h = Math.imul(h, 0x01000193);
    h = Math.imul(h, 0x01000193);
    return mix32(Math.imul(h, 0x01000193));
  }

  /**
   * IPv4 address `word` sent a packet at capture time t: note's result, found without loading the
   * key (an IPv4 cell's other words are zero). Most retirements are of addresses already held.
   */
  noteV4(word: number, t: number): void {
    const { words, versions, times, mask } = this;
    for (let i = AddressLastSent.hashV4(word) & mask; ; i = (i + 1) & mask) {
      const v = versions[i]!;
      if (v === 0) break;
      if (v === 4 && words[4 * i] === word) {
        if (t > times[i]!) times[i] = t;
        return;
      }
    }
    // Not through `key`: growing reloads it for every cell moved.
    this.v4Word[0] = word;
    this.note(4, this.v4Word, 0, t);
  }

  /** The address (IP version 4 or 6, its words in `words` from `at`) sent a packet at capture time t. */
  note(version: number, words: Uint32Array, at: number, t: number): void {
    const hash = this.loadWords(version, words, at);
    let i = this.find(version, hash);
    if (i >= 0) {
      if (t > this.times[i]!) this.times[i] = t;
      return;
    }
    if (this.size >= AddressLastSent.MAX) {
      this.versions.fill(0);
      this.size = 0;
      i = this.find(version, hash);
    } else if (2 * (this.size + 1) > this.mask + 1) {
      this.grow();
      i = this.find(version, this.loadWords(version, words, at));
    }
    i = ~i;
    this.words.set(this.key, 4 * i);
    this.versions[i] = version;
    this.times[i] = t;
    this.size++;
  }

  /** The last time this address (IP version 4 or 6, its bytes) sent a packet; NaN when not noted. */
  lastSent(version: number, bytes: Uint8Array): number {
    const i = this.find(version, this.loadBytes(version, bytes));
    return i >= 0 ? this.times[i]! : NaN;
  }

  private grow(): void {
    const { words, versions, times } = this;
    const cells = versions.length * 2;
    this.words = new Uint32Array(4 * cells);
    this.versions = new Uint8Array(cells);
    this.times = new Float64Array(cells);
    this.mask = cells - 1;
    for (let c = 0; c < versions.length; c++) {
      if (versions[c] === 0) continue;
      const i = ~this.find(versions[c]!, this.loadWords(versions[c]!, words, 4 * c));
      this.words.set(this.key, 4 * i);
      this.versions[i] = versions[c]!;
      this.times[i] = times[c]!;
    }
  }
}

import { AddressWords, PartWord, type ConnSlots } from './slots.js';
import { mix32 } from './endpoints.js';

/**
 * The tuple index: held slots by 4-tuple, in chained hash buckets of slot numbers, so a lookup
 * builds no key string. The tuple looked up is the one `load` took (its addresses as words here,
 * module-private: an imported binding is loaded and checked at each use) and the ports.
 */

/** The packet's addresses as 32-bit words (scratch, filled once per packet). */
const srcWords = new Uint32Array(AddressWords.V6);
const dstWords = new Uint32Array(AddressWords.V6);

function loadWords(out: Uint32Array, bytes: Uint8Array, words: number): void {
  for (let w = 0, i = 0; w < words; w++, i += 4) {
    out[w] = ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
  }
}

/** Symmetric hash of the 4-tuple in srcWords/dstWords (the same for both directions). */
function hashTuple(words: number, srcPort: number, dstPort: number): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x811c9dc5;
  for (let i = 0; i < words; i++) {
    h1 = Math.imul(h1 ^ srcWords[i]!, 0x01000193);
    h2 = Math.imul(h2 ^ dstWords[i]!, 0x01000193);
  }
  h1 = Math.imul(h1 ^ srcPort, 0x01000193);
  h2 = Math.imul(h2 ^ dstPort, 0x01000193);
  return mix32(h1 ^ h2) >>> 0;
}

/**
 * The packet's tuple hash (TupleIndex.hash after load), for the decoding side to carry in
 * Packet.tupleHash: the flow table then does not compute it.
 */
export function packetTupleHash(version: number, src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number): number {
  const words = version === 4 ? AddressWords.V4 : AddressWords.V6;
  loadWords(srcWords, src, words);
  loadWords(dstWords, dst, words);
  return hashTuple(words, srcPort, dstPort);
}

export class TupleIndex {
  /** Buckets: slot + 1 of the first slot in each (0: empty). Each slot's hash and chain link are in its row. */
  private heads = new Uint32Array(0);
  private mask = 0;
  /** find()'s second result: the packet's source is the slot's side A (the originator). */
  srcIsA = true;

  constructor(private readonly conns: ConnSlots) {}

  /** New capacity: a power of two of buckets, at least twice the slots; the held slots rehashed. */
  grow(capacity: number, slotsInUse: number): void {
    let buckets = 1;
    while (buckets < capacity * 2) buckets *= 2;
    this.heads = new Uint32Array(buckets);
    this.mask = buckets - 1;
    const c = this.conns;
    for (let s = 0; s < slotsInUse; s++) if (c.id(s) !== 0) this.insert(s, c.word(s, PartWord.IndexHash));
  }

  insert(slot: number, hash: number): void {
    const k = hash & this.mask;
    this.conns.setWord(slot, PartWord.IndexHash, hash);
    this.conns.setWord(slot, PartWord.IndexChain, this.heads[k]!);
    this.heads[k] = slot + 1;
  }

  remove(slot: number): void {
    const c = this.conns;
    const k = c.word(slot, PartWord.IndexHash) & this.mask;
    let s = this.heads[k]!;
    if (s === slot + 1) {
      this.heads[k] = c.word(slot, PartWord.IndexChain);
      return;
    }
    while (s !== 0) {
      const next = c.word(s - 1, PartWord.IndexChain);
      if (next === slot + 1) {
        c.setWord(s - 1, PartWord.IndexChain, c.word(slot, PartWord.IndexChain));
        return;
      }
      s = next;
    }
  }

  /** Takes a packet's addresses (IP version `version`) as the tuple that hash, find and writeAddresses use. */
  load(version: number, src: Uint8Array, dst: Uint8Array): void {
    const words = version === 4 ? AddressWords.V4 : AddressWords.V6;
    loadWords(srcWords, src, words);
    loadWords(dstWords, dst, words);
  }

  /** The loaded tuple's hash with these ports (the same either way round). */
  hash(version: number, srcPort: number, dstPort: number): number {
    return hashTuple(version === 4 ? AddressWords.V4 : AddressWords.V6, srcPort, dstPort);
  }

  /** A new slot's addresses: the loaded source's as side A's when srcIsA, else as side B's. */
  writeAddresses(slot: number, version: number, srcIsA: boolean): void {
    const words = version === 4 ? AddressWords.V4 : AddressWords.V6;
    this.conns.setAddress(slot, true, srcIsA ? srcWords : dstWords, words);
    this.conns.setAddress(slot, false, srcIsA ? dstWords : srcWords, words);
  }

  /** The held slot of the loaded tuple with these ports, either way round (sets srcIsA), or -1. */
  find(version: number, srcPort: number, dstPort: number, hash: number): number {
    const c = this.conns;
    const words = version === 4 ? AddressWords.V4 : AddressWords.V6;
    for (let s = this.heads[hash & this.mask]!; s !== 0; s = c.word(s - 1, PartWord.IndexChain)) {
      const slot = s - 1;
      if (c.word(slot, PartWord.IndexHash) !== hash || c.version(slot) !== version) continue;
      const side = c.tupleSide(slot, srcPort, dstPort, srcWords, dstWords, words);
      if (side !== 0) {
        this.srcIsA = side > 0;
        return slot;
      }
    }
    return -1;
  }
}

import { formatAddress } from '../decode/address.js';
import type { Endpoint } from './types.js';

/**
 * Endpoints from a slot's numbers (address words and port), and the keys the pipeline indexes
 * connections by before any record of them exists.
 */

/**
 * Murmur3's finalizer: every input bit reaches every output bit. FNV alone leaves the low bits
 * (which pick the bucket) to the last bytes hashed, so addresses one apart with ports one apart
 * collided by the thousand (a capture of many short connections from a few clients).
 */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The 32-bit address word of `bytes` at byte `i` (network order). */
export function addressWord(bytes: Uint8Array, i: number): number {
  return ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
}

/** A 31-bit hash of an endpoint's address words (from `at`) and port (a Map key V8 keeps unboxed). */
export function endpointKey(addr: Uint32Array, at: number, words: number, port: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < words; i++) h = Math.imul(h ^ addr[at + i]!, 0x01000193);
  h = Math.imul(h ^ port, 0x01000193);
  return (mix32(h) << 1) >> 1;
}

/**
 * The pipeline's witness-index hash of an IPv4 connection (client address word, server address
 * word, server port): a small integer (src/analysis/witnesses.ts).
 */
export function witnessHashOf(clientWord: number, serverWord: number, port: number): number {
  return (Math.imul(clientWord, 0x9e3779b1) ^ Math.imul(serverWord, 0x85ebca6b) ^ Math.imul(port, 0xc2b2ae35)) & 0x3fffffff;
}

/** IPv4 address strings by address, bounded: a capture's clients and servers recur. */
const v4Names = new Map<number, string>();
const V4_NAMES_MAX = 65536;
const scratchBytes = new Uint8Array(16);

function v4Name(word: number): string {
  let name = v4Names.get(word);
  if (name === undefined) {
    if (v4Names.size >= V4_NAMES_MAX) v4Names.clear();
    name = `${word >>> 24}.${(word >>> 16) & 255}.${(word >>> 8) & 255}.${word & 255}`;
    v4Names.set(word, name);
  }
  return name;
}

/** Responder ("ip:port") strings of IPv4 endpoints, bounded: a capture's servers recur. */
const v4RespTexts = new Map<number, string>();

/**
 * The endpoint whose address words start at `at` in `words`. `shared`: its text is cached (a
 * responder; clients' ports rarely recur).
 */
export function endpointOf(words: Uint32Array, at: number, version: 4 | 6, port: number, shared: boolean): Endpoint {
  if (version === 4) {
    const word = words[at]!;
    const addr = v4Name(word);
    if (!shared) return { version, addr, port, text: `${addr}:${port}` };
    const key = word * 65536 + port;
    let text = v4RespTexts.get(key);
    if (text === undefined) {
      if (v4RespTexts.size >= V4_NAMES_MAX) v4RespTexts.clear();
      text = `${addr}:${port}`;
      v4RespTexts.set(key, text);
    }
    return { version, addr, port, text };
  }
  for (let w = 0; w < 4; w++) {
    const x = words[at + w]!;
    scratchBytes[w * 4] = x >>> 24;
    scratchBytes[w * 4 + 1] = (x >>> 16) & 255;
    scratchBytes[w * 4 + 2] = (x >>> 8) & 255;
    scratchBytes[w * 4 + 3] = x & 255;
  }
  const addr = formatAddress(scratchBytes, 6);
  return { version, addr, port, text: `[${addr}]:${port}` };
}

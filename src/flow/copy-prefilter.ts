import { Transport, type Packet } from '../decode/packet.js';
import type { Frame } from '../capture/types.js';
import { COPY_WINDOW } from './copies.js';
import { mix32 } from './endpoints.js';
import { packetTupleHash } from './tuple-index.js';

/**
 * One remembered fingerprint, in 32-bit words: its doubles first (8-byte aligned, read through the
 * same memory seen as doubles at word / 2), then the fingerprint; 32 bytes.
 */
const enum Entry {
  /** The entry's own running number (double): the ring position is valid while it matches. */
  Number = 0,
  /** Running number of the next older entry in the same bucket (double), or -1. */
  Older = 2,
  /** Capture seconds (double). */
  Time = 4,
  Fingerprint = 6,
  Size = 8,
}

const INITIAL_ENTRIES = 4096;

/**
 * Marks the TCP packets that cannot be copies (Packet.unrepeated), before the flow table sees them
 * and where the packets are decoded — on the decoding thread when there is one, which waits on the
 * analysis most of the time. The flow table's copy window (src/flow/copies.ts) then skips its
 * lookup for them. The packet's tuple hash, which the fingerprint begins with, is carried for the
 * flow table's index too (Packet.tupleHash).
 *
 * The copy window compares a packet only with earlier packets of its connection's direction that
 * have the same sequence and acknowledgement numbers, flags, payload length, IP ID and TSval within
 * COPY_WINDOW seconds. Such a packet has the same fingerprint here (the directed 4-tuple and those
 * fields, hashed), so a packet whose fingerprint was not seen within the window has no such
 * predecessor: unrepeated, exactly. A fingerprint seen (the packet repeated, or another one hashed
 * alike) only sends it the full way. The window's times are the flow table's, computed the same
 * way from the frame.
 *
 * While capture times never step back, a fingerprint older than the window can match no later
 * packet, so the ring may overwrite it (it grows instead when the entry it would overwrite is
 * within the window). A capture whose clock steps back turns the filter off for the rest of it:
 * every later packet goes the full way, as without the filter.
 */
export class CopyPrefilter {
  private capacity = 0;
  private mask = 0;
  private words = new Int32Array(0);
  private doubles = new Float64Array(0);
  /** Newest entry's running number per bucket, or -1. */
  private heads = new Float64Array(0);
  private bucketMask = 0;
  /** The next entry's running number. */
  private count = 0;
  /** The latest capture time seen; a packet before it turns the filter off. */
  private latest = -Infinity;
  private off = false;

  constructor() {
    this.resize(INITIAL_ENTRIES);
  }

  /**
   * For a TCP packet (p as decoded from frame): its tuple hash, and unrepeated when no like of it
   * was seen within the copy window.
   */
  mark(frame: Frame, p: Packet): void {
    if (p.transport !== Transport.Tcp || p.ipVersion === 0) return;
    p.tupleHash = packetTupleHash(p.ipVersion, p.src, p.dst, p.srcPort, p.dstPort);
    if (this.off) return;
    // The flow table's clock (FlowTable.observeTcp), to the same double.
    const t = frame.tsSec + frame.tsNsec / 1e9;
    if (t < this.latest) {
      this.off = true;
      return;
    }
    this.latest = t;
    const fingerprint = fingerprintOf(p);
    const b = this.bucket(fingerprint);
    let seen = false;
    for (let n = this.heads[b]!; n >= 0;) {
      const o = (n & this.mask) * Entry.Size;
      // Overwritten, or past the window (times never step back here): so is the rest of the chain.
      if (this.doubles[(o + Entry.Number) >> 1] !== n || t - this.doubles[(o + Entry.Time) >> 1]! > COPY_WINDOW) break;
      if (this.words[o + Entry.Fingerprint] === fingerprint) {
        seen = true;
        break;
      }
      n = this.doubles[(o + Entry.Older) >> 1]!;
    }
    p.unrepeated = !seen;
    this.remember(fingerprint, b, t);
  }

  private remember(fingerprint: number, b: number, t: number): void {
    const n = this.count;
    let o = (n & this.mask) * Entry.Size;
    if (this.doubles[(o + Entry.Number) >> 1] === n - this.capacity && t - this.doubles[(o + Entry.Time) >> 1]! <= COPY_WINDOW) {
      this.resize(this.capacity * 2);
      o = (n & this.mask) * Entry.Size;
      b = this.bucket(fingerprint);
    }
    this.doubles[(o + Entry.Number) >> 1] = n;
    this.doubles[(o + Entry.Time) >> 1] = t;
    this.words[o + Entry.Fingerprint] = fingerprint;
    this.doubles[(o + Entry.Older) >> 1] = this.heads[b]!;
    this.heads[b] = n;
    this.count = n + 1;
  }

  private bucket(fingerprint: number): number {
    return fingerprint & this.bucketMask;
  }

  private resize(capacity: number): void {
    const oldWords = this.words;
    const oldDoubles = this.doubles;
    const oldMask = this.mask;
    const live = Math.min(this.count, this.capacity);
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.words = new Int32Array(capacity * Entry.Size);
    this.doubles = new Float64Array(this.words.buffer);
    for (let e = 0; e < capacity; e++) this.doubles[(e * Entry.Size + Entry.Number) >> 1] = -1;
    const buckets = 2 * capacity;
    this.heads = new Float64Array(buckets).fill(-1);
    this.bucketMask = buckets - 1;
    // The live entries again, oldest first, so the chains come out newest first.
    for (let n = this.count - live; n < this.count; n++) {
      const from = (n & oldMask) * Entry.Size;
      if (oldDoubles[(from + Entry.Number) >> 1] !== n) continue;
      const to = (n & this.mask) * Entry.Size;
      this.words.set(oldWords.subarray(from, from + Entry.Size), to);
      const b = this.bucket(this.words[to + Entry.Fingerprint]!);
      this.doubles[(to + Entry.Older) >> 1] = this.heads[b]!;
      this.heads[b] = n;
    }
  }
}

/**
 * A hash of what the copy window compares (CopyWindow.sameFields) and of the packet's connection
 * (its tuple hash) and direction (the ports in order): alike for a copy and its original.
 */
function fingerprintOf(p: Packet): number {
  let h = Math.imul(0x811c9dc5 ^ p.tupleHash, 0x01000193);
  h = Math.imul(h ^ ((p.srcPort << 16) | p.dstPort), 0x01000193);
  h = Math.imul(h ^ p.seq, 0x01000193);
  h = Math.imul(h ^ p.ack, 0x01000193);
  h = Math.imul(h ^ (p.flags | (p.hasTimestamps ? 1 << 9 : 0)), 0x01000193);
  h = Math.imul(h ^ p.payloadLength, 0x01000193);
  h = Math.imul(h ^ p.ipId, 0x01000193);
  h = Math.imul(h ^ (p.hasTimestamps ? p.tsVal : 0), 0x01000193);
  return mix32(h);
}

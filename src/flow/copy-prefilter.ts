import { Transport, type Packet } from '../decode/packet.js';
import type { Frame } from '../capture/types.js';
import { COPY_WINDOW } from './copies.js';
import { mix32 } from './endpoints.js';
import { packetTupleHash } from './tuple-index.js';
import { ChainedRing, RingWord } from './chained-ring.js';

/** One remembered fingerprint after the ring's words (chained-ring.ts), in 32-bit words; 32 bytes. */
const enum Entry {
  Number = RingWord.Number,
  Older = RingWord.Older,
  /** Capture seconds (double). */
  Time = RingWord.Fields,
  Fingerprint = Time + 2,
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
export class CopyPrefilter extends ChainedRing {
  /** The latest capture time seen; a packet before it turns the filter off. */
  private latest = -Infinity;
  private off = false;

  constructor() {
    super(Entry.Size, 2, 0);
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
      const o = this.at(n);
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
    let o = this.at(n);
    if (this.overwrites(o, n) && t - this.doubles[(o + Entry.Time) >> 1]! <= COPY_WINDOW) {
      this.resize(this.capacity * 2);
      o = this.at(n);
      b = this.bucket(fingerprint);
    }
    this.doubles[(o + Entry.Time) >> 1] = t;
    this.words[o + Entry.Fingerprint] = fingerprint;
    this.link(n, o, b);
  }

  private bucket(fingerprint: number): number {
    return fingerprint & this.bucketMask;
  }

  protected bucketOf(o: number): number {
    return this.bucket(this.words[o + Entry.Fingerprint]!);
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

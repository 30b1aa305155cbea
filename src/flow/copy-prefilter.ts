import { Transport, type Packet } from '../decode/packet.js';
import type { Frame } from '../capture/types.js';
import { COPY_WINDOW } from './copies.js';
import { mix32 } from './endpoints.js';
import { packetTupleHash } from './tuple-index.js';
import { RecentKeys } from './recent-keys.js';

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
 * alike) only sends it the full way. The window's times are the flow table's (RecentKeys.clock).
 */
export class CopyPrefilter extends RecentKeys {
  constructor() {
    super(COPY_WINDOW, 2);
  }

  /**
   * For a TCP packet (p as decoded from frame): its tuple hash, and unrepeated when no like of it
   * was seen within the copy window.
   */
  mark(frame: Frame, p: Packet): void {
    if (p.transport !== Transport.Tcp || p.ipVersion === 0) return;
    p.tupleHash = packetTupleHash(p.ipVersion, p.src, p.dst, p.srcPort, p.dstPort);
    if (!this.clock(frame)) return;
    const fingerprint = fingerprintOf(p);
    const b = this.bucket(fingerprint);
    p.unrepeated = !this.seen(fingerprint, b);
    this.remember(fingerprint, b);
  }

  protected bucket(fingerprint: number): number {
    return fingerprint & this.bucketMask;
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

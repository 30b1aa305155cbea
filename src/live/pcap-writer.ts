/**
 * A streaming classic-pcap writer: nanosecond timestamps (magic 0xa1b23c4d, little-endian), one
 * link type. Records are copied into a fixed chunk and written to the file when it fills (and on
 * `flush`), so memory stays bounded however long the capture runs and the caller may reuse its
 * packet buffer as soon as `write` returns.
 */
import { ChunkedFile } from '../capture/chunked-file.js';

const NS_MAGIC = 0xa1b23c4d;
const CHUNK = 1 << 20;

export class PcapWriter extends ChunkedFile {
  /** Bytes written so far (header + records), flushed or not. */
  bytes = 0;
  packets = 0;

  constructor(path: string, readonly linkType: number, readonly snapLen: number) {
    super(path, Math.max(CHUNK, 16 + snapLen));
    const h = this.chunk;
    h.writeUInt32LE(NS_MAGIC, 0);
    h.writeUInt16LE(2, 4); // version 2.4
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8); // thiszone
    h.writeUInt32LE(0, 12); // sigfigs
    h.writeUInt32LE(snapLen >>> 0, 16);
    h.writeUInt32LE(linkType >>> 0, 20);
    this.used = 24;
    this.bytes = 24;
  }

  /** One record; `data` is copied (at most snapLen bytes), `originalLength` is the wire length. */
  write(tsSec: number, tsNsec: number, data: Uint8Array, originalLength: number): void {
    const caplen = Math.min(data.length, this.snapLen);
    this.room(16 + caplen);
    const c = this.chunk;
    let p = this.used;
    c.writeUInt32LE(tsSec >>> 0, p);
    c.writeUInt32LE(tsNsec >>> 0, p + 4);
    c.writeUInt32LE(caplen, p + 8);
    c.writeUInt32LE(Math.max(originalLength, caplen) >>> 0, p + 12);
    p += 16;
    c.set(caplen === data.length ? data : data.subarray(0, caplen), p);
    this.used = p + caplen;
    this.bytes += 16 + caplen;
    this.packets++;
  }
}

/**
 * A streaming pcapng writer (little-endian, one section): interface description blocks and
 * enhanced packet blocks with opt_comment options. Blocks are copied into a fixed chunk and
 * written when it fills, so memory stays bounded whatever the capture's size; the caller may reuse
 * its packet buffer as soon as `packet` returns.
 */
import { ChunkedFile } from './chunked-file.js';
import { BT_EPB, BT_IDB, PCAPNG_BOM, PCAPNG_SHB } from './pcapng-blocks.js';
import { IF_DESCRIPTION, IF_NAME, IF_TSRESOL, OPT_COMMENT } from './pcapng-options.js';

const SHB_USERAPPL = 4;
const CHUNK = 1 << 20;

export interface WriterInterface {
  linkType: number;
  snapLen: number;
  name: string | null;
  description: string | null;
  /** Decimal digits of the timestamps (6: µs, 9: ns). */
  tsDigits: number;
}

const pad4 = (n: number): number => (n + 3) & ~3;

/** Encoded options (code, length, value padded to 4) followed by opt_endofopt; empty when none. */
function options(list: [number, Buffer][]): Buffer {
  if (list.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const [code, value] of list) {
    const head = Buffer.alloc(4);
    head.writeUInt16LE(code, 0);
    head.writeUInt16LE(value.length, 2);
    parts.push(head, value, Buffer.alloc(pad4(value.length) - value.length));
  }
  parts.push(Buffer.alloc(4)); // opt_endofopt, length 0
  return Buffer.concat(parts);
}

/** A string option's value; pcapng options hold at most 65535 bytes. */
function text(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return b.length <= 0xffff ? b : b.subarray(0, 0xffff);
}

export class PcapngWriter extends ChunkedFile {
  private readonly digits: number[] = [];
  packets = 0;
  bytes = 0;

  constructor(path: string, userAppl: string) {
    super(path, CHUNK);
    const opts = options([[SHB_USERAPPL, text(userAppl)]]);
    const body = Buffer.alloc(16);
    body.writeUInt32LE(PCAPNG_BOM, 0);
    body.writeUInt16LE(1, 4); // version 1.0
    body.writeUInt16LE(0, 6);
    body.writeInt32LE(-1, 8); // section length unknown
    body.writeInt32LE(-1, 12);
    this.block(PCAPNG_SHB, [body, opts]);
  }

  /** Interfaces declared so far. */
  get interfaces(): number {
    return this.digits.length;
  }

  /** Declares the next interface (ids count from 0 in call order). */
  addInterface(i: WriterInterface): number {
    const head = Buffer.alloc(8);
    head.writeUInt16LE(i.linkType, 0);
    head.writeUInt32LE(i.snapLen >>> 0, 4);
    const opts: [number, Buffer][] = [];
    if (i.name !== null) opts.push([IF_NAME, text(i.name)]);
    if (i.description !== null) opts.push([IF_DESCRIPTION, text(i.description)]);
    if (i.tsDigits !== 6) opts.push([IF_TSRESOL, Buffer.from([i.tsDigits])]);
    this.block(BT_IDB, [head, options(opts)]);
    this.digits.push(i.tsDigits);
    return this.digits.length - 1;
  }

  /** One packet on interface `ifid`; each comment becomes one opt_comment. */
  packet(ifid: number, tsSec: number, tsNsec: number, data: Uint8Array, originalLength: number, comments: readonly string[]): void {
    const digits = this.digits[ifid];
    if (digits === undefined) throw new Error(`pcapng writer: interface ${ifid} not declared`);
    const units = BigInt(tsSec) * 10n ** BigInt(digits) + BigInt(Math.floor(tsNsec / 10 ** (9 - digits)));
    const head = Buffer.alloc(20);
    head.writeUInt32LE(ifid, 0);
    head.writeUInt32LE(Number((units >> 32n) & 0xffffffffn), 4);
    head.writeUInt32LE(Number(units & 0xffffffffn), 8);
    head.writeUInt32LE(data.length, 12);
    head.writeUInt32LE(Math.max(originalLength, data.length) >>> 0, 16);
    const padding = Buffer.alloc(pad4(data.length) - data.length);
    this.block(BT_EPB, [head, data, padding, options(comments.map((c) => [OPT_COMMENT, text(c)]))]);
    this.packets++;
  }

  private block(type: number, parts: Uint8Array[]): void {
    let len = 12;
    for (const p of parts) len += p.length;
    this.room(len);
    const c = this.chunk;
    let p = this.used;
    c.writeUInt32LE(type, p);
    c.writeUInt32LE(len, p + 4);
    p += 8;
    for (const part of parts) {
      c.set(part, p);
      p += part.length;
    }
    c.writeUInt32LE(len, p);
    this.used = p + 4;
    this.bytes += len;
  }
}

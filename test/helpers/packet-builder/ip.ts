/** IPv4 and IPv6 (with extension headers) builders; they fill in the checksums of their payload. */

import { addrBytes, concat, fillTransportChecksum, inetChecksum, put16, put32 } from './bytes.js';

export interface Ipv4Opts {
  src: string;
  dst: string;
  proto: number;
  ttl?: number;
  id?: number;
  /** Raw flags bits (0x4000 DF, 0x2000 MF) or 'DF' / 'MF'. */
  flags?: number | 'DF' | 'MF';
  /** Fragment offset in bytes (multiple of 8). */
  fragOffset?: number;
  /** IP options (padded to a multiple of 4). */
  options?: Uint8Array;
  /** Override the total length field. */
  totalLength?: number;
  checksum?: boolean;
  tos?: number;
}

export function ipv4(o: Ipv4Opts, payload: Uint8Array): Uint8Array {
  const opt = o.options ?? new Uint8Array(0);
  const optLen = (opt.length + 3) & ~3;
  const hl = 20 + optLen;
  const h = new Uint8Array(hl);
  h[0] = 0x40 | (hl / 4);
  h[1] = o.tos ?? 0;
  put16(h, 2, o.totalLength ?? hl + payload.length);
  put16(h, 4, o.id ?? 0x1234);
  const fl = o.flags === 'DF' ? 0x4000 : o.flags === 'MF' ? 0x2000 : (o.flags ?? 0);
  put16(h, 6, fl | ((o.fragOffset ?? 0) >> 3));
  h[8] = o.ttl ?? 64;
  h[9] = o.proto;
  const src = addrBytes(o.src);
  const dst = addrBytes(o.dst);
  h.set(src, 12);
  h.set(dst, 16);
  h.set(opt, 20);
  if (o.checksum !== false) put16(h, 10, inetChecksum(h));
  let p = payload;
  const fragmented = (o.fragOffset ?? 0) > 0 || (fl & 0x2000) !== 0;
  if (o.checksum !== false && !fragmented) {
    const pseudo = new Uint8Array(12);
    pseudo.set(src, 0);
    pseudo.set(dst, 4);
    pseudo[9] = o.proto;
    put16(pseudo, 10, payload.length);
    p = fillTransportChecksum(o.proto, pseudo, payload);
  }
  return concat(h, p);
}

export interface Ipv6Ext {
  /** 0 hop-by-hop, 43 routing, 60 destination options, 44 fragment, 51 AH. */
  type: number;
  /** Body after the next-header/length bytes (hop-by-hop etc.; padded to 8n-2) or AH body after 2 bytes. */
  data?: Uint8Array;
  /** Fragment header fields. */
  fragOffset?: number;
  more?: boolean;
  id?: number;
}

export interface Ipv6Opts {
  src: string;
  dst: string;
  nextHeader: number;
  hopLimit?: number;
  ext?: Ipv6Ext[];
  /** Override the payload length field. */
  payloadLength?: number;
  checksum?: boolean;
  flowLabel?: number;
}

function ext6(e: Ipv6Ext, next: number): Uint8Array {
  if (e.type === 44) {
    const b = new Uint8Array(8);
    b[0] = next;
    put16(b, 2, (e.fragOffset ?? 0) | (e.more ? 1 : 0));
    put32(b, 4, e.id ?? 0xabcd);
    return b;
  }
  if (e.type === 51) {
    const body = e.data ?? new Uint8Array(10); // SPI + seq + 2 bytes ICV... keep 4-byte multiple
    const len = (2 + body.length + 3) & ~3;
    const b = new Uint8Array(len);
    b[0] = next;
    b[1] = len / 4 - 2;
    b.set(body, 2);
    return b;
  }
  // hop-by-hop / routing / destination options
  const body = e.data ?? new Uint8Array([1, 4, 0, 0, 0, 0]); // PadN
  const len = (2 + body.length + 7) & ~7;
  const b = new Uint8Array(len);
  b[0] = next;
  b[1] = len / 8 - 1;
  b.set(body, 2);
  if (body.length < len - 2) {
    // pad the rest with a PadN option
    const rest = len - 2 - body.length;
    if (rest === 1) b[2 + body.length] = 0;
    else {
      b[2 + body.length] = 1;
      b[3 + body.length] = rest - 2;
    }
  }
  return b;
}

export function ipv6(o: Ipv6Opts, payload: Uint8Array): Uint8Array {
  const exts = o.ext ?? [];
  const chain: Uint8Array[] = [];
  for (let i = 0; i < exts.length; i++) {
    const next = i + 1 < exts.length ? exts[i + 1]!.type : o.nextHeader;
    chain.push(ext6(exts[i]!, next));
  }
  const src = addrBytes(o.src);
  const dst = addrBytes(o.dst);
  let p = payload;
  const fragmented = exts.some((e) => e.type === 44 && ((e.fragOffset ?? 0) > 0 || e.more));
  if (o.checksum !== false && !fragmented) {
    const pseudo = new Uint8Array(40);
    pseudo.set(src, 0);
    pseudo.set(dst, 16);
    put32(pseudo, 32, payload.length);
    pseudo[39] = o.nextHeader;
    p = fillTransportChecksum(o.nextHeader, pseudo, payload);
  }
  const body = concat(...chain, p);
  const h = new Uint8Array(40);
  put32(h, 0, (0x6 << 28) | (o.flowLabel ?? 0));
  put16(h, 4, o.payloadLength ?? body.length);
  h[6] = exts.length > 0 ? exts[0]!.type : o.nextHeader;
  h[7] = o.hopLimit ?? 64;
  h.set(src, 8);
  h.set(dst, 24);
  return concat(h, body);
}

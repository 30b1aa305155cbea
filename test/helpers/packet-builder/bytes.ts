/** Byte helpers shared by the packet builders: writing fields, addresses, checksums. */

import ipaddr from 'ipaddr.js';

export function concat(...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}
export function put32le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

/** Address text → bytes (4 for IPv4, 16 for IPv6). */
export function addrBytes(a: string): Uint8Array {
  return Uint8Array.from(ipaddr.parse(a).toByteArray());
}

export function macBytes(m: string): Uint8Array {
  return Uint8Array.from(m.split(':').map((x) => parseInt(x, 16)));
}

/** Internet checksum (RFC 1071) over the concatenation of `parts`. */
export function inetChecksum(...parts: Uint8Array[]): number {
  const b = concat(...parts);
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (i + 1 < b.length ? b[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Offset of the checksum field in a transport header, or -1 when not computed here. */
function checksumOffset(proto: number): number {
  return proto === 6 ? 16 : proto === 17 ? 6 : proto === 58 ? 2 : -1;
}

export function fillTransportChecksum(proto: number, pseudo: Uint8Array, payload: Uint8Array): Uint8Array {
  const off = checksumOffset(proto);
  if (off < 0 || payload.length < off + 2) return payload;
  const p = payload.slice();
  put16(p, off, 0);
  let c = inetChecksum(pseudo, p);
  if (proto === 17 && c === 0) c = 0xffff;
  put16(p, off, c);
  return p;
}

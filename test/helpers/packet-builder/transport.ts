/** TCP, UDP and ICMP/ICMPv6 builders. */

import { concat, inetChecksum, put16, put32 } from './bytes.js';

export type TcpFlags = 'S' | 'SA' | 'R' | 'RA' | 'A' | 'PA' | 'FA' | 'FPA' | 'F' | 'P' | number;

const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80 };

export interface TcpOpts {
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: TcpFlags;
  window?: number;
  mss?: number;
  wscale?: number;
  sackPerm?: boolean;
  /** SACK blocks [left, right]. */
  sack?: [number, number][];
  ts?: [number, number];
  /** Raw options appended after the ones above (padded with NOPs to a multiple of 4). */
  options?: Uint8Array;
  /** Override the data offset (header length in bytes). */
  headerLength?: number;
}

export function tcpFlagBits(f: TcpFlags): number {
  if (typeof f === 'number') return f;
  let v = 0;
  for (const c of f) v |= FLAG_BITS[c] ?? 0;
  return v;
}

export function tcp(o: TcpOpts, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const opts: number[] = [];
  if (o.mss !== undefined) opts.push(2, 4, (o.mss >> 8) & 0xff, o.mss & 0xff);
  if (o.sackPerm) opts.push(4, 2);
  if (o.ts) {
    const b = new Uint8Array(10);
    b[0] = 8;
    b[1] = 10;
    put32(b, 2, o.ts[0]);
    put32(b, 6, o.ts[1]);
    opts.push(...b);
  }
  if (o.wscale !== undefined) opts.push(1, 3, 3, o.wscale);
  if (o.sack && o.sack.length > 0) {
    const b = new Uint8Array(2 + 8 * o.sack.length);
    b[0] = 5;
    b[1] = b.length;
    o.sack.forEach(([l, r], i) => {
      put32(b, 2 + 8 * i, l);
      put32(b, 6 + 8 * i, r);
    });
    opts.push(1, 1, ...b);
  }
  if (o.options) opts.push(...o.options);
  while (opts.length % 4 !== 0) opts.push(1);
  const hl = 20 + opts.length;
  const h = new Uint8Array(hl);
  put16(h, 0, o.sport);
  put16(h, 2, o.dport);
  put32(h, 4, o.seq >>> 0);
  put32(h, 8, (o.ack ?? 0) >>> 0);
  h[12] = ((o.headerLength ?? hl) / 4) << 4;
  h[13] = tcpFlagBits(o.flags);
  put16(h, 14, o.window ?? 65535);
  h.set(opts, 20);
  return concat(h, payload);
}

export function udp(o: { sport: number; dport: number; length?: number }, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = new Uint8Array(8);
  put16(h, 0, o.sport);
  put16(h, 2, o.dport);
  put16(h, 4, o.length ?? 8 + payload.length);
  return concat(h, payload);
}

/**
 * ICMPv4 error (default type 3 destination unreachable, code 3 port unreachable) quoting
 * `original` (an IPv4 packet): its header plus 8 bytes by default, `quoteLength` to change.
 */
export function icmpUnreachable(o: { type?: number; code?: number; quoteLength?: number; mtu?: number }, original: Uint8Array): Uint8Array {
  const ihl = (original[0]! & 0x0f) * 4;
  const q = original.subarray(0, Math.min(original.length, o.quoteLength ?? ihl + 8));
  const h = new Uint8Array(8);
  h[0] = o.type ?? 3;
  h[1] = o.code ?? 3;
  if (o.mtu !== undefined) put16(h, 6, o.mtu);
  const m = concat(h, q);
  put16(m, 2, inetChecksum(m));
  return m;
}

/** ICMP echo request/reply (type 8 / 0): not an error. */
export function icmpEcho(o: { type?: number; id?: number; seq?: number }, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = new Uint8Array(8);
  h[0] = o.type ?? 8;
  put16(h, 4, o.id ?? 1);
  put16(h, 6, o.seq ?? 1);
  const m = concat(h, data);
  put16(m, 2, inetChecksum(m));
  return m;
}

/**
 * ICMPv6 error (default type 1 destination unreachable, code 4 port unreachable) quoting as much
 * of `original` (an IPv6 packet) as given (`quoteLength` to cut). The checksum is filled in by ipv6().
 */
export function icmp6Error(o: { type?: number; code?: number; quoteLength?: number; mtu?: number }, original: Uint8Array): Uint8Array {
  const q = original.subarray(0, Math.min(original.length, o.quoteLength ?? original.length));
  const h = new Uint8Array(8);
  h[0] = o.type ?? 1;
  h[1] = o.code ?? 4;
  if (o.mtu !== undefined) put32(h, 4, o.mtu);
  return concat(h, q);
}

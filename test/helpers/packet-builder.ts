/**
 * Minimal packet builders for unit-test captures. Each returns a fresh Uint8Array; compose them
 * from the inside out:
 *
 *   const syn = ethernet({ type: 0x0800 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 },
 *                 tcp({ sport: 40000, dport: 80, seq: 1, flags: 'S', mss: 1460 })));
 *   const f = frame(syn);                       // a Frame for Decoder.decode
 *   writeFileSync('x.pcap', pcapFile(1, [syn])); // a classic pcap for tshark or the reader
 *
 * ipv4()/ipv6() fill in the IPv4 header checksum and the TCP/UDP/ICMPv6 checksum of their payload
 * (pseudo-header included), so tshark shows them as valid; pass `checksum: false` to keep zeros.
 */

import ipaddr from 'ipaddr.js';
import type { Frame } from '../../src/capture/types.js';

export type TcpFlags = 'S' | 'SA' | 'R' | 'RA' | 'A' | 'PA' | 'FA' | 'F' | 'P' | number;

const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80 };

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

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}
function put32le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

/** Address text → bytes (4 for IPv4, 16 for IPv6). */
export function addrBytes(a: string): Uint8Array {
  return Uint8Array.from(ipaddr.parse(a).toByteArray());
}

function macBytes(m: string): Uint8Array {
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

function fillTransportChecksum(proto: number, pseudo: Uint8Array, payload: Uint8Array): Uint8Array {
  const off = checksumOffset(proto);
  if (off < 0 || payload.length < off + 2) return payload;
  const p = payload.slice();
  put16(p, off, 0);
  let c = inetChecksum(pseudo, p);
  if (proto === 17 && c === 0) c = 0xffff;
  put16(p, off, c);
  return p;
}

// ---------------------------------------------------------------- link layers

export interface EthernetOpts {
  src?: string;
  dst?: string;
  /** VLAN ids, outermost first. */
  vlan?: number[];
  /** TPIDs for the tags (default: 0x88a8 for all outer tags when there are several, 0x8100 inner). */
  tpid?: number[];
  type: number;
}

export function ethernet(o: EthernetOpts, payload: Uint8Array): Uint8Array {
  const vl = o.vlan ?? [];
  const h = new Uint8Array(14 + 4 * vl.length);
  h.set(macBytes(o.dst ?? '02:00:00:00:00:02'), 0);
  h.set(macBytes(o.src ?? '02:00:00:00:00:01'), 6);
  let p = 12;
  vl.forEach((id, i) => {
    const tpid = o.tpid?.[i] ?? (i < vl.length - 1 ? 0x88a8 : 0x8100);
    put16(h, p, tpid);
    put16(h, p + 2, id & 0x0fff);
    p += 4;
  });
  put16(h, p, o.type);
  return concat(h, payload);
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113). pktType: 0 host … 4 outgoing. */
export function sll(o: { pktType: number; protocol: number; arphrd?: number; addr?: string }, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(16);
  put16(h, 0, o.pktType);
  put16(h, 2, o.arphrd ?? 1);
  const mac = macBytes(o.addr ?? '02:00:00:00:00:01');
  put16(h, 4, mac.length);
  h.set(mac, 6);
  put16(h, 14, o.protocol);
  return concat(h, payload);
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276): what `tcpdump -i any` writes. */
export function sll2(o: { ifIndex: number; pktType: number; protocol: number; arphrd?: number; addr?: string }, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(20);
  put16(h, 0, o.protocol);
  put32(h, 4, o.ifIndex);
  put16(h, 8, o.arphrd ?? 1);
  h[10] = o.pktType;
  const mac = macBytes(o.addr ?? '02:00:00:00:00:01');
  h[11] = mac.length;
  h.set(mac, 12);
  return concat(h, payload);
}

/** BSD loopback: LINKTYPE_NULL (0) in host order (little-endian by default), LINKTYPE_LOOP (108) in network order. */
export function nullLoopback(o: { af: number; bigEndian?: boolean }, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(4);
  if (o.bigEndian) put32(h, 0, o.af);
  else put32le(h, 0, o.af);
  return concat(h, payload);
}

/**
 * LINKTYPE_NFLOG (239): header (family 2 AF_INET / 10 AF_INET6, version 0, resource id), then
 * an NFULA_PREFIX TLV and the NFULA_PAYLOAD (type 9) TLV holding the packet (little-endian TLVs).
 */
export function nflog(o: { af: number; group?: number; prefix?: string }, payload: Uint8Array): Uint8Array {
  const tlv = (type: number, body: Uint8Array): Uint8Array => {
    const len = 4 + body.length;
    const b = new Uint8Array((len + 3) & ~3);
    b[0] = len & 0xff;
    b[1] = len >> 8;
    b[2] = type & 0xff;
    b[3] = type >> 8;
    b.set(body, 4);
    return b;
  };
  const h = new Uint8Array(4);
  h[0] = o.af;
  put16(h, 2, o.group ?? 5);
  const prefix = new TextEncoder().encode((o.prefix ?? 'rstdiag') + '\0');
  return concat(h, tlv(10, prefix), tlv(9, payload));
}

// ---------------------------------------------------------------- IP

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

// ---------------------------------------------------------------- transport

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

// ---------------------------------------------------------------- tunnels

/** VXLAN header + inner Ethernet frame (wrap in udp({dport: 4789 or 8472})). */
export function vxlan(o: { vni: number }, innerEthernet: Uint8Array): Uint8Array {
  const h = new Uint8Array(8);
  h[0] = 0x08;
  h[4] = (o.vni >>> 16) & 0xff;
  h[5] = (o.vni >>> 8) & 0xff;
  h[6] = o.vni & 0xff;
  return concat(h, innerEthernet);
}

/** Geneve header (wrap in udp({dport: 6081})); protocol 0x6558 (Ethernet, default), 0x0800, 0x86dd. */
export function geneve(o: { vni: number; protocol?: number; options?: Uint8Array }, payload: Uint8Array): Uint8Array {
  const opt = o.options ?? new Uint8Array(0);
  const optLen = (opt.length + 3) & ~3;
  const h = new Uint8Array(8 + optLen);
  h[0] = (optLen / 4) & 0x3f;
  put16(h, 2, o.protocol ?? 0x6558);
  h[4] = (o.vni >>> 16) & 0xff;
  h[5] = (o.vni >>> 8) & 0xff;
  h[6] = o.vni & 0xff;
  h.set(opt, 8);
  return concat(h, payload);
}

/** GRE (version 0) with optional checksum, key and sequence number (wrap in IP protocol 47). */
export function gre(o: { protocol: number; checksum?: boolean; key?: number; seq?: number }, payload: Uint8Array): Uint8Array {
  let fl = 0;
  let len = 4;
  if (o.checksum) { fl |= 0x8000; len += 4; }
  if (o.key !== undefined) { fl |= 0x2000; len += 4; }
  if (o.seq !== undefined) { fl |= 0x1000; len += 4; }
  const h = new Uint8Array(len);
  put16(h, 0, fl);
  put16(h, 2, o.protocol);
  let p = 4;
  const csumAt = p;
  if (o.checksum) p += 4;
  if (o.key !== undefined) { put32(h, p, o.key); p += 4; }
  if (o.seq !== undefined) { put32(h, p, o.seq); p += 4; }
  const m = concat(h, payload);
  if (o.checksum) put16(m, csumAt, inetChecksum(m));
  return m;
}

// ---------------------------------------------------------------- frames and files

/** A Frame as the capture reader would deliver it (originalLength defaults to the data length). */
export function frame(data: Uint8Array, linkType = 1, o: { originalLength?: number; frameNumber?: number; interfaceId?: number } = {}): Frame {
  return {
    frameNumber: o.frameNumber ?? 1,
    tsSec: 1_700_000_000,
    tsNsec: 0,
    linkType,
    interfaceId: o.interfaceId ?? 0,
    capturedLength: data.length,
    originalLength: o.originalLength ?? data.length,
    fileOffset: 24,
    data,
  };
}

/**
 * A classic little-endian microsecond pcap with the given packets (1 ms apart). `snaplen` cuts
 * each packet's captured bytes (original length kept), as tcpdump -s would.
 */
export function pcapFile(linkType: number, packets: Uint8Array[], o: { snaplen?: number; startSec?: number } = {}): Uint8Array {
  const snap = o.snaplen ?? 262144;
  const hdr = new Uint8Array(24);
  put32le(hdr, 0, 0xa1b2c3d4);
  hdr[4] = 2;
  hdr[6] = 4;
  put32le(hdr, 16, snap);
  put32le(hdr, 20, linkType);
  const recs: Uint8Array[] = [hdr];
  packets.forEach((p, i) => {
    const cap = Math.min(p.length, snap);
    const r = new Uint8Array(16);
    put32le(r, 0, (o.startSec ?? 1_700_000_000) + Math.floor(i / 1000));
    put32le(r, 4, (i % 1000) * 1000);
    put32le(r, 8, cap);
    put32le(r, 12, p.length);
    recs.push(r, p.subarray(0, cap));
  });
  return concat(...recs);
}

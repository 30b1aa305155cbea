/** Tunnel headers (VXLAN, Geneve, GRE), Frames for Decoder.decode, and classic pcap files. */

import type { Frame } from '../../../src/capture/types.js';
import { concat, inetChecksum, put16, put32, put32le } from './bytes.js';


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

/** Tunnels: IP-in-IP, IPv6-in-IP, GRE (and ERSPAN), VXLAN and Geneve; each removes one encapsulation. */

import { u16, u32 } from '../bytes.js';
import {
  MAX_ENCAPSULATION, REASON_ERSPAN, REASON_GRE_PROTOCOL, REASON_TOO_DEEP, REASON_UNSUPPORTED_TUNNEL,
} from '../constants.js';
import type { Dissection, DissectorTables } from '../dissection.js';
import { clearInnerLayers, Transport, TunnelKind, type Packet } from '../packet.js';
import { ipv4, ipv6 } from './ip.js';
import { ethernet } from './link.js';

/** Record the outermost tunnel and clear the network/transport view for the inner packet. */
export function enter(kind: TunnelKind, id: number, out: Packet, depth: number): boolean {
  if (depth >= MAX_ENCAPSULATION) {
    out.undecodedReason = REASON_TOO_DEEP;
    return false;
  }
  if (out.tunnel === TunnelKind.None) {
    out.tunnel = kind;
    out.tunnelId = id;
    out.outerIpVersion = out.ipVersion;
    out.outerSrc.set(out.src);
    out.outerDst.set(out.dst);
  }
  out.tunnelDepth = depth + 1;
  clearInnerLayers(out);
  return true;
}

function ipInIp(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!enter(TunnelKind.IpIp, -1, out, depth)) return;
  ipv4(cx, d, off, end, out, depth + 1);
}

function ip6InIp(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!enter(TunnelKind.Ip6InIp, -1, out, depth)) return;
  ipv6(cx, d, off, end, out, depth + 1);
}

/** GRE version 1 (PPTP, RFC 2637): key (payload length, call id) always, sequence and ack optional; PPP inside. */
function greV1(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number, fl: number): void {
  const proto = u16(d, off + 2);
  if (proto !== 0x880b || !(fl & 0x2000)) {
    out.transport = Transport.Other;
    out.undecodedReason = REASON_UNSUPPORTED_TUNNEL;
    return;
  }
  let p = off + 8;
  if (fl & 0x1000) p += 4;
  if (fl & 0x0080) p += 4;
  if (!cx.have(p, end, out)) return;
  const payloadLength = u16(d, off + 4);
  if (payloadLength === 0) return; // an acknowledgement only
  if (!enter(TunnelKind.Gre, u16(d, off + 6), out, depth)) return;
  cx.dispatchEther(proto, d, p, Math.min(end, p + payloadLength), out, depth + 1);
}

function gre(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 4, end, out)) return;
  const fl = u16(d, off);
  const proto = u16(d, off + 2);
  if ((fl & 0x7) === 1) {
    if (cx.have(off + 8, end, out)) greV1(cx, d, off, end, out, depth, fl);
    return;
  }
  if ((fl & 0x7) !== 0) {
    out.transport = Transport.Other;
    out.undecodedReason = REASON_UNSUPPORTED_TUNNEL;
    return;
  }
  let p = off + 4;
  if (fl & 0xc000) p += 4; // checksum (and reserved1) present when C or R is set
  let key = -1;
  if (fl & 0x2000) {
    if (!cx.have(p + 4, end, out)) return;
    key = u32(d, p);
    p += 4;
  }
  if (fl & 0x1000) p += 4; // sequence number
  if (fl & 0x4000) {
    // RFC 1701 source routing: SREs until a NULL one (address family 0, length 0)
    for (let i = 0; ; i++) {
      if (i > 16 || !cx.have(p + 4, end, out)) return;
      const len = d[p + 3]!;
      p += 4 + len;
      if (len === 0 && u16(d, p - 4) === 0) break;
    }
  }
  if (!cx.have(p, end, out)) return;
  if (cx.tables.etherType.get(proto) === undefined) {
    out.transport = Transport.Other;
    out.undecodedReason = REASON_GRE_PROTOCOL;
    return;
  }
  if (!enter(TunnelKind.Gre, key, out, depth)) return;
  cx.greFlags = fl;
  cx.dispatchEther(proto, d, p, end, out, depth + 1);
}

/**
 * ERSPAN behind GRE (0x88be): type II has an 8-byte header (version 1) and GRE's sequence number;
 * type I has neither. Then the mirrored Ethernet frame.
 */
function erspan2(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!(cx.greFlags & 0x1000)) {
    ethernet(cx, d, off, end, out, depth);
    return;
  }
  if (!cx.have(off + 8, end, out)) return;
  if (d[off]! >> 4 !== 1) {
    out.undecodedReason = REASON_ERSPAN;
    return;
  }
  ethernet(cx, d, off + 8, end, out, depth);
}

/** WCCP redirection (GRE 0x883e): IPv4, after a 4-byte redirect header unless the packet starts at once. */
function wccp(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 1, end, out)) return;
  ipv4(cx, d, d[off]! >> 4 === 4 ? off : off + 4, end, out, depth);
}

/** ERSPAN type III (0x22eb): a 12-byte header, 8 more with the O bit; frame type 0 is Ethernet. */
function erspan3(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 12, end, out)) return;
  const frameType = (d[off + 10]! >> 2) & 0x1f;
  const p = off + 12 + (d[off + 11]! & 1 ? 8 : 0);
  if (d[off]! >> 4 !== 2 || frameType !== 0) {
    out.undecodedReason = REASON_ERSPAN;
    return;
  }
  ethernet(cx, d, p, end, out, depth);
}

function vxlan(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 8, end, out)) return;
  const vni = (d[off + 4]! << 16) | (d[off + 5]! << 8) | d[off + 6]!;
  if (!enter(TunnelKind.Vxlan, vni, out, depth)) return;
  ethernet(cx, d, off + 8, end, out, depth + 1);
}

function geneve(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 8, end, out)) return;
  if (d[off]! >> 6 !== 0) {
    out.undecodedReason = REASON_UNSUPPORTED_TUNNEL;
    return;
  }
  const optLen = (d[off]! & 0x3f) * 4;
  const proto = u16(d, off + 2);
  const vni = (d[off + 4]! << 16) | (d[off + 5]! << 8) | d[off + 6]!;
  if (!cx.have(off + 8 + optLen, end, out)) return;
  if (cx.tables.etherType.get(proto) === undefined) {
    out.undecodedReason = REASON_UNSUPPORTED_TUNNEL;
    return;
  }
  if (!enter(TunnelKind.Geneve, vni, out, depth)) return;
  cx.dispatchEther(proto, d, off + 8 + optLen, end, out, depth + 1);
}

export function registerTunnels(tables: DissectorTables): void {
  tables.ipProtocol[4] = ipInIp;
  tables.ipProtocol[41] = ip6InIp;
  tables.ipProtocol[47] = gre;
  tables.udpPort.set(4789, vxlan); // IANA VXLAN
  tables.udpPort.set(8472, vxlan); // Linux / Flannel default
  tables.udpPort.set(6081, geneve);
  tables.udpPort.set(4754, gre); // GRE-in-UDP (RFC 8086)
  tables.etherType.set(0x88be, erspan2);
  tables.etherType.set(0x22eb, erspan3);
  tables.etherType.set(0x883e, wccp);
}

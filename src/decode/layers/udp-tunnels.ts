/**
 * Tunnels found by UDP port, beside VXLAN and Geneve: GTP-U (2152), Teredo (3544), AYIYA (5072) and
 * L2TPv2 (1701). Each checks its header before decapsulating: a datagram on the port that is not
 * the tunnel's data (signalling, echo, a bubble with a bad header) stays plain UDP.
 */

import { u16, u32 } from '../bytes.js';
import { REASON_GTP_PAYLOAD } from '../constants.js';
import type { Dissection, DissectorTables } from '../dissection.js';
import { TunnelKind, type Packet } from '../packet.js';
import { ppp } from './encap.js';
import { ipv4, ipv6 } from './ip.js';
import { enter } from './tunnel.js';

/** Extension headers walked in one GTP-U packet before giving up. */
const MAX_GTP_EXTENSIONS = 16;

/**
 * GTP-U (3GPP TS 29.281): version 1, protocol type 1, message type 255 (G-PDU) carries a user
 * packet; with any of E/S/PN set, 4 more bytes (sequence, N-PDU, next extension type) and then
 * extension headers, each (length × 4) bytes ending with the next one's type.
 */
function gtpU(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (off + 8 > Math.min(end, cx.capEnd)) return;
  const flags = d[off]!;
  if (flags >> 5 !== 1 || !(flags & 0x10) || d[off + 1] !== 0xff) return;
  let p = off + 8;
  if (flags & 0x07) {
    if (!cx.have(off + 12, end, out)) return;
    let next = d[off + 11]!;
    p = off + 12;
    for (let i = 0; next !== 0; i++) {
      if (i === MAX_GTP_EXTENSIONS || !cx.have(p + 1, end, out)) return;
      const len = d[p]! * 4;
      if (len === 0 || !cx.have(p + len, end, out)) return;
      next = d[p + len - 1]!;
      p += len;
    }
  }
  const gtpEnd = Math.min(end, off + 8 + u16(d, off + 2));
  if (!cx.have(p + 1, gtpEnd, out)) return;
  const v = d[p]! >> 4;
  if (v !== 4 && v !== 6) {
    out.undecodedReason = REASON_GTP_PAYLOAD;
    return;
  }
  if (!enter(TunnelKind.GtpU, u32(d, off + 4), out, depth)) return;
  if (v === 4) ipv4(cx, d, p, gtpEnd, out, depth + 1);
  else ipv6(cx, d, p, gtpEnd, out, depth + 1);
}

/**
 * Teredo (RFC 4380): IPv6 in UDP, optionally after an authentication indicator (type 1: id and
 * auth lengths, nonce, confirmation) and an origin indicator (type 0, 8 bytes). Only an IPv6
 * header whose payload length fits the datagram is taken for one.
 */
function teredo(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  const limit = Math.min(end, cx.capEnd);
  let p = off;
  if (p + 4 <= limit && u16(d, p) === 0x0001) p += 4 + d[p + 2]! + d[p + 3]! + 9;
  if (p + 8 <= limit && u16(d, p) === 0x0000) p += 8;
  if (p + 40 > limit || d[p]! >> 4 !== 6 || p + 40 + u16(d, p + 4) > end) return;
  if (!enter(TunnelKind.Teredo, -1, out, depth)) return;
  ipv6(cx, d, p, end, out, depth + 1);
}

/**
 * AYIYA: identity (2^idlen bytes) and signature (siglen × 4 bytes) after an 8-byte header whose
 * fourth byte is the IP protocol of the payload; opcode 1 (forward) carries a packet.
 */
function ayiya(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (off + 8 > Math.min(end, cx.capEnd)) return;
  const next = d[off + 3]!;
  if ((d[off + 2]! & 0x0f) !== 1 || (next !== 4 && next !== 41)) return;
  const p = off + 8 + (1 << (d[off]! >> 4)) + (d[off + 1]! >> 4) * 4;
  if (!cx.have(p, end, out)) return;
  if (!enter(TunnelKind.Ayiya, -1, out, depth)) return;
  if (next === 4) ipv4(cx, d, p, end, out, depth + 1);
  else ipv6(cx, d, p, end, out, depth + 1);
}

/**
 * L2TPv2 data messages (RFC 2661): flags and version 2, optional length, tunnel and session ids,
 * optional Ns/Nr and offset padding, then PPP. Control messages (T bit) carry no packet.
 */
function l2tp(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (off + 6 > Math.min(end, cx.capEnd)) return;
  const fl = u16(d, off);
  if ((fl & 0x000f) !== 2 || fl & 0x8000) return;
  let p = off + 2;
  if (fl & 0x4000) p += 2;
  const tunnelId = u16(d, p);
  p += 4;
  if (fl & 0x0800) p += 4;
  if (fl & 0x0200) {
    if (!cx.have(p + 2, end, out)) return;
    p += 2 + u16(d, p);
  }
  if (!cx.have(p, end, out)) return;
  if (!enter(TunnelKind.L2tp, tunnelId, out, depth)) return;
  ppp(cx, d, p, end, out, depth + 1);
}

export function registerUdpTunnels(tables: DissectorTables): void {
  tables.udpPort.set(2152, gtpU);
  tables.udpPort.set(3544, teredo);
  tables.udpPort.set(5072, ayiya);
  tables.udpPort.set(1701, l2tp);
}

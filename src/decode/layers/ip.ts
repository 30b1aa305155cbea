/** IPv4, IPv6 and what sits between an IP header and its transport: extension headers, fragments, AH, ESP. */

import { copyAddr, u16, u32 } from '../bytes.js';
import {
  ETHERTYPE_IPV4, ETHERTYPE_IPV6, MAX_EXT_HEADERS, REASON_BAD_IP_VERSION, REASON_ENCRYPTED, REASON_FRAGMENT,
  REASON_IPCOMP, REASON_MALFORMED, REASON_NO_NEXT,
} from '../constants.js';
import type { Dissection, DissectorTables } from '../dissection.js';
import { Transport, type Packet } from '../packet.js';

export function ipv4(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 20, end, out)) return;
  if (d[off]! >> 4 !== 4) {
    // Wireshark hands an IPv6 header behind ethertype 0x0800 / AF_INET to IPv6; so do we.
    if (d[off]! >> 4 === 6) ipv6(cx, d, off, end, out, depth);
    else out.undecodedReason = REASON_BAD_IP_VERSION;
    return;
  }
  const ihl = (d[off]! & 0x0f) * 4;
  let total = u16(d, off + 2);
  if (total === 0) total = Math.max(end - off, 0); // TSO/GSO: length 0 means "see the frame"
  if (ihl < 20 || total < ihl) {
    // a bogus header: its addresses are not trusted (Wireshark shows none either)
    out.undecodedReason = REASON_MALFORMED;
    return;
  }
  out.ipVersion = 4;
  copyAddr(out.src, d, off + 12, 4);
  copyAddr(out.dst, d, off + 16, 4);
  out.ttl = d[off + 8]!;
  out.ipId = u16(d, off + 4);
  const frag = u16(d, off + 6);
  out.dontFragment = (frag & 0x4000) !== 0;
  out.moreFragments = (frag & 0x2000) !== 0;
  out.fragmentOffset = (frag & 0x1fff) * 8;
  out.ipProtocol = d[off + 9]!;
  out.ipOffset = off;
  out.ipLength = total;
  if (!cx.have(off + ihl, off + total, out)) return;
  if (out.fragmentOffset > 0) {
    out.isFragment = true;
    out.undecodedReason = REASON_FRAGMENT;
    return;
  }
  cx.extHeaders = 0;
  cx.dispatchProto(out.ipProtocol, d, off + ihl, off + total, out, depth);
}

export function ipv6(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 40, end, out)) return;
  if (d[off]! >> 4 !== 6) {
    out.undecodedReason = REASON_BAD_IP_VERSION;
    return;
  }
  const plen = u16(d, off + 4);
  out.ipVersion = 6;
  copyAddr(out.src, d, off + 8, 16);
  copyAddr(out.dst, d, off + 24, 16);
  out.ttl = d[off + 7]!;
  out.ipOffset = off;
  cx.v6PayloadStart = off + 40;
  // Payload length 0: a jumbogram (hop-by-hop jumbo option) or a GSO capture; until a jumbo
  // option says otherwise, the payload runs to the end of the enclosing layer.
  cx.v6Jumbo = plen === 0;
  const payloadEnd = plen === 0 ? Math.max(end, off + 40) : off + 40 + plen;
  out.ipLength = payloadEnd - off;
  cx.extHeaders = 0;
  cx.dispatchProto(d[off + 6]!, d, off + 40, payloadEnd, out, depth);
}

/** Hop-by-hop (0), routing (43), destination options (60): (len + 1) * 8 bytes. */
function ipv6Ext(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (++cx.extHeaders > MAX_EXT_HEADERS) {
    out.undecodedReason = REASON_MALFORMED;
    return;
  }
  if (!cx.have(off + 2, end, out)) return;
  const next = d[off]!;
  const len = (d[off + 1]! + 1) * 8;
  if (!cx.have(off + len, end, out)) return;
  if (cx.v6Jumbo && off === cx.v6PayloadStart) {
    // Look for the jumbo payload option (type 0xC2, 4 bytes): RFC 2675 / BIG TCP.
    let p = off + 2;
    while (p < off + len) {
      const t = d[p]!;
      if (t === 0) { p++; continue; }
      if (p + 2 > off + len) break;
      const l = d[p + 1]!;
      if (t === 0xc2 && l === 4 && p + 6 <= off + len) {
        const jumbo = u32(d, p + 2);
        end = cx.v6PayloadStart + jumbo;
        out.ipLength = end - (cx.v6PayloadStart - 40);
        break;
      }
      p += 2 + l;
    }
  }
  cx.dispatchProto(next, d, off + len, end, out, depth);
}

function ipv6Fragment(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 8, end, out)) return;
  const fo = u16(d, off + 2);
  out.ipId = u32(d, off + 4);
  out.fragmentOffset = fo & 0xfff8;
  out.moreFragments = (fo & 1) !== 0;
  if (out.fragmentOffset > 0) {
    out.ipProtocol = d[off]!;
    out.isFragment = true;
    out.undecodedReason = REASON_FRAGMENT;
    return;
  }
  cx.dispatchProto(d[off]!, d, off + 8, end, out, depth);
}

/** Authentication header (IPv4 and IPv6): (len + 2) * 4 bytes. */
function ah(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (++cx.extHeaders > MAX_EXT_HEADERS) {
    out.undecodedReason = REASON_MALFORMED;
    return;
  }
  if (!cx.have(off + 2, end, out)) return;
  const len = (d[off + 1]! + 2) * 4;
  if (!cx.have(off + len, end, out)) return;
  cx.dispatchProto(d[off]!, d, off + len, end, out, depth);
}

function esp(_cx: Dissection, _d: Uint8Array, _off: number, _end: number, out: Packet): void {
  out.transport = Transport.Other;
  out.undecodedReason = REASON_ENCRYPTED;
}

function ipcomp(_cx: Dissection, _d: Uint8Array, _off: number, _end: number, out: Packet): void {
  out.transport = Transport.Other;
  out.undecodedReason = REASON_IPCOMP;
}

function noNext(_cx: Dissection, _d: Uint8Array, _off: number, _end: number, out: Packet): void {
  out.transport = Transport.None;
  out.undecodedReason = REASON_NO_NEXT;
}

export function registerIpLayers(tables: DissectorTables): void {
  tables.etherType.set(ETHERTYPE_IPV4, ipv4);
  tables.etherType.set(ETHERTYPE_IPV6, ipv6);

  tables.addressFamily.set(2, ipv4); // AF_INET
  tables.addressFamily.set(24, ipv6); // AF_INET6 NetBSD/OpenBSD
  tables.addressFamily.set(28, ipv6); // AF_INET6 FreeBSD
  tables.addressFamily.set(30, ipv6); // AF_INET6 macOS

  tables.ipProtocol[0] = ipv6Ext; // hop-by-hop
  tables.ipProtocol[43] = ipv6Ext; // routing
  tables.ipProtocol[44] = ipv6Fragment;
  tables.ipProtocol[50] = esp;
  tables.ipProtocol[51] = ah;
  tables.ipProtocol[59] = noNext;
  tables.ipProtocol[108] = ipcomp;
  tables.ipProtocol[60] = ipv6Ext; // destination options
}

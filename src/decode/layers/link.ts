/** Link layers: Ethernet and its VLAN tags, Linux cooked v1/v2, raw IP, BSD loopback, NFLOG. */

import { u16, u32 } from '../bytes.js';
import {
  ETHERTYPE_QINQ, ETHERTYPE_QINQ_OLD, ETHERTYPE_TEB, ETHERTYPE_VLAN, MAX_VLAN_TAGS, REASON_BAD_IP_VERSION,
  REASON_LLC, REASON_MALFORMED, REASON_TRUNCATED, REASON_UNKNOWN_ETHERTYPE,
} from '../constants.js';
import type { Dissection, DissectorTables } from '../dissection.js';
import { LinkDirection, type Packet } from '../packet.js';
import { ipv4, ipv6 } from './ip.js';

/** Linux SLL/SLL2 packet type → direction (PACKET_HOST .. PACKET_OUTGOING). */
function sllDirection(t: number): LinkDirection {
  switch (t) {
    case 0: return LinkDirection.Host;
    case 1: return LinkDirection.Broadcast;
    case 2: return LinkDirection.Multicast;
    case 3: return LinkDirection.OtherHost;
    case 4: return LinkDirection.Outgoing;
    default: return LinkDirection.Unknown;
  }
}

export function ethernet(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 14, end, out)) return;
  const type = u16(d, off + 12);
  // 802.3: a length, then LLC (IP only behind SNAP)
  if (type > 1500) {
    cx.dispatchEther(type, d, off + 14, end, out, depth);
    return;
  }
  out.etherType = type;
  llcSnap(cx, d, off + 14, Math.min(end, off + 14 + type), out, depth);
}

/** LLC with a SNAP header (AA AA 03) and an RFC 1042 or 802.1H OUI: an ethertype follows. */
export function llcSnap(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (off + 8 > Math.min(end, cx.capEnd) || d[off] !== 0xaa || d[off + 1] !== 0xaa || d[off + 2] !== 0x03 ||
    d[off + 3] !== 0 || d[off + 4] !== 0 || (d[off + 5] !== 0 && d[off + 5] !== 0xf8)) {
    out.undecodedReason = REASON_LLC;
    return;
  }
  cx.dispatchEther(u16(d, off + 6), d, off + 8, end, out, depth);
}

function vlan(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (++cx.vlanTags > MAX_VLAN_TAGS) {
    out.undecodedReason = REASON_MALFORMED;
    return;
  }
  if (!cx.have(off + 4, end, out)) return;
  if (out.vlanId < 0) out.vlanId = u16(d, off) & 0x0fff;
  out.vlanCount++;
  cx.dispatchEther(u16(d, off + 2), d, off + 4, end, out, depth);
}

function sll(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 16, end, out)) return;
  out.direction = sllDirection(u16(d, off));
  cx.dispatchEther(u16(d, off + 14), d, off + 16, end, out, depth);
}

function sll2(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 20, end, out)) return;
  out.ifIndex = u32(d, off + 4);
  out.direction = sllDirection(d[off + 10]!);
  cx.dispatchEther(u16(d, off), d, off + 20, end, out, depth);
}

function rawByNibble(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 1, end, out)) return;
  const v = d[off]! >> 4;
  if (v === 4) ipv4(cx, d, off, end, out, depth);
  else if (v === 6) ipv6(cx, d, off, end, out, depth);
  else out.undecodedReason = REASON_BAD_IP_VERSION;
}

function nullHostOrder(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 4, end, out)) return;
  // Host byte order of the writer: AF values are small, so whichever end holds them is the order.
  let af = (d[off]! | (d[off + 1]! << 8) | (d[off + 2]! << 16) | (d[off + 3]! << 24)) >>> 0;
  if ((af & 0xffff) === 0) af = u32(d, off);
  cx.dispatchAddressFamily(af, d, off + 4, end, out, depth);
}

function nullNetOrder(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 4, end, out)) return;
  cx.dispatchAddressFamily(u32(d, off), d, off + 4, end, out, depth);
}

/**
 * NFLOG: 4-byte header (address family, version, resource id), then TLVs with a host-endian
 * (little-endian in practice) 16-bit length and type, each padded to 4 bytes; type 9
 * (NFULA_PAYLOAD) holds the IP packet.
 */
function nflog(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 4, end, out)) return;
  const af = d[off]!;
  let p = off + 4;
  const limit = Math.min(end, cx.capEnd);
  while (p + 4 <= limit) {
    const len = d[p]! | (d[p + 1]! << 8);
    const type = (d[p + 2]! | (d[p + 3]! << 8)) & 0x7fff;
    if (len < 4) break;
    if (type === 9) {
      if (af === 2) ipv4(cx, d, p + 4, p + len, out, depth);
      else if (af === 10) ipv6(cx, d, p + 4, p + len, out, depth);
      else out.undecodedReason = REASON_UNKNOWN_ETHERTYPE;
      return;
    }
    p += (len + 3) & ~3;
  }
  out.undecodedReason = p + 4 > cx.capEnd ? REASON_TRUNCATED : REASON_MALFORMED;
  if (p + 4 > cx.capEnd) out.truncatedHeaders = true;
}

export function registerLinkLayers(tables: DissectorTables): void {
  tables.linkType.set(1, ethernet); // LINKTYPE_ETHERNET
  tables.linkType.set(113, sll); // LINKTYPE_LINUX_SLL
  tables.linkType.set(276, sll2); // LINKTYPE_LINUX_SLL2
  tables.linkType.set(101, rawByNibble); // LINKTYPE_RAW
  tables.linkType.set(12, rawByNibble); // DLT_RAW (most BSDs)
  tables.linkType.set(14, rawByNibble); // DLT_RAW (OpenBSD)
  tables.linkType.set(228, ipv4); // LINKTYPE_IPV4
  tables.linkType.set(229, ipv6); // LINKTYPE_IPV6
  tables.linkType.set(0, nullHostOrder); // LINKTYPE_NULL
  tables.linkType.set(108, nullNetOrder); // LINKTYPE_LOOP
  tables.linkType.set(239, nflog); // LINKTYPE_NFLOG (tcpdump -i nflog:N)

  tables.etherType.set(ETHERTYPE_VLAN, vlan);
  tables.etherType.set(ETHERTYPE_QINQ, vlan);
  tables.etherType.set(ETHERTYPE_QINQ_OLD, vlan);
  tables.etherType.set(ETHERTYPE_TEB, ethernet); // transparent Ethernet bridging (GRE, Geneve)
}

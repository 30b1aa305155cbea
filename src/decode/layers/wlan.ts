/**
 * 802.11 data frames (LINKTYPE_IEEE802_11, radiotap, Aruba's GRE 0x8200–0x8370, CAPWAP): the MAC
 * header, then LLC/SNAP naming an ethertype. Management and control frames carry no packet;
 * protected (encrypted) data frames are counted as such.
 */

import { REASON_AMSDU, REASON_ENCRYPTED_WLAN } from '../constants.js';
import type { Dissection, DissectorTables } from '../dissection.js';
import type { Packet } from '../packet.js';
import { ethernet, llcSnap } from './link.js';

function wlan(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  wlanFrame(cx, d, off, end, out, depth, false);
}

/** An 802.11 frame; `swapped`: its frame-control bytes in the wrong order (Cisco's CAPWAP, as Wireshark assumes). */
function wlanFrame(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number, swapped: boolean): void {
  if (!cx.have(off + 24, end, out)) return;
  const fc0 = d[swapped ? off + 1 : off]!;
  const fc1 = d[swapped ? off : off + 1]!;
  // Type 2 (data), and a subtype that carries a body (bit 2 set: null function, no data).
  if (((fc0 >> 2) & 3) !== 2 || fc0 & 0x40) return;
  if (fc1 & 0x40) {
    out.undecodedReason = REASON_ENCRYPTED_WLAN;
    return;
  }
  let p = off + 24;
  if ((fc1 & 3) === 3) p += 6; // four addresses (WDS / mesh)
  if (fc0 & 0x80) {
    // QoS control; its A-MSDU bit: several packets in one frame, not split here
    if (!cx.have(p + 2, end, out)) return;
    if (d[p]! & 0x80) {
      out.undecodedReason = REASON_AMSDU;
      return;
    }
    p += 2;
    if (fc1 & 0x80) p += 4; // HT control
  }
  if (!cx.have(p + 8, end, out)) return;
  llcSnap(cx, d, p, end, out, depth);
}

/** Radiotap: a little-endian header length, and an FCS at the frame's end when its flags say so. */
function radiotap(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 8, end, out)) return;
  const len = d[off + 2]! | (d[off + 3]! << 8);
  const present = (d[off + 4]! | (d[off + 5]! << 8) | (d[off + 6]! << 16) | (d[off + 7]! << 24)) >>> 0;
  // The flags field (bit 1) follows the present words and, when bit 0 is set, an 8-aligned TSFT.
  let p = off + 4;
  for (let w = present; ; ) {
    p += 4;
    if (!(w & 0x80000000) || p + 4 > off + len || p + 4 > cx.capEnd) break;
    w = (d[p]! | (d[p + 1]! << 8) | (d[p + 2]! << 16) | (d[p + 3]! << 24)) >>> 0;
  }
  if (present & 1) p = off + ((p - off + 7) & ~7) + 8;
  const fcs = present & 2 && p < off + len && p < cx.capEnd && d[p]! & 0x10;
  wlan(cx, d, off + len, fcs ? end - 4 : end, out, depth);
}

/**
 * CAPWAP data (RFC 5415, UDP 5247): a header of HLEN × 4 bytes, then an 802.11 frame (T bit with
 * WBID 1) or an 802.3 one. Fragments (F bit) are not reassembled.
 */
function capwapData(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (off + 8 > Math.min(end, cx.capEnd) || d[off] !== 0) return;
  const hlen = (d[off + 1]! >> 3) * 4;
  const native = (d[off + 2]! & 1) !== 0;
  const wbid = (d[off + 2]! >> 1) & 0x1f;
  if (hlen < 8 || d[off + 3]! & 0x80) return;
  if (!native) ethernet(cx, d, off + hlen, end, out, depth);
  else if (wbid === 1) wlanFrame(cx, d, off + hlen, end, out, depth, true);
}

export function registerWlan(tables: DissectorTables): void {
  tables.linkType.set(105, wlan); // LINKTYPE_IEEE802_11
  tables.linkType.set(127, radiotap); // LINKTYPE_IEEE802_11_RADIOTAP
  tables.udpPort.set(5247, capwapData);
  for (let t = 0x8200; t <= 0x8370; t += 0x10) tables.etherType.set(t, wlan); // Aruba GRE
}

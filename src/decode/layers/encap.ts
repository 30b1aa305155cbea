/**
 * Layer-2.5 encapsulations between Ethernet and IP: PPPoE and PPP, MPLS label stacks (with IP or
 * pseudowire Ethernet after them), 802.1ah PBB, VN-Tag and 802.1BR E-Tag; and the PPP link types.
 * None of them removes an IP header, so none counts as a tunnel.
 */

import { u16 } from '../bytes.js';
import {
  ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_MPLS, ETHERTYPE_MPLS_MULTICAST, ETHERTYPE_QINQ, ETHERTYPE_QINQ_OLD,
  ETHERTYPE_VLAN, REASON_MACSEC, REASON_MALFORMED, REASON_MPLS_PAYLOAD, REASON_PPP_COMPRESSED,
} from '../constants.js';
import type { Dissection, DissectorTables } from '../dissection.js';
import type { Packet } from '../packet.js';
import { ipv4, ipv6 } from './ip.js';
import { ethernet } from './link.js';

/** Labels walked before giving up on a stack without its bottom-of-stack bit. */
const MAX_MPLS_LABELS = 16;

/**
 * PPP: an optional HDLC address/control (FF 03), then a 1-byte (compressed, odd) or 2-byte
 * protocol. A Cisco HDLC frame (address 0x0F / 0x8F) in a PPP link type is taken for one, as
 * Wireshark does.
 */
export function ppp(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 2, end, out)) return;
  if ((d[off] === 0x0f || d[off] === 0x8f) && d[off + 1] === 0x00) {
    ciscoHdlc(cx, d, off, end, out, depth);
    return;
  }
  if (d[off] === 0xff && d[off + 1] === 0x03) off += 2;
  if (!cx.have(off + 1, end, out)) return;
  if (d[off]! & 1) {
    cx.dispatchPpp(d[off]!, d, off + 1, end, out, depth);
    return;
  }
  if (!cx.have(off + 2, end, out)) return;
  cx.dispatchPpp(u16(d, off), d, off + 2, end, out, depth);
}

/** PPPoE session stage (RFC 2516): version/type, code, session id, length, then PPP (its protocol may be compressed). */
function pppoeSession(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 8, end, out)) return;
  // The length covers the PPP protocol field and payload; Ethernet padding lies beyond it.
  const len = u16(d, off + 4);
  const payloadEnd = len >= 2 && off + 6 + len < end ? off + 6 + len : end;
  ppp(cx, d, off + 6, payloadEnd, out, depth);
}

function pppCompressed(_cx: Dissection, _d: Uint8Array, _off: number, _end: number, out: Packet): void {
  out.undecodedReason = REASON_PPP_COMPRESSED;
}

/** Ethertypes a pseudowire's Ethernet frame is trusted to carry (the guess must be conservative). */
function plausibleEthertype(t: number): boolean {
  return t === ETHERTYPE_IPV4 || t === ETHERTYPE_IPV6 || t === ETHERTYPE_VLAN || t === ETHERTYPE_QINQ || t === ETHERTYPE_QINQ_OLD ||
    t === ETHERTYPE_MPLS || t === ETHERTYPE_MPLS_MULTICAST;
}

/**
 * MPLS (RFC 3032): 4-byte labels until the bottom-of-stack bit. Nothing names the payload, so it is
 * guessed as Wireshark does: first nibble 4 or 6 is IP; otherwise an Ethernet pseudowire, with a
 * control word (first nibble 0, RFC 4385) or without one, accepted only when the Ethernet type
 * that results is one an IP packet would have.
 */
function mpls(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  let p = off;
  for (let i = 0; ; i++) {
    if (i === MAX_MPLS_LABELS) {
      out.undecodedReason = REASON_MALFORMED;
      return;
    }
    if (!cx.have(p + 4, end, out)) return;
    p += 4;
    if (d[p - 2]! & 1) break;
  }
  if (!cx.have(p + 1, end, out)) return;
  const nibble = d[p]! >> 4;
  if (nibble === 4) ipv4(cx, d, p, end, out, depth);
  else if (nibble === 6) ipv6(cx, d, p, end, out, depth);
  else if (nibble === 0 && p + 18 <= cx.capEnd && plausibleEthertype(u16(d, p + 16))) ethernet(cx, d, p + 4, end, out, depth);
  else if (p + 14 <= cx.capEnd && plausibleEthertype(u16(d, p + 12))) ethernet(cx, d, p, end, out, depth);
  else out.undecodedReason = REASON_MPLS_PAYLOAD;
}

/** 802.1ah PBB: the I-TAG (4 bytes), the customer's MAC addresses, then its ethertype. */
function pbb(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 18, end, out)) return;
  cx.dispatchEther(u16(d, off + 16), d, off + 18, end, out, depth);
}

/** Cisco FabricPath (0x8903): the FTag/TTL word, then the inner Ethernet frame. */
function fabricPath(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  ethernet(cx, d, off + 2, end, out, depth);
}

/** A tag of `tag` bytes followed by the ethertype of what it carries (VN-Tag 4, E-Tag 6, Cisco MetaData 6). */
function tagged(tag: number) {
  return (cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void => {
    if (!cx.have(off + tag + 2, end, out)) return;
    cx.dispatchEther(u16(d, off + tag), d, off + tag + 2, end, out, depth);
  };
}

function macsec(_cx: Dissection, _d: Uint8Array, _off: number, _end: number, out: Packet): void {
  out.undecodedReason = REASON_MACSEC;
}

/** Cisco HDLC: address, control, then an ethertype. */
function ciscoHdlc(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 4, end, out)) return;
  cx.dispatchEther(u16(d, off + 2), d, off + 4, end, out, depth);
}

export function registerEncapsulations(tables: DissectorTables): void {
  tables.etherType.set(0x8864, pppoeSession);
  tables.etherType.set(ETHERTYPE_MPLS, mpls);
  tables.etherType.set(ETHERTYPE_MPLS_MULTICAST, mpls);
  tables.etherType.set(0x88e7, pbb);
  tables.etherType.set(0x8926, tagged(4)); // VN-Tag
  tables.etherType.set(0x893f, tagged(6)); // 802.1BR E-Tag
  tables.etherType.set(0x8909, tagged(6)); // Cisco MetaData (SGT)
  tables.etherType.set(0x88e5, macsec);
  tables.etherType.set(0x8903, fabricPath);
  tables.etherType.set(0x880b, ppp); // PPP (PPTP's GRE)

  tables.pppProtocol.set(0x0021, ipv4);
  tables.pppProtocol.set(0x0057, ipv6);
  tables.pppProtocol.set(0x0281, mpls);
  tables.pppProtocol.set(0x002d, pppCompressed); // Van Jacobson compressed TCP/IP
  tables.pppProtocol.set(0x002f, pppCompressed); // Van Jacobson uncompressed (state carried in the header)
  tables.pppProtocol.set(0x00fd, pppCompressed); // CCP: compressed datagram (MPPC in PPTP)
  tables.pppProtocol.set(0x0053, pppCompressed); // ECP: encrypted datagram

  tables.linkType.set(9, ppp); // LINKTYPE_PPP
  tables.linkType.set(50, ppp); // LINKTYPE_PPP_HDLC
  tables.linkType.set(51, pppoeSession); // LINKTYPE_PPP_ETHER: PPPoE without the Ethernet header
  tables.linkType.set(104, ciscoHdlc); // LINKTYPE_C_HDLC
}

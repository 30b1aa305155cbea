/**
 * Frame → Packet header view.
 *
 * gopacket DecodingLayerParser style: one `Decoder` per capture decodes every frame into one reused
 * `Packet`; nothing is allocated and no string is built per packet (`undecodedReason` is always one
 * of the constant strings below). Dispatch goes through tables, Wireshark dissector-table style:
 * link type → handler, ethertype → handler, IP protocol → handler, UDP port → handler. Every handler
 * has the same shape `(data, off, end, out, depth)`:
 *
 * - `off`  where this layer starts in `data`;
 * - `end`  the layer's *logical* end: what the enclosing header says its payload length is (it may
 *          lie beyond the captured bytes when the snaplen cut the frame). Lengths reported in the
 *          Packet (payloadLength, ipLength) come from these header claims, never from the captured
 *          length; reads are bounded by `this.capEnd` (the captured length) as well as `end`.
 * - `depth` the number of encapsulations removed so far (VXLAN, Geneve, GRE, IP-in-IP); a handler
 *          that would decapsulate once more at MAX_ENCAPSULATION stops instead.
 *
 * No byte sequence makes `decode` throw or read past the captured length.
 */

import type { Frame } from '../capture/types.js';
import { LinkDirection, Packet, Transport, TunnelKind } from './packet.js';

type Handler = (d: Uint8Array, off: number, end: number, out: Packet, depth: number) => void;

/** Maximum number of encapsulations removed from one frame (then decoding stops). */
export const MAX_ENCAPSULATION = 4;
/** Maximum 802.1Q/802.1ad tags walked in one frame. */
const MAX_VLAN_TAGS = 8;
/** Maximum IPv6 extension headers (and AH) walked per IP header (each is >= 8 bytes, so also bounded by the frame; libpcap's ipv6_ext_headers.pcap has 82). */
const MAX_EXT_HEADERS = 128;

// Reasons (constants: never built per packet).
export const REASON_UNKNOWN_LINKTYPE = 'unsupported link type';
export const REASON_UNKNOWN_ETHERTYPE = 'unsupported ethertype';
export const REASON_TRUNCATED = 'truncated';
export const REASON_MALFORMED = 'malformed header';
export const REASON_BAD_IP_VERSION = 'bad IP version';
export const REASON_FRAGMENT = 'non-first fragment';
export const REASON_TOO_DEEP = 'too many encapsulations';
export const REASON_ENCRYPTED = 'ESP (encrypted)';
export const REASON_NO_NEXT = 'no next header';
export const REASON_UNSUPPORTED_TUNNEL = 'unsupported tunnel variant';
export const REASON_LLC = '802.3/LLC frame';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_QINQ_OLD = 0x9100;
export const ETHERTYPE_TEB = 0x6558;

function u16(d: Uint8Array, o: number): number {
  return (d[o]! << 8) | d[o + 1]!;
}
function u32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}
function copyAddr(dst: Uint8Array, d: Uint8Array, o: number, len: 4 | 16): void {
  dst[0] = d[o]!;
  dst[1] = d[o + 1]!;
  dst[2] = d[o + 2]!;
  dst[3] = d[o + 3]!;
  if (len === 16) {
    for (let i = 4; i < 16; i++) dst[i] = d[o + i]!;
  } else if ((dst[4]! | dst[5]! | dst[6]! | dst[7]! | dst[8]! | dst[9]! | dst[10]! | dst[11]! | dst[12]! | dst[13]! | dst[14]! | dst[15]!) !== 0) {
    // IPv4: bytes 4..15 stay zero so 16-byte comparisons/keys work for both families
    for (let i = 4; i < 16; i++) dst[i] = 0;
  }
}

function isIcmp4Error(type: number): boolean {
  // dest-unreachable, source quench, redirect, time-exceeded, parameter problem
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}
function isIcmp6Error(type: number): boolean {
  // dest-unreachable, packet-too-big, time-exceeded, parameter problem
  return type >= 1 && type <= 4;
}

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

export class Decoder {
  /** LINKTYPE → frames seen with that (undecoded) link type. */
  readonly unknownLinkTypes = new Map<number, number>();
  /** Frames passed to decode(). */
  frames = 0;
  /** Frames in which an IP header (outermost) was decoded. */
  ipFrames = 0;
  /** Frames whose innermost transport is TCP. */
  tcp = 0;
  /** Frames that are ICMP/ICMPv6 errors (transport IcmpError). */
  icmpErrors = 0;
  /** Non-first IP fragments (isFragment: no transport header in them). */
  fragments = 0;
  /** Frames from which at least one encapsulation was removed. */
  tunnels = 0;
  /** Frames with truncatedHeaders set. */
  truncated = 0;

  /** Link type → handler. */
  private readonly linkTable = new Map<number, Handler>();
  /** Ethertype → handler (also GRE and Geneve protocol types, and SLL protocols). */
  private readonly etherTable = new Map<number, Handler>();
  /** IP protocol / IPv6 next header → handler. */
  private readonly protoTable: (Handler | undefined)[] = new Array<Handler | undefined>(256);
  /** UDP port → handler. */
  private readonly udpTable = new Map<number, Handler>();
  /** BSD loopback address family → handler. */
  private readonly afTable = new Map<number, Handler>();

  // per-frame state (reset in decode)
  private capEnd = 0;
  private frameOriginalLength = 0;
  private vlanTags = 0;
  private extHeaders = 0;
  /** Start of the current IPv6 payload and whether its length must come from a jumbo option. */
  private v6PayloadStart = 0;
  private v6Jumbo = false;

  constructor() {
    const eth = this.ethernet.bind(this);
    const ipv4 = this.ipv4.bind(this);
    const ipv6 = this.ipv6.bind(this);
    const rawByNibble = this.rawByNibble.bind(this);

    this.linkTable.set(1, eth); // LINKTYPE_ETHERNET
    this.linkTable.set(113, this.sll.bind(this)); // LINKTYPE_LINUX_SLL
    this.linkTable.set(276, this.sll2.bind(this)); // LINKTYPE_LINUX_SLL2
    this.linkTable.set(101, rawByNibble); // LINKTYPE_RAW
    this.linkTable.set(12, rawByNibble); // DLT_RAW (most BSDs)
    this.linkTable.set(14, rawByNibble); // DLT_RAW (OpenBSD)
    this.linkTable.set(228, ipv4); // LINKTYPE_IPV4
    this.linkTable.set(229, ipv6); // LINKTYPE_IPV6
    this.linkTable.set(0, this.nullHostOrder.bind(this)); // LINKTYPE_NULL
    this.linkTable.set(108, this.nullNetOrder.bind(this)); // LINKTYPE_LOOP
    this.linkTable.set(239, this.nflog.bind(this)); // LINKTYPE_NFLOG (tcpdump -i nflog:N)

    const vlan = this.vlan.bind(this);
    this.etherTable.set(ETHERTYPE_IPV4, ipv4);
    this.etherTable.set(ETHERTYPE_IPV6, ipv6);
    this.etherTable.set(ETHERTYPE_VLAN, vlan);
    this.etherTable.set(ETHERTYPE_QINQ, vlan);
    this.etherTable.set(ETHERTYPE_QINQ_OLD, vlan);
    this.etherTable.set(ETHERTYPE_TEB, eth); // transparent Ethernet bridging (GRE, Geneve)

    this.afTable.set(2, ipv4); // AF_INET
    this.afTable.set(24, ipv6); // AF_INET6 NetBSD/OpenBSD
    this.afTable.set(28, ipv6); // AF_INET6 FreeBSD
    this.afTable.set(30, ipv6); // AF_INET6 macOS

    const ext = this.ipv6Ext.bind(this);
    this.protoTable[0] = ext; // hop-by-hop
    this.protoTable[1] = this.icmp4.bind(this);
    this.protoTable[4] = this.ipInIp.bind(this);
    this.protoTable[6] = this.tcp_.bind(this);
    this.protoTable[17] = this.udp.bind(this);
    this.protoTable[41] = this.ip6InIp.bind(this);
    this.protoTable[43] = ext; // routing
    this.protoTable[44] = this.ipv6Fragment.bind(this);
    this.protoTable[47] = this.gre.bind(this);
    this.protoTable[50] = this.esp.bind(this);
    this.protoTable[51] = this.ah.bind(this);
    this.protoTable[58] = this.icmp6.bind(this);
    this.protoTable[59] = this.noNext.bind(this);
    this.protoTable[60] = ext; // destination options

    const vxlan = this.vxlan.bind(this);
    this.udpTable.set(4789, vxlan); // IANA VXLAN
    this.udpTable.set(8472, vxlan); // Linux / Flannel default
    this.udpTable.set(6081, this.geneve.bind(this));
  }

  /** Decode one frame into `out` (reset first). Never throws. */
  decode(frame: Frame, out: Packet): void {
    out.reset();
    this.frames++;
    const d = frame.data;
    this.capEnd = Math.min(frame.capturedLength, d.length);
    this.frameOriginalLength = Math.max(frame.originalLength, this.capEnd);
    this.vlanTags = 0;
    out.linkType = frame.linkType;
    out.ifIndex = frame.interfaceId;
    const h = this.linkTable.get(frame.linkType);
    if (h === undefined) {
      this.unknownLinkTypes.set(frame.linkType, (this.unknownLinkTypes.get(frame.linkType) ?? 0) + 1);
      out.undecodedReason = REASON_UNKNOWN_LINKTYPE;
    } else {
      try {
        h(d, 0, this.frameOriginalLength, out, 0);
      } catch {
        // Defensive: a bug must not stop a capture's analysis.
        out.undecodedReason = REASON_MALFORMED;
      }
    }
    if (out.ipVersion !== 0 || out.outerIpVersion !== 0) this.ipFrames++;
    if (out.transport === Transport.Tcp) this.tcp++;
    else if (out.transport === Transport.IcmpError) this.icmpErrors++;
    if (out.isFragment) this.fragments++;
    if (out.tunnel !== TunnelKind.None) this.tunnels++;
    if (out.truncatedHeaders) this.truncated++;
  }

  /** Bytes [off, need) are wanted; true when they are there, else marks the packet and returns false. */
  private have(need: number, end: number, out: Packet): boolean {
    if (need > this.capEnd) {
      out.truncatedHeaders = true;
      out.undecodedReason = REASON_TRUNCATED;
      return false;
    }
    if (need > end) {
      out.undecodedReason = REASON_MALFORMED;
      return false;
    }
    return true;
  }

  private dispatchEther(type: number, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    out.etherType = type;
    const h = this.etherTable.get(type);
    if (h === undefined) {
      out.undecodedReason = type <= 1500 ? REASON_LLC : REASON_UNKNOWN_ETHERTYPE;
      return;
    }
    h(d, off, end, out, depth);
  }

  private dispatchProto(proto: number, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    out.ipProtocol = proto;
    const h = this.protoTable[proto];
    if (h === undefined) {
      out.transport = Transport.Other;
      return;
    }
    h(d, off, end, out, depth);
  }

  // ------------------------------------------------------------------ link layer

  private ethernet(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (!this.have(off + 14, end, out)) return;
    this.dispatchEther(u16(d, off + 12), d, off + 14, end, out, depth);
  }

  private vlan(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (++this.vlanTags > MAX_VLAN_TAGS) {
      out.undecodedReason = REASON_MALFORMED;
      return;
    }
    if (!this.have(off + 4, end, out)) return;
    if (out.vlanId < 0) out.vlanId = u16(d, off) & 0x0fff;
    out.vlanCount++;
    this.dispatchEther(u16(d, off + 2), d, off + 4, end, out, depth);
  }

  private sll(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (!this.have(off + 16, end, out)) return;
    out.direction = sllDirection(u16(d, off));
    this.dispatchEther(u16(d, off + 14), d, off + 16, end, out, depth);
  }

  private sll2(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (!this.have(off + 20, end, out)) return;
    out.ifIndex = u32(d, off + 4);
    out.direction = sllDirection(d[off + 10]!);
    this.dispatchEther(u16(d, off), d, off + 20, end, out, depth);
  }

  private rawByNibble(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (!this.have(off + 1, end, out)) return;
    const v = d[off]! >> 4;
    if (v === 4) this.ipv4(d, off, end, out, depth);
    else if (v === 6) this.ipv6(d, off, end, out, depth);
    else out.undecodedReason = REASON_BAD_IP_VERSION;
  }

  private nullHostOrder(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (!this.have(off + 4, end, out)) return;
    // Host byte order of the writer: AF values are small, so whichever end holds them is the order.
    let af = (d[off]! | (d[off + 1]! << 8) | (d[off + 2]! << 16) | (d[off + 3]! << 24)) >>> 0;
    if ((af & 0xffff) === 0) af = u32(d, off);
    this.dispatchAf(af, d, off + 4, end, out, depth);
  }

  private nullNetOrder(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (!this.have(off + 4, end, out)) return;
    this.dispatchAf(u32(d, off), d, off + 4, end, out, depth);
  }

  /**
   * NFLOG: 4-byte header (address family, version, resource id), then TLVs with a host-endian
   * (little-endian in practice) 16-bit length and type, each padded to 4 bytes; type 9
   * (NFULA_PAYLOAD) holds the IP packet.
   */
  private nflog(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (!this.have(off + 4, end, out)) return;
    const af = d[off]!;
    let p = off + 4;
    const limit = Math.min(end, this.capEnd);
    while (p + 4 <= limit) {
      const len = d[p]! | (d[p + 1]! << 8);
      const type = (d[p + 2]! | (d[p + 3]! << 8)) & 0x7fff;
      if (len < 4) break;
      if (type === 9) {
        if (af === 2) this.ipv4(d, p + 4, p + len, out, depth);
        else if (af === 10) this.ipv6(d, p + 4, p + len, out, depth);
        else out.undecodedReason = REASON_UNKNOWN_ETHERTYPE;
        return;
      }
      p += (len + 3) & ~3;
    }
    out.undecodedReason = p + 4 > this.capEnd ? REASON_TRUNCATED : REASON_MALFORMED;
    if (p + 4 > this.capEnd) out.truncatedHeaders = true;
  }

  private dispatchAf(af: number, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    const h = this.afTable.get(af);
    if (h === undefined) {
      out.undecodedReason = REASON_UNKNOWN_ETHERTYPE;
      return;
    }
    h(d, off, end, out, depth);
  }

  // ------------------------------------------------------------------ IP

  private ipv4(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (!this.have(off + 20, end, out)) return;
    if (d[off]! >> 4 !== 4) {
      // Wireshark hands an IPv6 header behind ethertype 0x0800 / AF_INET to IPv6; so do we.
      if (d[off]! >> 4 === 6) this.ipv6(d, off, end, out, depth);
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
    if (!this.have(off + ihl, off + total, out)) return;
    if (out.fragmentOffset > 0) {
      out.isFragment = true;
      out.undecodedReason = REASON_FRAGMENT;
      return;
    }
    this.extHeaders = 0;
    this.dispatchProto(out.ipProtocol, d, off + ihl, off + total, out, depth);
  }

  private ipv6(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (!this.have(off + 40, end, out)) return;
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
    this.v6PayloadStart = off + 40;
    // Payload length 0: a jumbogram (hop-by-hop jumbo option) or a GSO capture; until a jumbo
    // option says otherwise, the payload runs to the end of the enclosing layer.
    this.v6Jumbo = plen === 0;
    const payloadEnd = plen === 0 ? Math.max(end, off + 40) : off + 40 + plen;
    out.ipLength = payloadEnd - off;
    this.extHeaders = 0;
    this.dispatchProto(d[off + 6]!, d, off + 40, payloadEnd, out, depth);
  }

  /** Hop-by-hop (0), routing (43), destination options (60): (len + 1) * 8 bytes. */
  private ipv6Ext(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (++this.extHeaders > MAX_EXT_HEADERS) {
      out.undecodedReason = REASON_MALFORMED;
      return;
    }
    if (!this.have(off + 2, end, out)) return;
    const next = d[off]!;
    const len = (d[off + 1]! + 1) * 8;
    if (!this.have(off + len, end, out)) return;
    if (this.v6Jumbo && off === this.v6PayloadStart) {
      // Look for the jumbo payload option (type 0xC2, 4 bytes): RFC 2675 / BIG TCP.
      let p = off + 2;
      while (p < off + len) {
        const t = d[p]!;
        if (t === 0) { p++; continue; }
        if (p + 2 > off + len) break;
        const l = d[p + 1]!;
        if (t === 0xc2 && l === 4 && p + 6 <= off + len) {
          const jumbo = u32(d, p + 2);
          end = this.v6PayloadStart + jumbo;
          out.ipLength = end - (this.v6PayloadStart - 40);
          break;
        }
        p += 2 + l;
      }
    }
    this.dispatchProto(next, d, off + len, end, out, depth);
  }

  private ipv6Fragment(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (!this.have(off + 8, end, out)) return;
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
    this.dispatchProto(d[off]!, d, off + 8, end, out, depth);
  }

  /** Authentication header (IPv4 and IPv6): (len + 2) * 4 bytes. */
  private ah(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (++this.extHeaders > MAX_EXT_HEADERS) {
      out.undecodedReason = REASON_MALFORMED;
      return;
    }
    if (!this.have(off + 2, end, out)) return;
    const len = (d[off + 1]! + 2) * 4;
    if (!this.have(off + len, end, out)) return;
    this.dispatchProto(d[off]!, d, off + len, end, out, depth);
  }

  private esp(_d: Uint8Array, _off: number, _end: number, out: Packet): void {
    out.transport = Transport.Other;
    out.undecodedReason = REASON_ENCRYPTED;
  }

  private noNext(_d: Uint8Array, _off: number, _end: number, out: Packet): void {
    out.transport = Transport.None;
    out.undecodedReason = REASON_NO_NEXT;
  }

  // ------------------------------------------------------------------ transport

  private tcp_(d: Uint8Array, off: number, end: number, out: Packet): void {
    if (!this.have(off + 20, end, out)) return;
    const hl = (d[off + 12]! >> 4) * 4;
    out.srcPort = u16(d, off);
    out.dstPort = u16(d, off + 2);
    out.seq = u32(d, off + 4);
    out.ack = u32(d, off + 8);
    out.flags = d[off + 13]!;
    out.window = u16(d, off + 14);
    if (hl < 20) {
      out.transport = Transport.Other;
      out.undecodedReason = REASON_MALFORMED;
      return;
    }
    out.transport = Transport.Tcp;
    out.tcpHeaderLength = hl;
    out.payloadLength = Math.max(end - off - hl, 0);
    out.payloadOffset = off + hl;
    out.capturedPayloadLength = Math.max(Math.min(end, this.capEnd) - off - hl, 0);
    // Options: parse what was captured; flag a cut header.
    const optEnd = off + hl;
    const limit = Math.min(optEnd, end, this.capEnd);
    if (optEnd > this.capEnd) {
      out.truncatedHeaders = true;
      out.undecodedReason = REASON_TRUNCATED;
    } else if (optEnd > end) {
      out.undecodedReason = REASON_MALFORMED;
    }
    let p = off + 20;
    while (p < limit) {
      const kind = d[p]!;
      if (kind === 0) break; // end of option list
      if (kind === 1) { p++; continue; } // NOP
      if (p + 2 > limit) break;
      const len = d[p + 1]!;
      if (len < 2 || p + len > limit) break;
      switch (kind) {
        case 2: if (len === 4) out.mss = u16(d, p + 2); break;
        case 3: if (len === 3) out.windowScale = d[p + 2]!; break;
        case 4: out.sackPermitted = true; break;
        case 5: out.sackBlocks = (len - 2) >> 3; break;
        case 8:
          if (len === 10) {
            out.hasTimestamps = true;
            out.tsVal = u32(d, p + 2);
            out.tsEcr = u32(d, p + 6);
          }
          break;
        default: break;
      }
      p += len;
    }
  }

  private udp(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (!this.have(off + 8, end, out)) return;
    out.srcPort = u16(d, off);
    out.dstPort = u16(d, off + 2);
    out.transport = Transport.Udp;
    const ulen = u16(d, off + 4);
    const udpEnd = ulen >= 8 ? off + ulen : end; // 0 in jumbograms / GSO
    out.payloadLength = Math.max(udpEnd - off - 8, 0);
    out.payloadOffset = off + 8;
    out.capturedPayloadLength = Math.max(Math.min(udpEnd, this.capEnd) - off - 8, 0);
    // Wireshark's order: the lower port first, then the higher one.
    const lo = out.srcPort < out.dstPort ? out.srcPort : out.dstPort;
    const hi = out.srcPort < out.dstPort ? out.dstPort : out.srcPort;
    const h = this.udpTable.get(lo) ?? this.udpTable.get(hi);
    if (h !== undefined) h(d, off + 8, udpEnd, out, depth);
  }

  private icmp4(d: Uint8Array, off: number, end: number, out: Packet): void {
    if (!this.have(off + 8, end, out)) return;
    out.icmpType = d[off]!;
    out.icmpCode = d[off + 1]!;
    if (!isIcmp4Error(out.icmpType)) {
      out.transport = Transport.Other;
      return;
    }
    out.transport = Transport.IcmpError;
    this.quote(d, off + 8, end, out);
  }

  private icmp6(d: Uint8Array, off: number, end: number, out: Packet): void {
    if (!this.have(off + 8, end, out)) return;
    out.icmpType = d[off]!;
    out.icmpCode = d[off + 1]!;
    if (!isIcmp6Error(out.icmpType)) {
      out.transport = Transport.Other;
      return;
    }
    out.transport = Transport.IcmpError;
    this.quote(d, off + 8, end, out);
  }

  /** The embedded (offending) packet of an ICMP error: IP header + the first 8 transport bytes. */
  private quote(d: Uint8Array, off: number, end: number, out: Packet): void {
    if (!this.have(off + 1, end, out)) return;
    const v = d[off]! >> 4;
    let p: number;
    let proto: number;
    if (v === 4) {
      if (!this.have(off + 20, end, out)) return;
      const ihl = (d[off]! & 0x0f) * 4;
      out.innerIpVersion = 4;
      copyAddr(out.innerSrc, d, off + 12, 4);
      copyAddr(out.innerDst, d, off + 16, 4);
      proto = d[off + 9]!;
      out.innerProtocol = proto;
      if (ihl < 20 || (u16(d, off + 6) & 0x1fff) !== 0) return; // bad header / non-first fragment
      p = off + ihl;
    } else if (v === 6) {
      if (!this.have(off + 40, end, out)) return;
      out.innerIpVersion = 6;
      copyAddr(out.innerSrc, d, off + 8, 16);
      copyAddr(out.innerDst, d, off + 24, 16);
      proto = d[off + 6]!;
      p = off + 40;
      for (let i = 0; i < MAX_EXT_HEADERS; i++) {
        if (proto === 0 || proto === 43 || proto === 60 || proto === 51) {
          if (!this.have(p + 2, end, out)) { out.innerProtocol = proto; return; }
          const len = proto === 51 ? (d[p + 1]! + 2) * 4 : (d[p + 1]! + 1) * 8;
          proto = d[p]!;
          p += len;
        } else if (proto === 44) {
          if (!this.have(p + 8, end, out)) { out.innerProtocol = proto; return; }
          const nonFirst = (u16(d, p + 2) & 0xfff8) !== 0;
          proto = d[p]!;
          p += 8;
          if (nonFirst) { out.innerProtocol = proto; return; }
        } else break;
      }
      out.innerProtocol = proto;
    } else {
      out.undecodedReason = REASON_BAD_IP_VERSION;
      return;
    }
    // TCP, UDP, SCTP, UDP-Lite, DCCP: ports in the first 4 bytes.
    if (proto === 6 || proto === 17 || proto === 132 || proto === 136 || proto === 33) {
      if (!this.have(p + 4, end, out)) return;
      out.innerSrcPort = u16(d, p);
      out.innerDstPort = u16(d, p + 2);
      if (proto === 6 && this.have(p + 8, end, out)) out.innerSeq = u32(d, p + 4);
    }
  }

  // ------------------------------------------------------------------ tunnels

  /** Record the outermost tunnel and clear the network/transport view for the inner packet. */
  private enter(kind: TunnelKind, id: number, out: Packet, depth: number): boolean {
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
    out.ipVersion = 0;
    out.ttl = 0;
    out.ipId = -1;
    out.ipLength = 0;
    out.ipProtocol = 0;
    out.ipOffset = -1;
    out.dontFragment = false;
    out.moreFragments = false;
    out.fragmentOffset = 0;
    out.transport = Transport.None;
    out.srcPort = 0;
    out.dstPort = 0;
    out.payloadLength = 0;
    out.payloadOffset = -1;
    out.capturedPayloadLength = 0;
    out.icmpType = -1;
    out.icmpCode = -1;
    return true;
  }

  private ipInIp(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (!this.enter(TunnelKind.IpIp, -1, out, depth)) return;
    this.ipv4(d, off, end, out, depth + 1);
  }

  private ip6InIp(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (!this.enter(TunnelKind.Ip6InIp, -1, out, depth)) return;
    this.ipv6(d, off, end, out, depth + 1);
  }

  private gre(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (!this.have(off + 4, end, out)) return;
    const fl = u16(d, off);
    const proto = u16(d, off + 2);
    if ((fl & 0x7) !== 0) {
      // version 1 (PPTP enhanced GRE) and others: not decapsulated
      out.transport = Transport.Other;
      out.undecodedReason = REASON_UNSUPPORTED_TUNNEL;
      return;
    }
    let p = off + 4;
    if (fl & 0xc000) p += 4; // checksum (and reserved1) present when C or R is set
    let key = -1;
    if (fl & 0x2000) {
      if (!this.have(p + 4, end, out)) return;
      key = u32(d, p);
      p += 4;
    }
    if (fl & 0x1000) p += 4; // sequence number
    if (fl & 0x4000) {
      // RFC 1701 source routing: SREs until a NULL one (address family 0, length 0)
      for (let i = 0; ; i++) {
        if (i > 16 || !this.have(p + 4, end, out)) return;
        const len = d[p + 3]!;
        p += 4 + len;
        if (len === 0 && u16(d, p - 4) === 0) break;
      }
    }
    if (!this.have(p, end, out)) return;
    if (this.etherTable.get(proto) === undefined) {
      out.transport = Transport.Other;
      out.undecodedReason = REASON_UNSUPPORTED_TUNNEL;
      return;
    }
    if (!this.enter(TunnelKind.Gre, key, out, depth)) return;
    this.dispatchEther(proto, d, p, end, out, depth + 1);
  }

  private vxlan(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (!this.have(off + 8, end, out)) return;
    const vni = (d[off + 4]! << 16) | (d[off + 5]! << 8) | d[off + 6]!;
    if (!this.enter(TunnelKind.Vxlan, vni, out, depth)) return;
    this.ethernet(d, off + 8, end, out, depth + 1);
  }

  private geneve(d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
    if (!this.have(off + 8, end, out)) return;
    if (d[off]! >> 6 !== 0) {
      out.undecodedReason = REASON_UNSUPPORTED_TUNNEL;
      return;
    }
    const optLen = (d[off]! & 0x3f) * 4;
    const proto = u16(d, off + 2);
    const vni = (d[off + 4]! << 16) | (d[off + 5]! << 8) | d[off + 6]!;
    if (!this.have(off + 8 + optLen, end, out)) return;
    if (this.etherTable.get(proto) === undefined) {
      out.undecodedReason = REASON_UNSUPPORTED_TUNNEL;
      return;
    }
    if (!this.enter(TunnelKind.Geneve, vni, out, depth)) return;
    this.dispatchEther(proto, d, off + 8 + optLen, end, out, depth + 1);
  }
}

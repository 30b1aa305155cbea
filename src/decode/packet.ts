/**
 * The decoder's boundary: one reused `Packet` per capture, overwritten for each frame
 * (gopacket's DecodingLayerParser idea: no allocation per packet). Addresses are copied into
 * fixed 16-byte arrays (IPv4 in bytes 0..3) so they stay valid after the frame buffer moves on;
 * everything else is plain numbers. Consumers copy what they keep.
 */

export const enum TcpFlag {
  FIN = 0x01,
  SYN = 0x02,
  RST = 0x04,
  PSH = 0x08,
  ACK = 0x10,
  URG = 0x20,
  ECE = 0x40,
  CWR = 0x80,
}

/** Linux SLL/SLL2 packet types (where the capture says which way the packet went). */
export const enum LinkDirection {
  Unknown = -1,
  Host = 0,
  Broadcast = 1,
  Multicast = 2,
  OtherHost = 3,
  Outgoing = 4,
}

export const enum TunnelKind {
  None = 0,
  Vxlan = 1,
  Geneve = 2,
  IpIp = 3,
  Ip6InIp = 4,
  Gre = 5,
}

/** The innermost transport the decoder reached. */
export const enum Transport {
  None = 0,
  Tcp = 1,
  Udp = 2,
  IcmpError = 3,
  Other = 4,
}

export class Packet {
  // --- link layer ---
  /** Interface index from SLL2 (or pcapng interface id when no SLL2); -1 if unknown. */
  ifIndex = -1;
  direction: LinkDirection = LinkDirection.Unknown;
  vlanId = -1;
  /** LINKTYPE_* of the frame (copied from the Frame). */
  linkType = -1;
  /** 802.1Q/802.1ad tags walked (QinQ: 2); vlanId is the outermost one's id. */
  vlanCount = 0;
  /** The last ethertype dispatched (after VLAN tags, innermost after decapsulation); -1 if none. */
  etherType = -1;

  // --- network layer (innermost IP header after decapsulation) ---
  /** 0 when no IP header was found. */
  ipVersion: 0 | 4 | 6 = 0;
  readonly src = new Uint8Array(16);
  readonly dst = new Uint8Array(16);
  ttl = 0;
  /** IPv4 identification, or the fragment-header id for IPv6 (-1 when absent). */
  ipId = -1;
  /** IP total length as the header claims (IPv4 total length; IPv6 payload length + 40). */
  ipLength = 0;
  /** The IP protocol of the transport (after IPv6 extension headers). */
  ipProtocol = 0;
  /** A non-first fragment: no transport header in it. */
  isFragment = false;
  /** IPv4 DF bit. */
  dontFragment = false;
  /** IPv4 MF bit / IPv6 fragment header M flag (a first fragment has it set, offset 0). */
  moreFragments = false;
  /** Fragment offset in bytes (IPv4, or the IPv6 fragment header); 0 when not fragmented. */
  fragmentOffset = 0;
  /** Offset of the innermost IP header in the frame's data; -1 when none. */
  ipOffset = -1;

  // --- tunnel (outermost encapsulation, when one was removed) ---
  tunnel: TunnelKind = TunnelKind.None;
  outerIpVersion: 0 | 4 | 6 = 0;
  readonly outerSrc = new Uint8Array(16);
  readonly outerDst = new Uint8Array(16);
  /** VXLAN VNI / Geneve VNI / GRE key; -1 when none. */
  tunnelId = -1;
  /** Encapsulations removed (0 when none; nested tunnels count each). */
  tunnelDepth = 0;

  transport: Transport = Transport.None;

  // --- TCP ---
  srcPort = 0;
  dstPort = 0;
  /** Unsigned 32-bit. */
  seq = 0;
  /** Unsigned 32-bit. */
  ack = 0;
  flags = 0;
  window = 0;
  /** TCP payload bytes according to the IP length (not the captured length). */
  payloadLength = 0;
  /** TCP header length in bytes (data offset × 4); 0 when no TCP header. */
  tcpHeaderLength = 0;
  /** Offset of the TCP/UDP payload in the frame's data; -1 when none. */
  payloadOffset = -1;
  /** Payload bytes actually present in the frame (≤ payloadLength when the snaplen cut it). */
  capturedPayloadLength = 0;
  /** TCP options; -1 when absent. */
  mss = -1;
  windowScale = -1;
  sackPermitted = false;
  sackBlocks = 0;
  hasTimestamps = false;
  tsVal = 0;
  tsEcr = 0;

  // --- ICMP / ICMPv6 error carrying an embedded IP + transport header ---
  icmpType = -1;
  icmpCode = -1;
  /** Embedded (offending) packet: the one this error is about. */
  innerIpVersion: 0 | 4 | 6 = 0;
  readonly innerSrc = new Uint8Array(16);
  readonly innerDst = new Uint8Array(16);
  innerProtocol = 0;
  innerSrcPort = -1;
  innerDstPort = -1;
  /** Embedded TCP sequence number; -1 when not present in the quote. */
  innerSeq = -1;

  /** The frame was cut by the snaplen (or truncated) before the headers the decoder wanted ended. */
  truncatedHeaders = false;
  /** Short reason the decoder stopped early, or '' (a constant string, never built per packet). */
  undecodedReason = '';

  reset(): void {
    this.ifIndex = -1;
    this.direction = LinkDirection.Unknown;
    this.vlanId = -1;
    this.linkType = -1;
    this.vlanCount = 0;
    this.etherType = -1;
    this.ipVersion = 0;
    this.ttl = 0;
    this.ipId = -1;
    this.ipLength = 0;
    this.ipProtocol = 0;
    this.isFragment = false;
    this.dontFragment = false;
    this.moreFragments = false;
    this.fragmentOffset = 0;
    this.ipOffset = -1;
    this.tunnel = TunnelKind.None;
    this.outerIpVersion = 0;
    this.tunnelId = -1;
    this.tunnelDepth = 0;
    this.transport = Transport.None;
    this.srcPort = 0;
    this.dstPort = 0;
    this.seq = 0;
    this.ack = 0;
    this.flags = 0;
    this.window = 0;
    this.payloadLength = 0;
    this.tcpHeaderLength = 0;
    this.payloadOffset = -1;
    this.capturedPayloadLength = 0;
    this.mss = -1;
    this.windowScale = -1;
    this.sackPermitted = false;
    this.sackBlocks = 0;
    this.hasTimestamps = false;
    this.tsVal = 0;
    this.tsEcr = 0;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.innerIpVersion = 0;
    this.innerProtocol = 0;
    this.innerSrcPort = -1;
    this.innerDstPort = -1;
    this.innerSeq = -1;
    this.truncatedHeaders = false;
    this.undecodedReason = '';
  }
}

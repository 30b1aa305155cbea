/**
 * The decoder's boundary: one reused `Packet` per capture, overwritten for each frame
 * (gopacket's DecodingLayerParser idea: no allocation per packet). Addresses are copied into
 * fixed 16-byte arrays (IPv4 in bytes 0..3) so they stay valid after the frame buffer moves on;
 * everything else is plain numbers. Consumers copy what they keep.
 */

import {
  addressField, boolField, enumField, intField, layerClearer, nibbleField, optionalUintField, recordClass, textField, uintField,
  type RecordOf, type Schema,
} from './field-schema.js';

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
  GtpU = 6,
  Teredo = 7,
  Ayiya = 8,
  L2tp = 9,
}

/** The innermost transport the decoder reached. */
export const enum Transport {
  None = 0,
  Tcp = 1,
  Udp = 2,
  IcmpError = 3,
  Other = 4,
}

/**
 * The Packet's fields, declared once: the class, its reset, the clearing on entering a tunnel and
 * the shared-memory row the decoding thread writes (src/analysis/packet-record.ts) derive from it.
 * `layer` groups fields for clearing; `row` says which part of the row carries a field (null: not
 * carried; nothing downstream of the decoding thread reads it).
 */
export const PACKET_FIELDS = {
  // --- link layer ---
  /** Interface index from SLL2 (or pcapng interface id when no SLL2); -1 if unknown. */
  ifIndex: intField(-1, 'link'),
  direction: enumField<LinkDirection>(LinkDirection.Unknown, 'link'),
  vlanId: intField(-1, 'link'),
  /** LINKTYPE_* of the frame (copied from the Frame). */
  linkType: intField(-1, 'link'),
  /** 802.1Q/802.1ad tags walked (QinQ: 2); vlanId is the outermost one's id. */
  vlanCount: intField(0, 'link'),
  /** The last ethertype dispatched (after VLAN tags, innermost after decapsulation); -1 if none. */
  etherType: intField(-1, 'link'),
  /**
   * Where the capture saw the frame: interface, link direction and outer VLAN folded into one
   * number (set by the Decoder); -1 when the link type names no interface (Linux cooked v1).
   */
  capturePoint: intField(0, 'link', 'transport'),

  // --- network layer (innermost IP header after decapsulation) ---
  /** 0 when no IP header was found. */
  ipVersion: nibbleField<0 | 4 | 6>(0, 'network', 'always'),
  src: addressField('network', 'ipVersion', 'transport'),
  dst: addressField('network', 'ipVersion', 'transport'),
  ttl: intField(0, 'network', 'transport'),
  /** IPv4 identification, or the fragment-header id for IPv6 (-1 when absent). */
  ipId: intField(-1, 'network', 'transport'),
  /** IP total length as the header claims (IPv4 total length; IPv6 payload length + 40). */
  ipLength: intField(0, 'network', 'transport'),
  /** The IP protocol of the transport (after IPv6 extension headers). */
  ipProtocol: intField(0, 'network'),
  /** A non-first fragment: no transport header in it. */
  isFragment: boolField('network'),
  /** IPv4 DF bit. */
  dontFragment: boolField('network'),
  /** IPv4 MF bit / IPv6 fragment header M flag (a first fragment has it set, offset 0). */
  moreFragments: boolField('network'),
  /** Fragment offset in bytes (IPv4, or the IPv6 fragment header); 0 when not fragmented. */
  fragmentOffset: intField(0, 'network'),
  /** Offset of the innermost IP header in the frame's data; -1 when none. */
  ipOffset: intField(-1, 'network'),

  // --- tunnel (outermost encapsulation, when one was removed) ---
  tunnel: enumField<TunnelKind>(TunnelKind.None, 'tunnel'),
  outerIpVersion: nibbleField<0 | 4 | 6>(0, 'tunnel'),
  outerSrc: addressField('tunnel', 'outerIpVersion'),
  outerDst: addressField('tunnel', 'outerIpVersion'),
  /** VXLAN VNI / Geneve VNI / GRE key / GTP-U TEID / L2TP tunnel id; -1 when none. */
  tunnelId: intField(-1, 'tunnel'),
  /** Encapsulations removed (0 when none; nested tunnels count each). */
  tunnelDepth: intField(0, 'tunnel'),

  /** The innermost transport the decoder reached. */
  transport: nibbleField<Transport>(Transport.None, 'transport', 'always'),

  // --- TCP ---
  srcPort: intField(0, 'transport', 'transport'),
  dstPort: intField(0, 'transport', 'transport'),
  seq: uintField(0, 'transport', 'transport'),
  ack: uintField(0, 'transport', 'transport'),
  flags: intField(0, 'transport', 'transport'),
  window: intField(0, 'transport', 'transport'),
  /** TCP payload bytes according to the IP length (not the captured length). */
  payloadLength: intField(0, 'transport', 'transport'),
  /** TCP header length in bytes (data offset × 4); 0 when no TCP header. */
  tcpHeaderLength: intField(0, 'transport'),
  /** Offset of the TCP/UDP payload in the frame's data; -1 when none. */
  payloadOffset: intField(-1, 'transport'),
  /** Payload bytes actually present in the frame (≤ payloadLength when the snaplen cut it). */
  capturedPayloadLength: intField(0, 'transport'),
  /** TCP options; -1 when absent. */
  mss: intField(-1, 'transport'),
  windowScale: intField(-1, 'transport'),
  sackPermitted: boolField('transport'),
  sackBlocks: intField(0, 'transport'),
  hasTimestamps: boolField('transport', 'transport'),
  tsVal: uintField(0, 'transport', 'transport'),
  tsEcr: uintField(0, 'transport', 'transport'),
  /**
   * No packet with this one's direction and copy-compared fields was seen within the copy window:
   * it cannot be a copy (set after decoding by src/flow/copy-prefilter.ts; false: not known).
   */
  unrepeated: boolField('transport', 'transport'),
  /** The flow table's hash of the 4-tuple (src/flow/tuple-index.ts), set with `unrepeated`; 0: not known. */
  tupleHash: uintField(0, 'transport', 'transport'),
  /**
   * A SYN or SYN-ACK with no earlier SYN (without ACK) of the ISN it has or acknowledges within the
   * NAT linker's window: nothing to link it with (set after decoding by src/nat/syn-prefilter.ts;
   * false: not known).
   */
  noSynTwin: boolField('transport', 'transport'),

  // --- ICMP / ICMPv6 error carrying an embedded IP + transport header ---
  icmpType: intField(-1, 'icmp', 'icmp'),
  icmpCode: intField(-1, 'icmp', 'icmp'),
  /** Embedded (offending) packet: the one this error is about. */
  innerIpVersion: nibbleField<0 | 4 | 6>(0, 'icmp', 'icmp'),
  innerSrc: addressField('icmp', 'innerIpVersion', 'icmp'),
  innerDst: addressField('icmp', 'innerIpVersion', 'icmp'),
  innerProtocol: intField(0, 'icmp', 'icmp'),
  innerSrcPort: intField(-1, 'icmp', 'icmp'),
  innerDstPort: intField(-1, 'icmp', 'icmp'),
  /** Embedded TCP sequence number; -1 when not present in the quote. */
  innerSeq: optionalUintField('icmp', 'icmp'),

  /** The frame was cut by the snaplen (or truncated) before the headers the decoder wanted ended. */
  truncatedHeaders: boolField('status'),
  /** Short reason the decoder stopped early, or '' (a constant string, never built per packet). */
  undecodedReason: textField('', 'status'),
} as const satisfies Schema;

export type Packet = RecordOf<typeof PACKET_FIELDS> & { reset(): void };
export const Packet = recordClass('Packet', PACKET_FIELDS);

/** Entering a tunnel: the network and transport view is the inner packet's from here on (addresses are overwritten by it). */
export const clearInnerLayers: (p: Packet) => void = layerClearer(PACKET_FIELDS, ['network', 'transport', 'icmp']);

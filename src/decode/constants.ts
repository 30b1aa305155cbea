/** The decoder's limits, its reasons for stopping early and the ethertypes more than one layer names. */

/** Maximum number of encapsulations removed from one frame (then decoding stops). */
export const MAX_ENCAPSULATION = 4;
/** Maximum 802.1Q/802.1ad tags walked in one frame. */
export const MAX_VLAN_TAGS = 8;
/** Maximum IPv6 extension headers (and AH) walked per IP header (each is >= 8 bytes, so also bounded by the frame; libpcap's ipv6_ext_headers.pcap has 82). */
export const MAX_EXT_HEADERS = 128;

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
export const REASON_PPP_CONTROL = 'PPP link control';
// Where TCP may be inside but was not reached: each is counted and named in inputs[].warnings.
export const REASON_PPP_PROTOCOL = 'PPP protocol not decoded';
export const REASON_PPP_COMPRESSED = 'PPP compressed or encrypted';
export const REASON_MPLS_PAYLOAD = 'MPLS payload not recognised';
export const REASON_GTP_PAYLOAD = 'GTP-U payload not IP';
export const REASON_ERSPAN = 'ERSPAN variant not decoded';
export const REASON_ENCRYPTED_WLAN = 'protected 802.11 (encrypted)';
export const REASON_AMSDU = 'aggregated 802.11 (A-MSDU)';
export const REASON_IPCOMP = 'IPComp (compressed)';
export const REASON_MACSEC = 'MACsec (encrypted)';
export const REASON_GRE_PROTOCOL = 'GRE payload type not decoded';
export const REASON_SPLIT_HEADER = 'TCP header split across IP fragments';
export const REASON_SFLOW = 'sFlow samples (sampled headers not analysed)';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_QINQ_OLD = 0x9100;
export const ETHERTYPE_TEB = 0x6558;
export const ETHERTYPE_MPLS = 0x8847;
export const ETHERTYPE_MPLS_MULTICAST = 0x8848;

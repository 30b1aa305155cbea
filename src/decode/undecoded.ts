/**
 * Frames in which TCP may be but the decoder did not reach it, counted by reason and told in the
 * input's warnings (never silently). Frames that cannot hold TCP (ARP, LLDP, PPP link control,
 * plain UDP) are not counted.
 */

import {
  REASON_AMSDU, REASON_ENCRYPTED, REASON_ENCRYPTED_WLAN, REASON_ERSPAN, REASON_GRE_PROTOCOL, REASON_GTP_PAYLOAD,
  REASON_IPCOMP, REASON_MACSEC, REASON_MPLS_PAYLOAD, REASON_PPP_COMPRESSED, REASON_PPP_PROTOCOL, REASON_SFLOW,
  REASON_SPLIT_HEADER, REASON_TOO_DEEP, REASON_UNSUPPORTED_TUNNEL,
} from './constants.js';

/** Reasons that mean "an encapsulation was not removed", so a TCP segment may be inside. */
export const HIDING_REASONS: ReadonlySet<string> = new Set([
  REASON_AMSDU, REASON_ENCRYPTED, REASON_ENCRYPTED_WLAN, REASON_ERSPAN, REASON_GRE_PROTOCOL, REASON_GTP_PAYLOAD,
  REASON_IPCOMP, REASON_MACSEC, REASON_MPLS_PAYLOAD, REASON_PPP_COMPRESSED, REASON_PPP_PROTOCOL, REASON_SFLOW,
  REASON_SPLIT_HEADER, REASON_TOO_DEEP, REASON_UNSUPPORTED_TUNNEL,
]);

/** Ethertypes of protocols that never carry IP: an unknown ethertype outside this list might. */
const NO_IP_ETHERTYPES: ReadonlySet<number> = new Set([
  0x0806, 0x8035, // ARP, RARP
  0x0842, 0x8808, 0x8809, 0x88cc, 0x888e, 0x88c7, // Wake-on-LAN, pause, slow protocols (LACP), LLDP, 802.1X
  0x8863, 0x9000, 0x8902, 0x88f7, 0x88f5, 0x88f6, 0x88e3, 0x22ea, 0x22f0, // PPPoE discovery, loopback, CFM, PTP, MRP, AVB
  0x8137, 0x8138, 0x809b, 0x80f3, 0x6002, 0x6003, 0x6004, 0x80d5, // IPX, AppleTalk, DEC, SNA
  0x8892, 0x88a4, 0x88ab, 0x88cd, 0x88b8, 0x88ba, 0x8819, // industrial: PROFINET, EtherCAT, Powerlink, SERCOS, IEC 61850, CobraNet
  0x887b, 0x88e1, 0x893a, 0x8912, 0x88d9, 0x886f, 0x88f8, 0x8940, 0x88ee, 0x88fb, // HomePlug, 1905, LLTD, NLB, NC-SI, ECP, E-LMI, PRP
  0x8906, 0x8914, 0x8915, 0x88a2, // FCoE, FIP, RoCE, ATA over Ethernet
]);

/** The counts a Decoder keeps beside its packet view, as they cross from a decoding thread. */
export interface DecoderCounts {
  /** LINKTYPE → frames of that (undecoded) link type. */
  unknownLinkTypes: [number, number][];
  /** Reason (or "ethertype 0x…") → frames in which TCP was not reached for it. */
  undecoded: [string, number][];
}

/** Whether a frame that stopped at this unknown ethertype might have held TCP. */
export function mayHideTcp(etherType: number): boolean {
  return etherType >= 0x0600 && !NO_IP_ETHERTYPES.has(etherType);
}

export function etherTypeLabel(etherType: number): string {
  return `unknown ethertype 0x${etherType.toString(16).padStart(4, '0')}`;
}

const count = (n: number): string => n.toLocaleString('en-US');

/** The warnings for one capture's counts. */
export function decoderWarnings(c: DecoderCounts): string[] {
  const out: string[] = [];
  for (const [lt, n] of c.unknownLinkTypes) out.push(`${n} frame${n > 1 ? 's' : ''} of unsupported link type ${lt} not decoded`);
  if (c.undecoded.length > 0) {
    const sorted = [...c.undecoded].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const total = sorted.reduce((s, [, n]) => s + n, 0);
    out.push(`${count(total)} frame${total > 1 ? 's' : ''} in encapsulations not decoded (TCP in them not seen): ${sorted.map(([r, n]) => `${r} ${count(n)}`).join(', ')}`);
  }
  return out;
}

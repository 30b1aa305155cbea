/**
 * The IPv6 variant: the whole capture translated to IPv6, packet by packet (also the outer and the
 * inner packets of VXLAN), as if the same cluster ran single-stack IPv6:
 *
 *   a.b.c.d                      → fd00::a:b:c:d (each decimal octet written as a hex group, so
 *                                  10.244.0.2 → fd00::10:244:0:2; injective, readable)
 *   10.96.0.0/12 (kubeadm's
 *   default Service range)       → fd00:96::/108, the low 20 bits kept (10.96.0.10 → fd00:96::a)
 *   TTL → hop limit, TOS → traffic class; the IP ID has no IPv6 counterpart and is lost
 *   ICMP errors → ICMPv6 errors: 3/3 port unreachable → 1/4, 3/1 host unreachable → 1/3,
 *     3/0 net unreachable → 1/0, 3/9, 3/10, 3/13 prohibited → 1/1, 3/4 fragmentation needed →
 *     2 packet too big (MTU + 20), 11/x time exceeded → 3/x; the quoted packet translated too
 *   ICMP echo → ICMPv6 echo (128/129)
 *
 * TCP/UDP/ICMPv6 checksums are recomputed (ipv6() in the packet builder). A frame that is not
 * IPv4 (ARP, already IPv6) or an ICMP message without an IPv6 counterpart is kept as it is.
 */

import ipaddr from 'ipaddr.js';
import type { Frame } from '../../src/capture/types.js';
import { concat, icmp6Error, ipv6 } from '../helpers/packet-builder.js';
import { LINKTYPE_ETHERNET, VXLAN_PORTS, linkLayer, put16, renumber, u16, withData } from './frames.js';

/** The IPv6 Service range the IPv4 one (10.96.0.0/12) becomes. */
export const SERVICE_CIDR_V6 = 'fd00:96::/108';

/** IPv4 address bytes → its IPv6 counterpart (text). */
export function v6Address(b: Uint8Array): string {
  if (b[0] === 10 && (b[1]! & 0xf0) === 96) {
    const low = ((b[1]! & 0x0f) << 16) | (b[2]! << 8) | b[3]!;
    return ipaddr.fromByteArray([0xfd, 0, 0, 0x96, 0, 0, 0, 0, 0, 0, 0, 0, 0, low >> 16, (low >> 8) & 0xff, low & 0xff]).toString();
  }
  return `fd00::${[...b.subarray(0, 4)].map((x) => String(x)).join(':')}`;
}

/** ICMPv4 error type/code → ICMPv6 type/code, or null when there is no counterpart. */
function icmp6TypeOf(type: number, code: number): { type: number; code: number } | null {
  if (type === 3) {
    switch (code) {
      case 0: return { type: 1, code: 0 };
      case 1: return { type: 1, code: 3 };
      case 3: return { type: 1, code: 4 };
      case 4: return { type: 2, code: 0 };
      case 9: case 10: case 13: return { type: 1, code: 1 };
      default: return { type: 1, code: 0 };
    }
  }
  if (type === 11) return { type: 3, code };
  return null;
}

/**
 * An IPv4 packet as IPv6, or null when it cannot be translated. `quoted`: the packet is the
 * (truncated) offending packet inside an ICMP error: its length field says how long it really
 * was, and its checksum is left as quoted.
 */
export function ipv4ToIpv6(ip: Uint8Array, quoted = false, depth = 0): Uint8Array | null {
  if (ip.length < 20 || ip[0]! >> 4 !== 4 || (u16(ip, 6) & 0x3fff) !== 0) return null;
  const hl = (ip[0]! & 0x0f) * 4;
  const total = u16(ip, 2);
  const proto = ip[9]!;
  const src = v6Address(ip.subarray(12, 16));
  const dst = v6Address(ip.subarray(16, 20));
  const hopLimit = ip[8]!;
  const flowLabel = ip[1]! << 20; // traffic class = the IPv4 TOS byte
  let body: Uint8Array = ip.slice(hl, Math.min(ip.length, total));
  let nextHeader = proto;
  if (proto === 1) {
    if (body.length < 8) return null;
    const type = body[0]!;
    const code = body[1]!;
    if (type === 8 || type === 0) {
      body = body.slice();
      body[0] = type === 8 ? 128 : 129;
    } else {
      const t6 = icmp6TypeOf(type, code);
      const inner = t6 === null ? null : ipv4ToIpv6(body.subarray(8), true, depth + 1);
      if (t6 === null || inner === null) return null;
      const mtu = t6.type === 2 ? Math.max(1280, u16(body, 6) + 20) : undefined;
      body = icmp6Error({ ...t6, mtu }, inner);
    }
    nextHeader = 58;
  } else if (proto === 17 && !quoted && depth < 2 && body.length >= 16 + 14 && VXLAN_PORTS.includes(u16(body, 2))) {
    const inner = ethernetToIpv6(body.subarray(16), depth + 1);
    body = concat(body.subarray(0, 16), inner);
    put16(body, 4, body.length);
  }
  return ipv6({ src, dst, nextHeader, hopLimit, flowLabel, checksum: !quoted, payloadLength: quoted ? Math.max(0, total - hl) : undefined }, body);
}

/**
 * Link-layer bytes (`data`, network header at `link.ipOff`) with their IPv4 packet translated and
 * the protocol field set to IPv6; null when the packet is not IPv4 or cannot be translated.
 */
function relinked(data: Uint8Array, link: { ipOff: number; typeOff: number }, depth = 0): Uint8Array | null {
  if (u16(data, link.typeOff) !== 0x0800) return null;
  const ip = ipv4ToIpv6(data.subarray(link.ipOff), false, depth);
  if (ip === null) return null;
  const out = concat(data.subarray(0, link.ipOff), ip);
  put16(out, link.typeOff, 0x86dd);
  return out;
}

/** An Ethernet frame (a VXLAN payload) with its IPv4 packet translated; unchanged otherwise. */
function ethernetToIpv6(frame: Uint8Array, depth: number): Uint8Array {
  const link = linkLayer(frame, LINKTYPE_ETHERNET);
  return (link === null ? null : relinked(frame, link, depth)) ?? frame;
}

/** The whole capture in IPv6 (see the file comment). */
export function toIpv6(frames: readonly Frame[]): Frame[] {
  return renumber(frames.map((f) => {
    const link = linkLayer(f.data, f.linkType);
    const data = link === null ? null : relinked(f.data, link);
    return data === null ? f : withData(f, data);
  }));
}

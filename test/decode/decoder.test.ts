import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decoder, MAX_ENCAPSULATION, REASON_FRAGMENT, REASON_UNKNOWN_LINKTYPE } from '../../src/decode/decoder.js';
import { LinkDirection, Packet, TcpFlag, Transport, TunnelKind } from '../../src/decode/packet.js';
import { formatAddress } from '../../src/decode/address.js';
import * as b from '../helpers/packet-builder.js';

const SYN = TcpFlag.SYN;

function decode(data: Uint8Array, linkType = 1, o: { originalLength?: number; interfaceId?: number } = {}): { p: Packet; d: Decoder } {
  const d = new Decoder();
  const p = new Packet();
  d.decode(b.frame(data, linkType, o), p);
  return { p, d };
}

const src = (p: Packet): string => formatAddress(p.src, p.ipVersion);
const dst = (p: Packet): string => formatAddress(p.dst, p.ipVersion);

const tcpSyn = (): Uint8Array => b.tcp({ sport: 40000, dport: 80, seq: 1000, flags: 'S' });
const v4 = (payload: Uint8Array, proto = 6): Uint8Array => b.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto }, payload);
const v6 = (payload: Uint8Array, nextHeader = 6): Uint8Array => b.ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader }, payload);

describe('link types', () => {
  const cases: { name: string; linkType: number; data: Uint8Array; version: 4 | 6; dir?: LinkDirection; ifIndex?: number; vlan?: number }[] = [
    { name: 'Ethernet IPv4', linkType: 1, data: b.ethernet({ type: 0x0800 }, v4(tcpSyn())), version: 4 },
    { name: 'Ethernet IPv6', linkType: 1, data: b.ethernet({ type: 0x86dd }, v6(tcpSyn())), version: 6 },
    { name: '802.1Q', linkType: 1, data: b.ethernet({ type: 0x0800, vlan: [42] }, v4(tcpSyn())), version: 4, vlan: 42 },
    { name: '802.1ad QinQ', linkType: 1, data: b.ethernet({ type: 0x0800, vlan: [100, 200] }, v4(tcpSyn())), version: 4, vlan: 100 },
    { name: 'QinQ 0x9100 triple', linkType: 1, data: b.ethernet({ type: 0x86dd, vlan: [7, 8, 9], tpid: [0x9100, 0x8100, 0x8100] }, v6(tcpSyn())), version: 6, vlan: 7 },
    { name: 'SLL outgoing', linkType: 113, data: b.sll({ pktType: 4, protocol: 0x0800 }, v4(tcpSyn())), version: 4, dir: LinkDirection.Outgoing },
    { name: 'SLL host IPv6', linkType: 113, data: b.sll({ pktType: 0, protocol: 0x86dd }, v6(tcpSyn())), version: 6, dir: LinkDirection.Host },
    { name: 'SLL2', linkType: 276, data: b.sll2({ ifIndex: 17, pktType: 4, protocol: 0x0800 }, v4(tcpSyn())), version: 4, dir: LinkDirection.Outgoing, ifIndex: 17 },
    { name: 'SLL2 IPv6 host', linkType: 276, data: b.sll2({ ifIndex: 3, pktType: 0, protocol: 0x86dd }, v6(tcpSyn())), version: 6, dir: LinkDirection.Host, ifIndex: 3 },
    { name: 'raw 101 v4', linkType: 101, data: v4(tcpSyn()), version: 4 },
    { name: 'raw 101 v6', linkType: 101, data: v6(tcpSyn()), version: 6 },
    { name: 'raw 12', linkType: 12, data: v6(tcpSyn()), version: 6 },
    { name: 'raw 14', linkType: 14, data: v4(tcpSyn()), version: 4 },
    { name: 'IPv4 228', linkType: 228, data: v4(tcpSyn()), version: 4 },
    { name: 'IPv6 229', linkType: 229, data: v6(tcpSyn()), version: 6 },
    { name: 'null LE AF_INET', linkType: 0, data: b.nullLoopback({ af: 2 }, v4(tcpSyn())), version: 4 },
    { name: 'null BE AF_INET6 24', linkType: 0, data: b.nullLoopback({ af: 24, bigEndian: true }, v6(tcpSyn())), version: 6 },
    { name: 'null LE AF_INET6 28', linkType: 0, data: b.nullLoopback({ af: 28 }, v6(tcpSyn())), version: 6 },
    { name: 'null LE AF_INET6 30', linkType: 0, data: b.nullLoopback({ af: 30 }, v6(tcpSyn())), version: 6 },
    { name: 'NFLOG AF_INET', linkType: 239, data: b.nflog({ af: 2 }, v4(tcpSyn())), version: 4 },
    { name: 'NFLOG AF_INET6', linkType: 239, data: b.nflog({ af: 10, prefix: 'x' }, v6(tcpSyn())), version: 6 },
    { name: 'loop 108 AF_INET', linkType: 108, data: b.nullLoopback({ af: 2, bigEndian: true }, v4(tcpSyn())), version: 4 },
  ];
  it.each(cases)('$name', ({ linkType, data, version, dir, ifIndex, vlan }) => {
    const { p } = decode(data, linkType, { interfaceId: 5 });
    expect(p.ipVersion).toBe(version);
    expect(src(p)).toBe(version === 4 ? '10.0.0.1' : 'fd00::1');
    expect(dst(p)).toBe(version === 4 ? '10.0.0.2' : 'fd00::2');
    expect(p.transport).toBe(Transport.Tcp);
    expect([p.srcPort, p.dstPort, p.seq, p.flags]).toEqual([40000, 80, 1000, SYN]);
    expect(p.direction).toBe(dir ?? LinkDirection.Unknown);
    expect(p.ifIndex).toBe(ifIndex ?? 5);
    expect(p.vlanId).toBe(vlan ?? -1);
    expect(p.linkType).toBe(linkType);
    expect(p.truncatedHeaders).toBe(false);
    expect(p.undecodedReason).toBe('');
  });

  it('counts QinQ tags', () => {
    const { p } = decode(b.ethernet({ type: 0x0800, vlan: [100, 200] }, v4(tcpSyn())));
    expect(p.vlanCount).toBe(2);
    expect(p.etherType).toBe(0x0800);
  });

  it('counts unknown link types and never throws', () => {
    const d = new Decoder();
    const p = new Packet();
    for (let i = 0; i < 3; i++) d.decode(b.frame(new Uint8Array(40), 147), p);
    d.decode(b.frame(new Uint8Array(40), 9999), p);
    expect(d.unknownLinkTypes.get(147)).toBe(3);
    expect(d.unknownLinkTypes.get(9999)).toBe(1);
    expect(p.undecodedReason).toBe(REASON_UNKNOWN_LINKTYPE);
    expect(p.ipVersion).toBe(0);
    expect(d.frames).toBe(4);
  });

  it('stops at non-IP ethertypes (ARP) and 802.3 frames', () => {
    expect(decode(b.ethernet({ type: 0x0806 }, new Uint8Array(28))).p.ipVersion).toBe(0);
    expect(decode(b.ethernet({ type: 100 }, new Uint8Array(100))).p.etherType).toBe(100);
  });
});

describe('IPv4', () => {
  it('uses IHL for options and the IP length, not Ethernet padding', () => {
    const ip = b.ipv4({ src: '192.0.2.1', dst: '198.51.100.7', proto: 6, ttl: 61, id: 4242, flags: 'DF', options: new Uint8Array([0x94, 4, 0, 0, 1, 1, 1, 0]) },
      b.tcp({ sport: 1, dport: 2, seq: 3, ack: 4, flags: 'A' }, new Uint8Array([1, 2, 3])));
    // pad to 60 bytes of Ethernet payload with garbage that must not count as TCP payload
    const padded = b.concat(ip, new Uint8Array(60 - ip.length).fill(0xee));
    const { p } = decode(b.ethernet({ type: 0x0800 }, padded));
    expect([src(p), dst(p), p.ttl, p.ipId, p.dontFragment]).toEqual(['192.0.2.1', '198.51.100.7', 61, 4242, true]);
    expect(p.ipLength).toBe(ip.length);
    expect(p.payloadLength).toBe(3);
    expect(p.capturedPayloadLength).toBe(3);
    expect(p.payloadOffset).toBe(14 + 28 + 20);
    expect(p.ipOffset).toBe(14);
    expect(p.ack).toBe(4);
  });

  it('uses the IP length when the snaplen cut the payload', () => {
    const full = b.ethernet({ type: 0x0800 }, v4(b.tcp({ sport: 1, dport: 2, seq: 3, flags: 'PA' }, new Uint8Array(1000))));
    const { p } = decode(full.subarray(0, 14 + 20 + 20 + 10), 1, { originalLength: full.length });
    expect(p.transport).toBe(Transport.Tcp);
    expect(p.payloadLength).toBe(1000);
    expect(p.capturedPayloadLength).toBe(10);
    expect(p.truncatedHeaders).toBe(false);
  });

  it('hands an IPv6 header behind ethertype 0x0800 to IPv6 (as Wireshark does)', () => {
    const { p } = decode(b.ethernet({ type: 0x0800 }, v6(tcpSyn())));
    expect([p.ipVersion, src(p), p.transport]).toEqual([6, 'fd00::1', Transport.Tcp]);
  });

  it.each([['IHL 4', 0x44], ['IHL 0', 0x40]])('does not trust addresses from a bogus header (%s)', (_n, b0) => {
    const ip = v4(tcpSyn());
    ip[0] = b0;
    const { p } = decode(ip, 101);
    expect([p.ipVersion, p.transport, p.undecodedReason]).toEqual([0, Transport.None, 'malformed header']);
  });

  it('treats total length 0 as TSO (payload runs to the frame end)', () => {
    const seg = b.tcp({ sport: 1, dport: 2, seq: 3, flags: 'A' }, new Uint8Array(100));
    const { p } = decode(b.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, totalLength: 0 }, seg), 101);
    expect(p.payloadLength).toBe(100);
  });

  const fragCases = [
    { name: 'first fragment (MF, offset 0) is decoded', flags: 'MF' as const, fragOffset: 0, isFragment: false, transport: Transport.Tcp },
    { name: 'middle fragment is counted, no transport', flags: 'MF' as const, fragOffset: 1480, isFragment: true, transport: Transport.None },
    { name: 'last fragment is counted, no transport', flags: 0, fragOffset: 2960, isFragment: true, transport: Transport.None },
  ];
  it.each(fragCases)('$name', ({ flags, fragOffset, isFragment, transport }) => {
    const d = new Decoder();
    const p = new Packet();
    d.decode(b.frame(b.ethernet({ type: 0x0800 }, b.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, id: 77, flags, fragOffset }, tcpSyn()))), p);
    expect(p.isFragment).toBe(isFragment);
    expect(p.transport).toBe(transport);
    expect(p.fragmentOffset).toBe(fragOffset);
    expect(p.ipId).toBe(77);
    expect(p.ipProtocol).toBe(6);
    expect(d.fragments).toBe(isFragment ? 1 : 0);
    if (isFragment) expect(p.undecodedReason).toBe(REASON_FRAGMENT);
    else expect(p.srcPort).toBe(40000);
  });
});

describe('IPv6 extension headers', () => {
  const cases: { name: string; ext: b.Ipv6Ext[]; transport: Transport; isFragment?: boolean; ipId?: number }[] = [
    { name: 'hop-by-hop', ext: [{ type: 0 }], transport: Transport.Tcp },
    { name: 'hbh + routing + dest opts', ext: [{ type: 0 }, { type: 43, data: new Uint8Array([0, 0, 0, 0, 0, 0]) }, { type: 60 }], transport: Transport.Tcp },
    { name: 'AH', ext: [{ type: 51 }], transport: Transport.Tcp },
    { name: 'first fragment', ext: [{ type: 44, more: true, id: 0xdeadbeef }], transport: Transport.Tcp, ipId: 0xdeadbeef },
    { name: 'non-first fragment', ext: [{ type: 60 }, { type: 44, fragOffset: 1448, id: 9 }], transport: Transport.None, isFragment: true, ipId: 9 },
  ];
  it.each(cases)('$name', ({ ext, transport, isFragment, ipId }) => {
    const seg = b.tcp({ sport: 443, dport: 50000, seq: 0xffffffff, ack: 0x80000000, flags: 'RA' }, new Uint8Array(7));
    const ip = b.ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 6, ext, hopLimit: 3 }, seg);
    const { p } = decode(b.ethernet({ type: 0x86dd }, ip));
    expect([src(p), dst(p), p.ttl]).toEqual(['2001:db8::1', '2001:db8::2', 3]);
    expect(p.transport).toBe(transport);
    expect(p.isFragment).toBe(isFragment ?? false);
    expect(p.ipId).toBe(ipId ?? -1);
    expect(p.ipLength).toBe(ip.length);
    if (transport === Transport.Tcp) {
      expect(p.ipProtocol).toBe(6);
      expect([p.srcPort, p.dstPort, p.seq, p.ack, p.flags]).toEqual([443, 50000, 0xffffffff, 0x80000000, TcpFlag.RST | TcpFlag.ACK]);
      expect(p.payloadLength).toBe(7);
    }
  });

  it('stops at ESP and No Next Header', () => {
    const esp = decode(b.ethernet({ type: 0x86dd }, b.ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: 50, ext: [{ type: 0 }] }, new Uint8Array(40))));
    expect([esp.p.ipProtocol, esp.p.transport]).toEqual([50, Transport.Other]);
    const nn = decode(b.ethernet({ type: 0x86dd }, b.ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: 59 }, new Uint8Array(0))));
    expect([nn.p.ipProtocol, nn.p.transport]).toEqual([59, Transport.None]);
  });

  it('reads a jumbo payload length from hop-by-hop (BIG TCP)', () => {
    const seg = b.tcp({ sport: 1, dport: 2, seq: 3, flags: 'A' }, new Uint8Array(70000));
    const jumbo = new Uint8Array([0xc2, 4, 0, 0, 0, 0]);
    const hbhLen = 8;
    const total = hbhLen + seg.length;
    jumbo[2] = (total >>> 24) & 0xff; jumbo[3] = (total >>> 16) & 0xff; jumbo[4] = (total >>> 8) & 0xff; jumbo[5] = total & 0xff;
    const ip = b.ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: 6, ext: [{ type: 0, data: jumbo }], payloadLength: 0 }, seg);
    const { p } = decode(ip.subarray(0, 200), 229, { originalLength: ip.length });
    expect(p.payloadLength).toBe(70000);
    expect(p.ipLength).toBe(ip.length);
  });
});

describe('TCP', () => {
  it('parses options: MSS, window scale, SACK-permitted, timestamps', () => {
    const { p } = decode(b.ethernet({ type: 0x0800 }, v4(b.tcp({ sport: 1, dport: 2, seq: 0xfffffff0, flags: 'S', mss: 1460, wscale: 7, sackPerm: true, ts: [0xfedcba98, 0x80000001] }))));
    expect(p.mss).toBe(1460);
    expect(p.windowScale).toBe(7);
    expect(p.sackPermitted).toBe(true);
    expect(p.hasTimestamps).toBe(true);
    expect(p.tsVal).toBe(0xfedcba98);
    expect(p.tsEcr).toBe(0x80000001);
    expect(p.seq).toBe(0xfffffff0);
    expect(p.tcpHeaderLength).toBe(40);
    expect(p.payloadLength).toBe(0);
  });

  it('counts SACK blocks', () => {
    const { p } = decode(b.ethernet({ type: 0x0800 }, v4(b.tcp({ sport: 1, dport: 2, seq: 5, ack: 6, flags: 'A', ts: [1, 2], sack: [[10, 20], [30, 40], [50, 60]] }))));
    expect(p.sackBlocks).toBe(3);
    expect(p.mss).toBe(-1);
    expect(p.windowScale).toBe(-1);
    expect(p.sackPermitted).toBe(false);
  });

  it.each(['S', 'SA', 'R', 'RA', 'A', 'PA', 'FA'] as const)('flags %s', (f) => {
    const { p } = decode(b.ethernet({ type: 0x0800 }, v4(b.tcp({ sport: 1, dport: 2, seq: 5, flags: f }))));
    expect(p.flags).toBe(b.tcpFlagBits(f));
  });

  it('clamps a bogus payload length and rejects a data offset < 5', () => {
    const bad = decode(v4(b.tcp({ sport: 1, dport: 2, seq: 5, flags: 'A', headerLength: 16 })), 101).p;
    expect(bad.transport).toBe(Transport.Other);
    // data offset larger than the IP payload: no negative payload
    const seg = b.tcp({ sport: 1, dport: 2, seq: 5, flags: 'A', headerLength: 60 });
    const p = decode(b.concat(v4(seg.subarray(0, 20)), new Uint8Array(40)), 101).p;
    expect(p.payloadLength).toBe(0);
    expect(p.truncatedHeaders).toBe(false);
  });

  it('stops option parsing at a zero-length option', () => {
    const { p } = decode(v4(b.tcp({ sport: 1, dport: 2, seq: 5, flags: 'S', options: new Uint8Array([8, 0, 2, 4, 5, 0xb4]) })), 101);
    expect(p.hasTimestamps).toBe(false);
    expect(p.mss).toBe(-1);
  });
});

describe('ICMP errors', () => {
  const orig4 = b.ipv4({ src: '10.244.1.5', dst: '10.96.0.10', proto: 6 }, b.tcp({ sport: 51000, dport: 8080, seq: 0xc0000001, flags: 'S', mss: 1460 }));
  const orig6 = b.ipv6({ src: 'fd00:10::5', dst: 'fd00:96::a', nextHeader: 6, ext: [{ type: 60 }] }, b.tcp({ sport: 51000, dport: 8080, seq: 0xc0000001, flags: 'S' }));
  const cases = [
    { name: 'v4 port unreachable', type: 3, code: 3, data: b.ipv4({ src: '10.244.1.1', dst: '10.244.1.5', proto: 1 }, b.icmpUnreachable({ type: 3, code: 3 }, orig4)), v: 4 as const },
    { name: 'v4 admin prohibited', type: 3, code: 13, data: b.ipv4({ src: '10.244.1.1', dst: '10.244.1.5', proto: 1 }, b.icmpUnreachable({ type: 3, code: 13 }, orig4)), v: 4 as const },
    { name: 'v4 time exceeded', type: 11, code: 0, data: b.ipv4({ src: '10.244.1.1', dst: '10.244.1.5', proto: 1 }, b.icmpUnreachable({ type: 11, code: 0 }, orig4)), v: 4 as const },
    { name: 'v4 source quench', type: 4, code: 0, data: b.ipv4({ src: '10.244.1.1', dst: '10.244.1.5', proto: 1 }, b.icmpUnreachable({ type: 4, code: 0 }, orig4)), v: 4 as const },
    { name: 'v6 dest unreachable', type: 1, code: 1, data: b.ipv6({ src: 'fd00:10::1', dst: 'fd00:10::5', nextHeader: 58 }, b.icmp6Error({ type: 1, code: 1 }, orig6)), v: 6 as const },
    { name: 'v6 packet too big', type: 2, code: 0, data: b.ipv6({ src: 'fd00:10::1', dst: 'fd00:10::5', nextHeader: 58 }, b.icmp6Error({ type: 2, code: 0, mtu: 1280 }, orig6)), v: 6 as const },
    { name: 'v6 time exceeded', type: 3, code: 0, data: b.ipv6({ src: 'fd00:10::1', dst: 'fd00:10::5', nextHeader: 58 }, b.icmp6Error({ type: 3, code: 0 }, orig6)), v: 6 as const },
  ];
  it.each(cases)('$name', ({ type, code, data, v }) => {
    const { p, d } = decode(data, 101);
    expect(p.transport).toBe(Transport.IcmpError);
    expect([p.icmpType, p.icmpCode]).toEqual([type, code]);
    expect(src(p)).toBe(v === 4 ? '10.244.1.1' : 'fd00:10::1');
    expect(dst(p)).toBe(v === 4 ? '10.244.1.5' : 'fd00:10::5');
    expect(p.innerIpVersion).toBe(v);
    expect(formatAddress(p.innerSrc, p.innerIpVersion)).toBe(v === 4 ? '10.244.1.5' : 'fd00:10::5');
    expect(formatAddress(p.innerDst, p.innerIpVersion)).toBe(v === 4 ? '10.96.0.10' : 'fd00:96::a');
    expect(p.innerProtocol).toBe(6);
    expect([p.innerSrcPort, p.innerDstPort, p.innerSeq]).toEqual([51000, 8080, 0xc0000001]);
    expect(d.icmpErrors).toBe(1);
  });

  it('a quote with only the ports has no inner seq; echo is not an error', () => {
    const short = b.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 1 }, b.icmpUnreachable({ quoteLength: 24 }, orig4));
    const p = decode(short, 101).p;
    expect([p.innerSrcPort, p.innerDstPort, p.innerSeq]).toEqual([51000, 8080, -1]);
    const echo = decode(b.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 1 }, b.icmpEcho({})), 101).p;
    expect([echo.transport, echo.icmpType, echo.innerIpVersion]).toEqual([Transport.Other, 8, 0]);
  });
});

describe('tunnels', () => {
  const inner4 = b.ipv4({ src: '10.244.1.5', dst: '10.244.2.9', proto: 6, ttl: 63 }, b.tcp({ sport: 33000, dport: 5432, seq: 7, ack: 8, flags: 'RA' }));
  const inner6 = b.ipv6({ src: 'fd00:244::5', dst: 'fd00:244::9', nextHeader: 6 }, b.tcp({ sport: 33000, dport: 5432, seq: 7, ack: 8, flags: 'RA' }));
  const outer4 = (proto: number, payload: Uint8Array): Uint8Array => b.ethernet({ type: 0x0800 }, b.ipv4({ src: '192.168.0.10', dst: '192.168.0.11', proto }, payload));
  const outer6 = (nh: number, payload: Uint8Array): Uint8Array => b.ethernet({ type: 0x86dd }, b.ipv6({ src: '2001:db8::10', dst: '2001:db8::11', nextHeader: nh }, payload));
  const cases = [
    { name: 'VXLAN 4789', kind: TunnelKind.Vxlan, id: 4096, data: outer4(17, b.udp({ sport: 55555, dport: 4789 }, b.vxlan({ vni: 4096 }, b.ethernet({ type: 0x0800 }, inner4)))) },
    { name: 'VXLAN 8472 (Flannel)', kind: TunnelKind.Vxlan, id: 1, data: outer4(17, b.udp({ sport: 41000, dport: 8472 }, b.vxlan({ vni: 1 }, b.ethernet({ type: 0x0800 }, inner4)))) },
    { name: 'VXLAN over IPv6, inner IPv6', kind: TunnelKind.Vxlan, id: 5, v6: true, o6: true, data: outer6(17, b.udp({ sport: 41000, dport: 4789 }, b.vxlan({ vni: 5 }, b.ethernet({ type: 0x86dd }, inner6)))) },
    { name: 'Geneve Ethernet', kind: TunnelKind.Geneve, id: 77, data: outer4(17, b.udp({ sport: 50000, dport: 6081 }, b.geneve({ vni: 77, options: new Uint8Array(12) }, b.ethernet({ type: 0x0800 }, inner4)))) },
    { name: 'Geneve IPv4', kind: TunnelKind.Geneve, id: 78, data: outer4(17, b.udp({ sport: 50000, dport: 6081 }, b.geneve({ vni: 78, protocol: 0x0800 }, inner4))) },
    { name: 'Geneve IPv6', kind: TunnelKind.Geneve, id: 79, v6: true, data: outer4(17, b.udp({ sport: 50000, dport: 6081 }, b.geneve({ vni: 79, protocol: 0x86dd, options: new Uint8Array(4) }, inner6))) },
    { name: 'IP-in-IP', kind: TunnelKind.IpIp, id: -1, data: outer4(4, inner4) },
    { name: 'IPv6-in-IPv4 (41)', kind: TunnelKind.Ip6InIp, id: -1, v6: true, data: outer4(41, inner6) },
    { name: 'IPv4-in-IPv6', kind: TunnelKind.IpIp, id: -1, o6: true, data: outer6(4, inner4) },
    { name: 'GRE plain', kind: TunnelKind.Gre, id: -1, data: outer4(47, b.gre({ protocol: 0x0800 }, inner4)) },
    { name: 'GRE checksum+key+seq', kind: TunnelKind.Gre, id: 0xabcdef01, data: outer4(47, b.gre({ protocol: 0x0800, checksum: true, key: 0xabcdef01, seq: 5 }, inner4)) },
    { name: 'GRE key IPv6', kind: TunnelKind.Gre, id: 9, v6: true, data: outer4(47, b.gre({ protocol: 0x86dd, key: 9 }, inner6)) },
    { name: 'GRE TEB', kind: TunnelKind.Gre, id: -1, data: outer6(47, b.gre({ protocol: 0x6558 }, b.ethernet({ type: 0x0800, vlan: [3] }, inner4))), o6: true },
  ];
  it.each(cases)('$name', ({ kind, id, data, v6, o6 }) => {
    const { p, d } = decode(data);
    expect(p.tunnel).toBe(kind);
    expect(p.tunnelId).toBe(id);
    expect(p.tunnelDepth).toBe(1);
    expect(p.outerIpVersion).toBe(o6 ? 6 : 4);
    expect(formatAddress(p.outerSrc, p.outerIpVersion)).toBe(o6 ? '2001:db8::10' : '192.168.0.10');
    expect(formatAddress(p.outerDst, p.outerIpVersion)).toBe(o6 ? '2001:db8::11' : '192.168.0.11');
    expect(p.ipVersion).toBe(v6 ? 6 : 4);
    expect(src(p)).toBe(v6 ? 'fd00:244::5' : '10.244.1.5');
    expect(dst(p)).toBe(v6 ? 'fd00:244::9' : '10.244.2.9');
    expect(p.transport).toBe(Transport.Tcp);
    expect([p.srcPort, p.dstPort, p.seq, p.ack, p.flags]).toEqual([33000, 5432, 7, 8, TcpFlag.RST | TcpFlag.ACK]);
    expect(d.tunnels).toBe(1);
    expect(d.tcp).toBe(1);
  });

  it('keeps the outermost tunnel and guards the depth', () => {
    let pkt: Uint8Array = inner4;
    for (let i = 0; i < MAX_ENCAPSULATION + 2; i++) pkt = b.ipv4({ src: `172.16.0.${i + 1}`, dst: '172.16.0.254', proto: 4 }, pkt);
    const { p } = decode(pkt, 101);
    expect(p.tunnel).toBe(TunnelKind.IpIp);
    expect(formatAddress(p.outerSrc, 4)).toBe(`172.16.0.${MAX_ENCAPSULATION + 2}`);
    expect(p.tunnelDepth).toBe(MAX_ENCAPSULATION);
    expect(p.transport).toBe(Transport.None);

    const nested = decode(b.ethernet({ type: 0x0800 }, b.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17 },
      b.udp({ sport: 1000, dport: 4789 }, b.vxlan({ vni: 9 }, b.ethernet({ type: 0x0800 }, b.ipv4({ src: '3.3.3.3', dst: '4.4.4.4', proto: 47 }, b.gre({ protocol: 0x0800 }, inner4)))))))).p;
    expect([nested.tunnel, nested.tunnelId, nested.tunnelDepth]).toEqual([TunnelKind.Vxlan, 9, 2]);
    expect(formatAddress(nested.outerSrc, 4)).toBe('1.1.1.1');
    expect(src(nested)).toBe('10.244.1.5');
    expect(nested.srcPort).toBe(33000);
  });

  it('leaves plain UDP alone', () => {
    const { p } = decode(b.ethernet({ type: 0x0800 }, v4(b.udp({ sport: 53, dport: 40000 }, new Uint8Array(10)), 17)));
    expect([p.transport, p.srcPort, p.dstPort, p.payloadLength, p.tunnel]).toEqual([Transport.Udp, 53, 40000, 10, TunnelKind.None]);
  });
});

describe('truncated and hostile input', () => {
  const full = b.ethernet({ type: 0x0800, vlan: [5] }, b.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, options: new Uint8Array(4) },
    b.tcp({ sport: 1234, dport: 80, seq: 99, flags: 'S', mss: 1400, ts: [1, 2] })));
  const cases = [
    { name: 'cut in Ethernet', len: 10, ip: 0, tcp: false },
    { name: 'cut in the VLAN tag', len: 16, ip: 0, tcp: false },
    { name: 'cut in the IPv4 header', len: 30, ip: 0, tcp: false },
    { name: 'cut in IPv4 options', len: 18 + 22, ip: 4, tcp: false },
    { name: 'cut in the TCP fixed header', len: 18 + 24 + 10, ip: 4, tcp: false },
    { name: 'cut in TCP options', len: 18 + 24 + 26, ip: 4, tcp: true },
  ];
  it.each(cases)('$name', ({ len, ip, tcp }) => {
    const { p, d } = decode(full.subarray(0, len), 1, { originalLength: full.length });
    expect(p.truncatedHeaders).toBe(true);
    expect(p.ipVersion).toBe(ip);
    expect(p.transport === Transport.Tcp).toBe(tcp);
    if (tcp) {
      expect([p.srcPort, p.dstPort, p.seq]).toEqual([1234, 80, 99]);
      expect(p.mss).toBe(1400);
      expect(p.hasTimestamps).toBe(false);
    }
    expect(d.truncated).toBe(1);
  });

  it('never throws and never reads past capturedLength (fuzz)', () => {
    const d = new Decoder();
    const p = new Packet();
    const linkTypes = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...linkTypes), fc.nat(200), (bytes, lt, cut) => {
        const cap = Math.min(cut, bytes.length);
        const f = b.frame(bytes.subarray(0, cap), lt, { originalLength: bytes.length });
        d.decode(f, p);
        expect(p.payloadLength).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 3000 },
    );
  });

  it('fuzzes structured packets by mutating bytes', () => {
    const d = new Decoder();
    const p = new Packet();
    const base = [
      b.ethernet({ type: 0x0800 }, b.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17 }, b.udp({ sport: 1, dport: 4789 }, b.vxlan({ vni: 1 }, b.ethernet({ type: 0x0800 }, v4(tcpSyn())))))),
      b.ethernet({ type: 0x86dd }, b.ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader: 58 }, b.icmp6Error({}, v6(tcpSyn())))),
      b.ethernet({ type: 0x0800 }, b.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 47 }, b.gre({ protocol: 0x6558, key: 1 }, b.ethernet({ type: 0x0800 }, v4(tcpSyn()))))),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...base), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(), (pkt, muts, cut) => {
        const m = pkt.slice();
        for (const [i, v] of muts) m[i % m.length] = v;
        d.decode(b.frame(m.subarray(0, cut % (m.length + 1)), 1, { originalLength: m.length }), p);
      }),
      { numRuns: 3000 },
    );
  });

  it('bounds reads by capturedLength even when data is longer', () => {
    const data = b.ethernet({ type: 0x0800 }, v4(tcpSyn()));
    const f = b.frame(data, 1);
    f.capturedLength = 14 + 20 + 10; // reader says fewer bytes are valid than the buffer holds
    f.originalLength = data.length;
    const d = new Decoder();
    const p = new Packet();
    d.decode(f, p);
    expect(p.truncatedHeaders).toBe(true);
    expect(p.transport).toBe(Transport.None);
  });

  it('reuses the Packet without leaking fields from the previous frame', () => {
    const d = new Decoder();
    const p = new Packet();
    d.decode(b.frame(b.ethernet({ type: 0x0800 }, b.ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 47 }, b.gre({ protocol: 0x0800, key: 3 }, v4(b.tcp({ sport: 1, dport: 2, seq: 3, flags: 'S', mss: 1000 })))))), p);
    expect(p.tunnel).toBe(TunnelKind.Gre);
    d.decode(b.frame(b.ethernet({ type: 0x0806 }, new Uint8Array(28))), p);
    expect([p.tunnel, p.tunnelId, p.ipVersion, p.transport, p.mss, p.srcPort]).toEqual([TunnelKind.None, -1, 0, Transport.None, -1, 0]);
  });
});

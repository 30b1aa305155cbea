import { describe, expect, it } from 'vitest';
import { Decoder } from '../../src/decode/decoder.js';
import { formatAddress } from '../../src/decode/address.js';
import { Packet, TcpFlag, Transport, TunnelKind } from '../../src/decode/packet.js';
import { concat, put16, put32 } from '../helpers/packet-builder/bytes.js';
import * as b from '../helpers/packet-builder.js';

// Hand-made frames for the encapsulations between Ethernet and IP and the UDP tunnels; each must
// reach the inner TCP segment, and each that cannot must be counted by reason.

function decode(data: Uint8Array, linkType = 1): { p: Packet; d: Decoder } {
  const d = new Decoder();
  const p = new Packet();
  d.decode(b.frame(data, linkType), p);
  return { p, d };
}

const seg = (): Uint8Array => b.tcp({ sport: 33000, dport: 443, seq: 7, ack: 8, flags: 'RA' });
const in4 = (): Uint8Array => b.ipv4({ src: '10.9.0.1', dst: '10.9.0.2', proto: 6 }, seg());
const in6 = (): Uint8Array => b.ipv6({ src: 'fd00:9::1', dst: 'fd00:9::2', nextHeader: 6 }, seg());
const bytes = (...v: number[]): Uint8Array => Uint8Array.from(v);
const hdr = (n: number, fill: (h: Uint8Array) => void): Uint8Array => {
  const h = new Uint8Array(n);
  fill(h);
  return h;
};

const pppoe = (pppProto: number, payload: Uint8Array): Uint8Array =>
  concat(hdr(8, (h) => { h[0] = 0x11; put16(h, 2, 0x1234); put16(h, 4, payload.length + 2); put16(h, 6, pppProto); }), payload);
const mplsLabels = (...labels: number[]): Uint8Array => hdr(4 * labels.length, (h) => labels.forEach((l, i) => {
  put32(h, 4 * i, (l << 12) | (i === labels.length - 1 ? 0x100 : 0) | 64);
}));
const outer4 = (proto: number, payload: Uint8Array): Uint8Array =>
  b.ethernet({ type: 0x0800 }, b.ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto }, payload));
const overUdp = (port: number, payload: Uint8Array): Uint8Array => outer4(17, b.udp({ sport: 40000, dport: port }, payload));
const gtp = (ext: Uint8Array | null, payload: Uint8Array): Uint8Array => {
  const opt = ext === null ? new Uint8Array(0) : concat(bytes(0, 0, 0, ext.length > 0 ? 0x85 : 0), ext);
  return concat(hdr(8, (h) => { h[0] = 0x30 | (ext === null ? 0 : 0x04); h[1] = 0xff; put16(h, 2, opt.length + payload.length); put32(h, 4, 0xbeef); }), opt, payload);
};

describe('encapsulations reach TCP', () => {
  const eth = (type: number, payload: Uint8Array): Uint8Array => b.ethernet({ type }, payload);
  const cases: { name: string; data: Uint8Array; v6?: boolean; linkType?: number; tunnel?: TunnelKind; id?: number }[] = [
    { name: 'QinQ 0x88a8 + PPPoE + PPP IPv4', data: b.ethernet({ type: 0x8864, vlan: [10, 20] }, pppoe(0x0021, in4())) },
    { name: 'QinQ 0x9100 + PPPoE + PPP IPv6', data: b.ethernet({ type: 0x8864, vlan: [10, 20], tpid: [0x9100, 0x8100] }, pppoe(0x0057, in6())), v6: true },
    { name: 'MPLS one label, IPv4', data: eth(0x8847, concat(mplsLabels(100), in4())) },
    { name: 'MPLS stack, IPv6', data: eth(0x8847, concat(mplsLabels(100, 200, 300), in6())), v6: true },
    { name: 'MPLS multicast', data: eth(0x8848, concat(mplsLabels(16), in4())) },
    { name: 'MPLS pseudowire with control word', data: eth(0x8847, concat(mplsLabels(100, 17), new Uint8Array(4), b.ethernet({ type: 0x0800 }, in4()))) },
    { name: 'MPLS pseudowire without control word', data: eth(0x8847, concat(mplsLabels(17), b.ethernet({ type: 0x0800, dst: '00:11:22:33:44:55' }, in4()))) },
    { name: 'PBB', data: b.ethernet({ type: 0x88e7, vlan: [5], tpid: [0x88a8] }, concat(bytes(0, 0, 0x10, 0x01), b.ethernet({ type: 0x0800 }, in4()))) },
    { name: 'VN-Tag', data: eth(0x8926, concat(bytes(0x80, 0x01, 0x00, 0x02), bytes(0x08, 0x00), in4())) },
    { name: 'PPP link type', data: concat(bytes(0xff, 0x03, 0x00, 0x21), in4()), linkType: 9 },
    { name: 'Cisco HDLC', data: concat(bytes(0x0f, 0x00, 0x86, 0xdd), in6()), linkType: 104, v6: true },
    { name: 'GTP-U', data: overUdp(2152, gtp(null, in4())), tunnel: TunnelKind.GtpU, id: 0xbeef },
    { name: 'GTP-U with extension header', data: overUdp(2152, gtp(bytes(1, 0x10, 0x01, 0), in6())), v6: true, tunnel: TunnelKind.GtpU, id: 0xbeef },
    { name: 'Teredo', data: overUdp(3544, in6()), v6: true, tunnel: TunnelKind.Teredo },
    { name: 'Teredo with origin indicator', data: overUdp(3544, concat(bytes(0, 0, 0xf2, 0x27, 1, 2, 3, 4), in6())), v6: true, tunnel: TunnelKind.Teredo },
    { name: 'Teredo with auth and origin', data: overUdp(3544, concat(bytes(0, 1, 0, 0), new Uint8Array(9), bytes(0, 0, 0, 0, 0, 0, 0, 0), in6())), v6: true, tunnel: TunnelKind.Teredo },
    { name: 'AYIYA', data: overUdp(5072, concat(bytes(0x41, 0x52, 0x11, 41, 0, 0, 0, 0), new Uint8Array(16 + 20), in6())), v6: true, tunnel: TunnelKind.Ayiya },
    { name: 'GRE over UDP', data: overUdp(4754, b.gre({ protocol: 0x0800, key: 3 }, in4())), tunnel: TunnelKind.Gre, id: 3 },
    { name: 'GRE ERSPAN type II', data: outer4(47, b.gre({ protocol: 0x88be, seq: 1 }, concat(bytes(0x10, 0x01, 0, 0x05, 0, 0, 0, 0), b.ethernet({ type: 0x0800 }, in4())))), tunnel: TunnelKind.Gre },
    { name: 'GRE ERSPAN type I', data: outer4(47, b.gre({ protocol: 0x88be }, b.ethernet({ type: 0x0800 }, in4()))), tunnel: TunnelKind.Gre },
    { name: 'GRE ERSPAN type III', data: outer4(47, b.gre({ protocol: 0x22eb, seq: 1 }, concat(bytes(0x20, 0x01, 0, 0x05), new Uint8Array(8), b.ethernet({ type: 0x86dd }, in6())))), v6: true, tunnel: TunnelKind.Gre },
    { name: 'GRE MPLS', data: outer4(47, b.gre({ protocol: 0x8847 }, concat(mplsLabels(1000), in4()))), tunnel: TunnelKind.Gre },
    { name: 'PPTP enhanced GRE + PPP', data: outer4(47, concat(hdr(12, (h) => { put16(h, 0, 0x3001); put16(h, 2, 0x880b); put16(h, 4, in4().length + 2); put16(h, 6, 77); }), bytes(0x00, 0x21), in4())), tunnel: TunnelKind.Gre, id: 77 },
    { name: 'L2TP + PPP', data: overUdp(1701, concat(bytes(0x00, 0x02, 0, 9, 0, 1, 0xff, 0x03, 0x00, 0x21), in4())), tunnel: TunnelKind.L2tp, id: 9 },
    { name: 'CAPWAP data, 802.11 (frame control swapped, as Cisco sends it)', data: overUdp(5247, concat(bytes(0, 0x20, 0x03, 0x20), new Uint8Array(12), bytes(0x01, 0x08), new Uint8Array(22), bytes(0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x00), in4())) },
    { name: 'CAPWAP data, 802.3', data: overUdp(5247, concat(bytes(0, 0x10, 0x02, 0), new Uint8Array(4), b.ethernet({ type: 0x0800 }, in4()))) },
    { name: 'PPPoE with a compressed PPP protocol', data: b.ethernet({ type: 0x8864 }, concat(hdr(6, (h) => { h[0] = 0x11; put16(h, 4, in4().length + 1); }), bytes(0x21), in4())) },
    { name: 'Cisco HDLC in the PPP link type', data: concat(bytes(0x0f, 0x00, 0x08, 0x00), in4()), linkType: 9 },
    { name: 'Cisco FabricPath', data: b.ethernet({ type: 0x8903 }, concat(bytes(0, 0x3f), b.ethernet({ type: 0x0800 }, in4()))) },
    { name: '802.3 with LLC/SNAP', data: concat(b.ethernet({ type: 8 + in4().length }, new Uint8Array(0)), bytes(0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x00), in4(), new Uint8Array(6)) },
    { name: 'Aruba GRE 802.11', data: outer4(47, b.gre({ protocol: 0x8210 }, concat(bytes(0x88, 0x01), new Uint8Array(22), bytes(0, 0), bytes(0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x00), in4()))), tunnel: TunnelKind.Gre },
  ];
  it.each(cases)('$name', ({ data, v6, linkType, tunnel, id }) => {
    const { p, d } = decode(data, linkType ?? 1);
    expect(p.undecodedReason).toBe('');
    expect(p.transport).toBe(Transport.Tcp);
    expect(formatAddress(p.src, p.ipVersion)).toBe(v6 ? 'fd00:9::1' : '10.9.0.1');
    expect(formatAddress(p.dst, p.ipVersion)).toBe(v6 ? 'fd00:9::2' : '10.9.0.2');
    expect([p.srcPort, p.dstPort, p.seq, p.ack, p.flags]).toEqual([33000, 443, 7, 8, TcpFlag.RST | TcpFlag.ACK]);
    expect(p.tunnel).toBe(tunnel ?? TunnelKind.None);
    if (id !== undefined) expect(p.tunnelId).toBe(id);
    expect(d.warnings()).toEqual([]);
  });
});

describe('what is not decapsulated stays plain or is counted', () => {
  it('leaves non-data datagrams on tunnel ports as UDP (GTP echo, L2TP control, Teredo bubble-less junk)', () => {
    for (const [port, payload] of [[2152, bytes(0x32, 0x01, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0)], [1701, bytes(0xc8, 0x02, 0, 12, 0, 1, 0, 0, 0, 0, 0, 0)], [3544, bytes(1, 2, 3)], [5072, new Uint8Array(8)]] as const) {
      const { p, d } = decode(overUdp(port, payload));
      expect([p.transport, p.tunnel, p.undecodedReason]).toEqual([Transport.Udp, TunnelKind.None, '']);
      expect(d.warnings()).toEqual([]);
    }
  });

  it('counts an MPLS payload that is neither IP nor a plausible Ethernet pseudowire', () => {
    const d = new Decoder();
    const p = new Packet();
    for (let i = 0; i < 3; i++) d.decode(b.frame(b.ethernet({ type: 0x8847 }, concat(mplsLabels(5), new Uint8Array(40).fill(0x21)))), p);
    expect(p.transport).toBe(Transport.None);
    expect(d.warnings()).toEqual(['3 frames in encapsulations not decoded (TCP in them not seen): MPLS payload not recognised 3']);
  });

  it('counts unknown ethertypes that may carry IP, not ARP or LLDP', () => {
    const d = new Decoder();
    const p = new Packet();
    for (const t of [0x0806, 0x88cc, 0x88b5, 0x88b5]) d.decode(b.frame(b.ethernet({ type: t }, new Uint8Array(46))), p);
    d.decode(b.frame(outer4(50, new Uint8Array(40))), p);
    d.decode(b.frame(outer4(108, new Uint8Array(40))), p);
    expect(d.warnings()).toEqual(['4 frames in encapsulations not decoded (TCP in them not seen): unknown ethertype 0x88b5 2, ESP (encrypted) 1, IPComp (compressed) 1']);
  });

  it('counts compressed PPP and protected 802.11; PPP link control is not counted', () => {
    const d = new Decoder();
    const p = new Packet();
    d.decode(b.frame(b.ethernet({ type: 0x8864 }, pppoe(0x00fd, new Uint8Array(30)))), p);
    d.decode(b.frame(b.ethernet({ type: 0x8864 }, pppoe(0xc021, new Uint8Array(30)))), p);
    d.decode(b.frame(concat(bytes(0x08, 0x41), new Uint8Array(22), new Uint8Array(40)), 105), p);
    d.decode(b.frame(concat(bytes(0x88, 0x01), new Uint8Array(22), bytes(0x80, 0), new Uint8Array(40)), 105), p);
    expect(d.warnings()).toEqual(['3 frames in encapsulations not decoded (TCP in them not seen): aggregated 802.11 (A-MSDU) 1, PPP compressed or encrypted 1, protected 802.11 (encrypted) 1']);
  });

  it('counts a first fragment too short for the TCP header, and sFlow samples', () => {
    const d = new Decoder();
    const p = new Packet();
    d.decode(b.frame(b.ethernet({ type: 0x0800 }, b.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, flags: 0x2000 }, seg().subarray(0, 8)))), p);
    d.decode(b.frame(overUdp(6343, new Uint8Array(60))), p);
    expect(d.warnings()).toEqual(['2 frames in encapsulations not decoded (TCP in them not seen): sFlow samples (sampled headers not analysed) 1, TCP header split across IP fragments 1']);
  });

  it('merges counts from a decoding thread', () => {
    const a = new Decoder();
    const p = new Packet();
    a.decode(b.frame(b.ethernet({ type: 0x88b5 }, new Uint8Array(46))), p);
    a.decode(b.frame(new Uint8Array(40), 147), p);
    const main = new Decoder();
    main.addCounts(a.counts());
    main.addCounts(a.counts());
    expect(main.warnings()).toEqual(['2 frames of unsupported link type 147 not decoded', '2 frames in encapsulations not decoded (TCP in them not seen): unknown ethertype 0x88b5 2']);
  });
});

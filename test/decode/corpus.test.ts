/**
 * Real captures from the public corpus (../shared/corpus, never copied into the project) decoded
 * with the project's reader + decoder. Expected values were read with tshark once and hard-coded
 * here (tests never run tshark), e.g.:
 *   tshark -n -o ip.defragment:FALSE -r F -T fields -E occurrence=a -e ip.src -e tcp.seq_raw …
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../src/capture/reader.js';
import { Decoder } from '../../src/decode/decoder.js';
import { LinkDirection, Packet, Transport, TunnelKind } from '../../src/decode/packet.js';
import { formatAddress } from '../../src/decode/address.js';

const corpus = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const haveCorpus = existsSync(corpus);

interface View {
  frame: number;
  linkType: number;
  v: number;
  src: string;
  dst: string;
  transport: Transport;
  sport: number;
  dport: number;
  flags: number;
  seq: number;
  ack: number;
  payloadLength: number;
  tunnel: TunnelKind;
  tunnelId: number;
  outerSrc: string;
  outerDst: string;
  vlanId: number;
  vlanCount: number;
  etherType: number;
  direction: LinkDirection;
  ipId: number;
  isFragment: boolean;
  fragmentOffset: number;
  moreFragments: boolean;
  ipProtocol: number;
  mss: number;
  windowScale: number;
  sackPermitted: boolean;
  tsVal: number;
  tsEcr: number;
  truncated: boolean;
}

async function decodeFile(rel: string): Promise<{ views: View[]; decoder: Decoder }> {
  const decoder = new Decoder();
  const p = new Packet();
  const views: View[] = [];
  await readCapture(corpus + rel, (f) => {
    decoder.decode(f, p);
    views.push({
      frame: f.frameNumber, linkType: f.linkType, v: p.ipVersion, src: formatAddress(p.src, p.ipVersion), dst: formatAddress(p.dst, p.ipVersion),
      transport: p.transport, sport: p.srcPort, dport: p.dstPort, flags: p.flags, seq: p.seq, ack: p.ack, payloadLength: p.payloadLength,
      tunnel: p.tunnel, tunnelId: p.tunnelId, outerSrc: formatAddress(p.outerSrc, p.outerIpVersion), outerDst: formatAddress(p.outerDst, p.outerIpVersion),
      vlanId: p.vlanId, vlanCount: p.vlanCount, etherType: p.etherType, direction: p.direction, ipId: p.ipId, isFragment: p.isFragment,
      fragmentOffset: p.fragmentOffset, moreFragments: p.moreFragments, ipProtocol: p.ipProtocol, mss: p.mss, windowScale: p.windowScale,
      sackPermitted: p.sackPermitted, tsVal: p.tsVal, tsEcr: p.tsEcr, truncated: p.truncatedHeaders,
    });
  });
  return { views, decoder };
}

describe.skipIf(!haveCorpus)('corpus captures (expected values from tshark)', () => {
  it('libpcap vxlan.pcap: VNI 100, inner ICMP and inner ARP', async () => {
    const { views, decoder } = await decodeFile('libpcap/tests/filter/vxlan.pcap');
    const f1 = views[0]!;
    expect([f1.tunnel, f1.tunnelId, f1.outerSrc, f1.outerDst]).toEqual([TunnelKind.Vxlan, 100, '192.168.203.1', '192.168.202.1']);
    expect([f1.v, f1.src, f1.dst, f1.ipProtocol, f1.transport]).toEqual([4, '192.168.203.3', '192.168.203.5', 1, Transport.Other]);
    // frame 2: ARP inside VXLAN: the tunnel is known, the inner packet is not IP
    const f2 = views[1]!;
    expect([f2.tunnel, f2.tunnelId, f2.outerSrc, f2.outerDst, f2.v, f2.etherType]).toEqual([TunnelKind.Vxlan, 100, '192.168.202.1', '192.168.203.1', 0, 0x0806]);
    expect(views).toHaveLength(10);
    expect(decoder.tunnels).toBe(10);
  });

  it('tcpdump geneve.pcap: TCP handshake inside Geneve', async () => {
    const { views } = await decodeFile('tcpdump/geneve.pcap');
    const [f3, f4, f5] = [views[2]!, views[3]!, views[4]!];
    expect([f3.tunnel, f3.tunnelId, f3.outerSrc, f3.outerDst]).toEqual([TunnelKind.Geneve, 0xb, '20.0.0.2', '20.0.0.1']);
    expect([f3.src, f3.dst, f3.sport, f3.dport, f3.flags, f3.seq, f3.ack]).toEqual(['30.0.0.2', '30.0.0.1', 51225, 22, 0x02, 397610159, 0]);
    expect([f4.tunnelId, f4.src, f4.dst, f4.sport, f4.dport, f4.flags, f4.seq, f4.ack]).toEqual([0xa, '30.0.0.1', '30.0.0.2', 22, 51225, 0x12, 2910871522, 397610160]);
    expect([f5.flags, f5.seq, f5.ack, f5.payloadLength]).toEqual([0x10, 397610160, 2910871523, 0]);
  });

  it('libpcap ipv6_ext_headers.pcap: 82 extension headers, then UDP', async () => {
    const { views } = await decodeFile('libpcap/tests/filter/ipv6_ext_headers.pcap');
    const f = views[0]!;
    expect([f.v, f.src, f.dst, f.transport, f.sport, f.dport, f.ipProtocol]).toEqual([6, '2001:db8::1', '2001:db8::2', Transport.Udp, 12345, 54321, 17]);
  });

  it('tcpdump 802.1ad_QinQ.pcap: outer S-tag 200, inner C-tag 2001, ARP', async () => {
    const { views } = await decodeFile('tcpdump/802.1ad_QinQ.pcap');
    expect(views).toHaveLength(2);
    for (const f of views) expect([f.vlanId, f.vlanCount, f.etherType, f.v]).toEqual([200, 2, 0x0806, 0]);
  });

  it('tcpdump tcp_rst_diag_payload.pcap: BSD null link type, RST+ACK with payload', async () => {
    const { views } = await decodeFile('tcpdump/tcp_rst_diag_payload.pcap');
    const f = views[0]!;
    expect([f.linkType, f.src, f.dst, f.sport, f.dport, f.flags, f.seq, f.ack, f.payloadLength]).toEqual([0, '192.0.2.1', '192.168.0.1', 39829, 8080, 0x14, 1, 334797553, 8]);
  });

  it('tcpdump mptcp-v1.pcap: Linux SLL direction and SYN options', async () => {
    const { views } = await decodeFile('tcpdump/mptcp-v1.pcap');
    const [s, sa] = [views[0]!, views[1]!];
    expect([s.linkType, s.direction, s.src, s.dst, s.sport, s.dport, s.flags, s.seq]).toEqual([113, LinkDirection.Host, '10.0.1.1', '10.0.2.1', 33306, 10004, 0x02, 2180756989]);
    expect([s.mss, s.windowScale, s.sackPermitted, s.tsVal, s.tsEcr]).toEqual([1460, 8, true, 464494241, 0]);
    expect([sa.direction, sa.flags, sa.seq, sa.mss, sa.windowScale, sa.tsVal, sa.tsEcr]).toEqual([LinkDirection.Outgoing, 0x12, 791415661, 1460, 8, 3275212179, 464494241]);
  });

  it('tcpdump mptcp-tcprst.pcap: raw IP link type, RST+ACK', async () => {
    const { views } = await decodeFile('tcpdump/mptcp-tcprst.pcap');
    const f = views[0]!;
    expect([f.linkType, f.src, f.dst, f.sport, f.dport, f.flags, f.seq, f.ack]).toEqual([101, '192.0.2.1', '192.168.76.28', 55739, 8080, 0x14, 1, 2176696966]);
  });

  it('libpcap ah-ipip-ping.pcap: IPv4 fragments (first decoded through AH, rest counted)', async () => {
    const { views, decoder } = await decodeFile('libpcap/tests/filter/ah-ipip-ping.pcap');
    expect(views.map((f) => [f.ipId, f.fragmentOffset, f.moreFragments, f.isFragment])).toEqual([
      [0xa3d9, 0, true, false],
      [0xa3d9, 185 * 8, true, true],
      [0xa3d9, 370 * 8, true, true],
      [0xa3d9, 555 * 8, false, true],
    ]);
    // frame 1: AH, then ICMP (tshark: eth:ethertype:ip:ah:icmp:data)
    expect([views[0]!.src, views[0]!.dst, views[0]!.ipProtocol]).toEqual(['10.1.48.19', '10.1.48.22', 1]);
    expect(decoder.fragments).toBe(3);
  });

  it('tcpdump ipv4_tcp_http_xml.pcap: 802.1Q VLAN 165, TCP with payload', async () => {
    const { views } = await decodeFile('tcpdump/ipv4_tcp_http_xml.pcap');
    const f = views[0]!;
    expect([f.vlanId, f.vlanCount, f.src, f.dst, f.sport, f.dport, f.flags, f.seq, f.ack, f.payloadLength]).toEqual([165, 1, '10.21.11.94', '10.114.101.120', 80, 5767, 0x18, 908588050, 2693707125, 605]);
  });

  it('never throws on any corpus capture', async () => {
    // a broad smoke run over fuzzed / malformed files with many link types
    const names = ['tcpdump/tcp_header_heapoverflow.pcap', 'tcpdump/gre-heapoverflow-1.pcap', 'tcpdump/gre-heapoverflow-2.pcap',
      'tcpdump/ipv6hdr-heapoverflow.pcap', 'tcpdump/ipv6-next-header-oobr-1.pcap', 'tcpdump/icmp-icmp_print-oobr-1.pcap', 'tcpdump/kday1.pcap'];
    for (const n of names) {
      if (!existsSync(corpus + n)) continue;
      await expect(decodeFile(n)).resolves.toBeDefined();
    }
  });
});

import { describe, expect, it } from 'vitest';
import * as b from '../helpers/packet-builder.js';
import { analyzeFrames } from '../helpers/in-memory.js';

// An identical packet seen twice is one packet: seen at another point (another interface of
// `-i any` (SLL2 ifindex, pcapng interface), another direction), a hop further (TTL), or at the
// same point with the same TTL and nothing from the peer in between (a duplicated frame: a SPAN port,
// a capture tool) when the peer's packet it answers reached the point once. After a packet of the
// peer, the same bytes are a second answer (two bare RSTs with IP ID 0 answering two segments of a
// lost connection) and count apart; so are up to one identical answer per further delivery of the
// peer's packet (seen again at the point a hop further: bridged, then routed back onto the bridge),
// and identical answers to a packet the capture never saw.

const rst = (o: { ttl?: number } = {}): Uint8Array =>
  b.ipv4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 6, ttl: o.ttl ?? 64, id: 0 }, b.tcp({ sport: 80, dport: 40000, seq: 5000, flags: 'R' }));
const syn = b.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, id: 1 }, b.tcp({ sport: 40000, dport: 80, seq: 100, flags: 'S' }));

function resets(frames: { data: Uint8Array; linkType: number; interfaceId?: number }[]): number {
  const fs = frames.map((f, i) => ({ ...b.frame(f.data, f.linkType, { frameNumber: i + 1, interfaceId: f.interfaceId ?? 0 }), tsSec: 100, tsNsec: i * 1000 }));
  return analyzeFrames(fs).report.summary.resets;
}

const eth = (ip: Uint8Array): Uint8Array => b.ethernet({ type: 0x0800 }, ip);
const sll2 = (ifIndex: number, ip: Uint8Array, pktType = 0): Uint8Array => b.sll2({ ifIndex, pktType, protocol: 0x0800 }, ip);

describe('copies and duplicates', () => {
  it('merges an identical RST captured twice at one point with nothing from the peer between (a duplicated frame)', () => {
    expect(resets([{ data: eth(syn), linkType: 1 }, { data: eth(rst()), linkType: 1 }, { data: eth(rst()), linkType: 1 }])).toBe(1);
  });
  it('counts twice an identical bare RST that answers a second segment of the peer', () => {
    const data = (seq: number): Uint8Array => b.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, id: seq },
      b.tcp({ sport: 40000, dport: 80, seq, ack: 5000, flags: 'PA' }, new Uint8Array(10)));
    expect(resets([{ data: eth(data(101)), linkType: 1 }, { data: eth(rst()), linkType: 1 },
      { data: eth(data(111)), linkType: 1 }, { data: eth(rst()), linkType: 1 }])).toBe(2);
  });
  it('counts both RSTs answering a segment delivered twice (bridged, then routed back a hop further), not a third', () => {
    // node-cni0 of midstream-ct: the client's segment at TTL 64, the same segment with TTL 63 from the
    // gateway, and the server's kernel answering each delivery with a RST (IP ID 0: identical bytes).
    const data = (ttl: number): Uint8Array => b.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, id: 7, ttl },
      b.tcp({ sport: 40000, dport: 80, seq: 101, ack: 5000, flags: 'PA' }, new Uint8Array(5)));
    const twice = [{ data: eth(data(64)), linkType: 1 }, { data: eth(data(63)), linkType: 1 }];
    expect(resets([...twice, { data: eth(rst()), linkType: 1 }, { data: eth(rst()), linkType: 1 }])).toBe(2);
    expect(resets([...twice, { data: eth(rst()), linkType: 1 }, { data: eth(rst()), linkType: 1 }, { data: eth(rst()), linkType: 1 }])).toBe(2);
    // Delivered once (a SPAN duplicate of the answer): one RST.
    expect(resets([twice[0]!, { data: eth(rst()), linkType: 1 }, { data: eth(rst()), linkType: 1 }])).toBe(1);
  });
  it('counts apart identical answers to a packet the capture never saw (how often it arrived is unknown)', () => {
    // brnf-off-norst client-eth0: the backend's untranslated SYN-ACK, sent twice because the SYN (to
    // the Service address, another connection here) reached it twice.
    const synAck = eth(b.ipv4({ src: '10.0.0.3', dst: '10.0.0.1', proto: 6, id: 0 }, b.tcp({ sport: 8080, dport: 40000, seq: 9000, ack: 101, flags: 'SA' })));
    const fs = [synAck, synAck].map((data, i) => ({ ...b.frame(data, 1, { frameNumber: i + 1 }), tsSec: 100, tsNsec: i * 21000 }));
    const row = analyzeFrames(fs, { connections: true }).report.connections![0]!;
    expect(row.origPackets + row.respPackets).toBe(2);
    expect(resets([{ data: eth(rst()), linkType: 1 }, { data: eth(rst()), linkType: 1 }])).toBe(2);
  });
  it('counts a RST sent again with a higher TTL (another sender) apart', () => {
    expect(resets([{ data: eth(syn), linkType: 1 }, { data: eth(rst({ ttl: 63 })), linkType: 1 }, { data: eth(rst({ ttl: 64 })), linkType: 1 }])).toBe(2);
  });
  it('folds the same RST on two interfaces of -i any (SLL2) or of a pcapng', () => {
    expect(resets([{ data: sll2(3, syn), linkType: 276 }, { data: sll2(3, rst()), linkType: 276 }, { data: sll2(5, rst()), linkType: 276 }])).toBe(1);
    expect(resets([{ data: eth(syn), linkType: 1 }, { data: eth(rst()), linkType: 1, interfaceId: 0 }, { data: eth(rst()), linkType: 1, interfaceId: 1 }])).toBe(1);
  });
  it('folds lo\'s outgoing and incoming copies, and the same packet a hop further', () => {
    expect(resets([{ data: sll2(1, syn), linkType: 276 }, { data: sll2(1, rst(), 4), linkType: 276 }, { data: sll2(1, rst(), 0), linkType: 276 }])).toBe(1);
    expect(resets([{ data: eth(syn), linkType: 1 }, { data: eth(rst({ ttl: 64 })), linkType: 1 }, { data: eth(rst({ ttl: 63 })), linkType: 1 }])).toBe(1);
  });
  it('counts the same RST from another sender (a higher or much lower TTL) on one interface', () => {
    expect(resets([{ data: eth(syn), linkType: 1 }, { data: eth(rst({ ttl: 59 })), linkType: 1 }, { data: eth(rst({ ttl: 123 })), linkType: 1 }])).toBe(2);
    expect(resets([{ data: eth(syn), linkType: 1 }, { data: eth(rst({ ttl: 64 })), linkType: 1 }, { data: eth(rst({ ttl: 50 })), linkType: 1 }])).toBe(2);
  });
  it('merges the same RST captured twice on one SLL2 interface and direction', () => {
    expect(resets([{ data: sll2(3, syn), linkType: 276 }, { data: sll2(3, rst()), linkType: 276 }, { data: sll2(3, rst()), linkType: 276 }])).toBe(1);
  });
  it('counts every packet of a connection captured twice (1 µs apart) once, and lists the duplicates as copies', () => {
    const seg = (from: 'c' | 's', flags: string, seq: number, ack: number, id: number, len = 0): Uint8Array => eth(b.ipv4(
      { src: from === 'c' ? '10.0.0.1' : '10.0.0.2', dst: from === 'c' ? '10.0.0.2' : '10.0.0.1', proto: 6, id },
      b.tcp({ sport: from === 'c' ? 40000 : 80, dport: from === 'c' ? 80 : 40000, seq, ack, flags: flags as 'S' }, new Uint8Array(len))));
    const once = [seg('c', 'S', 100, 0, 1), seg('s', 'SA', 5000, 101, 1), seg('c', 'A', 101, 5001, 2), seg('c', 'PA', 101, 5001, 3, 20),
      seg('s', 'PA', 5001, 121, 2, 30), seg('c', 'RA', 121, 5031, 4)];
    const frames = once.flatMap((data, i) => [0, 1].map((k) => ({ ...b.frame(data, 1, { frameNumber: 2 * i + k + 1 }), tsSec: 100, tsNsec: i * 1e6 + k * 1000 })));
    const a = analyzeFrames(frames, { connections: true });
    expect(a.report.summary.resets).toBe(1);
    const row = a.report.connections![0]!;
    expect([row.origPackets, row.respPackets, row.history]).toEqual([4, 2, 'ShADdR']);
    const f = a.findings.find((x) => x.rule === 'abortive-close')!;
    const rst = f.evidence.find((e) => e.frame === 11)!;
    expect(rst.copies).toEqual([12]);
  });
  it('keeps folding in Linux cooked v1, which names no interface', () => {
    const sll = (ip: Uint8Array): Uint8Array => b.sll({ pktType: 0, protocol: 0x0800 }, ip);
    expect(resets([{ data: sll(syn), linkType: 113 }, { data: sll(rst()), linkType: 113 }, { data: sll(rst()), linkType: 113 }])).toBe(1);
  });
});

describe('the copy window (src/flow/copies.ts)', () => {
  // One ring of every remembered packet in capture order: a burst of more packets than it holds
  // within COPY_WINDOW makes it grow, so a copy that comes after all of them is still found.
  it('finds each copy of a burst larger than the ring, and the last RECENT packets of a direction only', () => {
    const n = 6000;
    const frames: { data: Uint8Array; interfaceId: number }[] = [];
    const synOf = (i: number): Uint8Array => eth(b.ipv4({ src: '10.1.0.1', dst: '10.2.0.1', proto: 6, id: i },
      b.tcp({ sport: 10000 + i, dport: 80, seq: 7 * i, flags: 'S' })));
    for (let i = 0; i < n; i++) frames.push({ data: synOf(i), interfaceId: 0 });
    for (let i = 0; i < n; i++) frames.push({ data: synOf(i), interfaceId: 1 });
    const fs = frames.map((f, k) => ({ ...b.frame(f.data, 1, { frameNumber: k + 1, interfaceId: f.interfaceId }), tsSec: 100, tsNsec: k * 3000 }));
    const { report } = analyzeFrames(fs);
    // Each SYN once: its copy on interface 1 folded (else each connection would show a retransmitted SYN).
    expect(report.summary.tcpPackets).toBe(2 * n);
    expect(report.summary.connections).toBe(n);
    const findings = report.findings.filter((f) => f.rule === 'syn-retry-delay' || f.rule === 'syn-timeout');
    expect(findings.every((f) => !/retransmi/.test(f.explanation))).toBe(true);
  });
  it('compares a packet with the last 6 its direction remembered, not older ones', () => {
    // Seven different data packets, then a copy of the first on another interface, all within 50 ms:
    // the first has left the direction's last 6, so the copy counts as a packet of its own.
    const seg = (k: number): Uint8Array => eth(b.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, id: 50 + k },
      b.tcp({ sport: 40000, dport: 80, seq: 1000 + k * 10, ack: 1, flags: 'PA' }, new Uint8Array(10))));
    const frames = [0, 1, 2, 3, 4, 5, 6].map((k) => ({ data: seg(k), interfaceId: 0 }));
    const origPackets = (k: number): number => analyzeFrames([...frames, { data: seg(k), interfaceId: 1 }].map((f, i) =>
      ({ ...b.frame(f.data, 1, { frameNumber: i + 1, interfaceId: f.interfaceId }), tsSec: 100, tsNsec: i * 1000 })),
    { connections: true }).report.connections![0]!.origPackets;
    const dupOf = (k: number): number => 8 - origPackets(k);
    expect(dupOf(6)).toBe(1);
    expect(dupOf(1)).toBe(1);
    expect(dupOf(0)).toBe(0);
  });
});

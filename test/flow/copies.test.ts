import { describe, expect, it } from 'vitest';
import * as b from '../helpers/packet-builder.js';
import { analyzeFrames } from '../helpers/in-memory.js';

// An identical packet seen twice is a copy only when it was seen at another point: another
// interface of `-i any` (SLL2 ifindex, pcapng interface), another direction, a hop further (TTL).
// Twice at the same point it is a duplicated frame, and counts as tshark and Zeek count it.

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
  it('counts an identical RST twice on a single-interface capture', () => {
    expect(resets([{ data: eth(syn), linkType: 1 }, { data: eth(rst()), linkType: 1 }, { data: eth(rst()), linkType: 1 }])).toBe(2);
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
  it('counts the same RST twice on one SLL2 interface and direction', () => {
    expect(resets([{ data: sll2(3, syn), linkType: 276 }, { data: sll2(3, rst()), linkType: 276 }, { data: sll2(3, rst()), linkType: 276 }])).toBe(2);
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

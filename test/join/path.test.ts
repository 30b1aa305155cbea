import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { analyze } from '../../src/analysis/analyze.js';
import { locate, type Miss, type Sighting } from '../../src/join/path.js';
import { SAMPLES } from '../helpers/samples.js';

const seen = (input: number, ttl: number, further?: Sighting['further']): Sighting => ({ input, frame: 1, ttl, times: 1, further });
const missed = (input: number, ttl: number): Miss => ({ input, frame: 2, ttl, why: 'retransmission', label: 'SYN' });
const inputs = (xs: readonly { input: number }[]): number[] => xs.map((x) => x.input);

describe('where on its path a packet was lost (by TTL)', () => {
  test('every point that missed it is further (lower TTL): between the furthest seen and the nearest missed', () => {
    const where = locate([seen(0, 64), seen(1, 64), seen(2, 63), seen(3, 63)], [missed(4, 62), missed(5, 61)]);
    expect(inputs(where.last)).toEqual([2, 3]);
    expect(inputs(where.first)).toEqual([4]);
    expect(where.inside).toBeUndefined();
  });

  test('a point at the same TTL as one that saw it is not ordered: no location', () => {
    expect(locate([seen(0, 64), seen(1, 63)], [missed(2, 63)]).last).toEqual([]);
    expect(locate([seen(0, 64)], [missed(1, 64)]).first).toEqual([]);
  });

  test('a missed point nearer the sender than a seen one: no location (another path, or not captured)', () => {
    expect(locate([seen(0, 62)], [missed(1, 63)]).last).toEqual([]);
  });

  test('unknown TTLs order nothing', () => {
    expect(locate([seen(0, 0)], [missed(1, 0)]).last).toEqual([]);
  });

  test('inside a host: the furthest point saw its retransmission more often; only with a point that missed it', () => {
    const furtherOn = { frame: 9, times: 4 };
    expect(locate([seen(0, 64), seen(1, 64, furtherOn)], [missed(2, 64)]).inside?.input).toBe(1);
    // Not at the furthest TTL: the packet itself went further than that point.
    expect(locate([seen(0, 63), seen(1, 64, furtherOn)], [missed(2, 62)]).inside).toBeUndefined();
    expect(locate([seen(1, 64, furtherOn)], []).inside).toBeUndefined();
  });
});

describe('a SYN dropped on one of two nodes (samples/syn-drop-two-nodes)', () => {
  const dir = join(SAMPLES, 'syn-drop-two-nodes');
  const files = ['client-eth0.pcap', 'nodeA-any.pcap', 'underlay-ul0.pcap', 'nodeB-any.pcap', 'server-eth0.pcap'];

  test('node B dropped 40801\'s first SYN, node A 40803\'s, node B every SYN of 40802', async () => {
    // File order does not order the points: the TTLs do.
    const a = await analyze([...files].reverse().map((f) => join(dir, f)));
    const delay = a.report.findings.find((f) => f.rule === 'syn-retry-delay')!.explanation;
    expect(delay).toContain('The SYN 10.244.0.2:40801 → 10.96.0.10:80 is in ');
    expect(delay).toMatch(/40801 → 10\.96\.0\.10:80 is in .*? but not in server-eth0\.pcap, which saw its retransmission \(1#\d+\): it was lost after nodeB-any\.pcap and underlay-ul0\.pcap \(TTL 63\) and before server-eth0\.pcap \(TTL 62\), inside the host of nodeB-any\.pcap, which saw it twice and its retransmission 4 times \(2#\d+\)/);
    expect(delay).toMatch(/40803 → 10\.96\.0\.10:80 is in nodeA-any\.pcap \(4#\d+\) and client-eth0\.pcap \(5#\d+\) but not in .*?: it was lost after nodeA-any\.pcap and client-eth0\.pcap \(TTL 64\) and before nodeB-any\.pcap and underlay-ul0\.pcap \(TTL 63\), inside the host of nodeA-any\.pcap/);
    const timeout = a.report.findings.find((f) => f.rule === 'syn-timeout')!.explanation;
    expect(timeout).toMatch(/40802 → 10\.(96\.0\.10:80|244\.1\.3:8080) is in .*? but not in server-eth0\.pcap, which saw packets from 10\.244\.0\.2 to 10\.244\.1\.3:8080 before and after it \(1#\d+, 1#\d+\): it was lost after nodeB-any\.pcap and underlay-ul0\.pcap \(TTL 63\) and before server-eth0\.pcap \(TTL 62\)\. 2 more packets vanished at the same place/);
  });
});

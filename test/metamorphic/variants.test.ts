/** The variants do what they say, checked with the real decoder on every sample. */
import { describe, expect, test } from 'vitest';
import type { Frame } from '../../src/capture/types.js';
import { Decoder } from '../../src/decode/decoder.js';
import { Packet } from '../../src/decode/packet.js';
import { toIpv6 } from './ipv6.js';
import { loadSamples } from './matrix.js';
import { addAnyCopy, anyCopies, dropFrame, shiftTime, snapLength, stripTimestamps, withBackground } from './variants.js';

const samples = await loadSamples();

/** One line per frame of what the decoder sees (copied out of its reused Packet). */
function decoded(frames: readonly Frame[]): Array<{ v: number; ts: boolean; seq: number; flags: number; icmp: string; inner: number; outer: number }> {
  const decoder = new Decoder();
  const p = new Packet();
  return frames.map((f) => {
    decoder.decode(f, p);
    return { v: p.ipVersion, ts: p.hasTimestamps, seq: p.seq, flags: p.flags, icmp: `${p.icmpType}/${p.icmpCode}`, inner: p.innerIpVersion, outer: p.outerIpVersion };
  });
}

const ICMP6_OF: Record<string, string> = { '3/3': '1/4', '3/1': '1/3', '3/13': '1/1', '3/4': '2/0', '-1/-1': '-1/-1' };

describe.each(samples.map((s) => [s.name, s] as const))('%s', (_, s) => {
  const before = decoded(s.frames);

  test('no-timestamps: no segment keeps the option, nothing else changes', () => {
    const after = decoded(stripTimestamps(s.frames));
    expect(after.some((d) => d.ts)).toBe(false);
    expect(after.map((d) => [d.v, d.seq, d.flags])).toEqual(before.map((d) => [d.v, d.seq, d.flags]));
  });

  test('ipv6: every IPv4 packet (outer, inner, quoted) becomes IPv6; ICMP errors get their ICMPv6 counterparts', () => {
    const after = decoded(toIpv6(s.frames));
    expect(after.map((d) => [d.seq, d.flags, d.ts])).toEqual(before.map((d) => [d.seq, d.flags, d.ts]));
    after.forEach((d, i) => {
      const b = before[i]!;
      expect([d.v, d.inner, d.outer]).toEqual([b.v, b.inner, b.outer].map((v) => (v === 4 ? 6 : v)));
      expect(d.icmp).toBe(ICMP6_OF[b.icmp] ?? 'unmapped');
    });
  });

  test('copy-added: one more frame, found as a copy; copy-removed gives the original back', () => {
    const i = s.frames.length - 1;
    const copied = addAnyCopy(s.frames, i);
    expect(copied).toHaveLength(s.frames.length + 1);
    expect(anyCopies(copied)).toContain(i + 1);
    expect(decoded(dropFrame(copied, i + 1)).map((d) => [d.seq, d.flags])).toEqual(before.map((d) => [d.seq, d.flags]));
  });

  test('snap96, time+1d, background', () => {
    const cut = snapLength(s.frames, 96);
    expect(cut.every((f, i) => f.capturedLength <= 96 && f.data.length === f.capturedLength && f.originalLength === s.frames[i]!.originalLength)).toBe(true);
    expect(shiftTime(s.frames, 86_400).map((f) => [f.tsSec - 86_400, f.tsNsec])).toEqual(s.frames.map((f) => [f.tsSec, f.tsNsec]));
    const merged = withBackground(s.frames, 4);
    expect(merged).toHaveLength(s.frames.length + 40);
    expect(merged.every((f, i) => i === 0 || f.tsSec + f.tsNsec / 1e9 >= merged[i - 1]!.tsSec + merged[i - 1]!.tsNsec / 1e9)).toBe(true);
    expect(merged.map((f) => f.frameNumber)).toEqual(merged.map((_, i) => i + 1));
  });
});

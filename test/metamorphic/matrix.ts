/**
 * The metamorphic matrix: every sample × every variant family → outcomes. Shared by the test
 * (metamorphic.test.ts, a representative subset of positions) and `npm run sweep`
 * (scripts/sweep.mjs, every position).
 */

import type { Frame } from '../../src/capture/types.js';
import { sampleCaptures, SAMPLES } from '../helpers/samples.js';
import { analyzeFrames, ipHeader, linkLayer, loadSample, type AnalyzeOptions, type Result, type Sample } from './frames.js';
import { baselineOf, classify, OUTCOMES, type Baseline, type Outcome } from './invariant.js';
import { SERVICE_CIDR_V6, toIpv6 } from './ipv6.js';
import { addAnyCopy, anyCopies, dropFrame, shiftTime, snapLength, stripTimestamps, withBackground } from './variants.js';

export const FAMILIES = [
  'drop', 'copy-added', 'copy-removed', 'no-timestamps', 'ipv6', 'ipv6+service-cidr', 'time+1d', 'background', 'snap96',
] as const;
export type Family = (typeof FAMILIES)[number];

export interface VariantCase {
  family: Family;
  /** "drop #3" (frame 3 of the original), "ipv6", …: the key of known-failures.ts with the sample. */
  label: string;
  make: () => Frame[];
  options?: AnalyzeOptions;
}

export interface LoadedSample extends Sample {
  baseline: Baseline;
  /** The unmodified sample's analysis. */
  original: Result;
}

export interface Cell {
  sample: string;
  family: Family;
  label: string;
  outcome: Outcome;
  detail: string;
  /** The findings' rule:messageId, sorted: what the report says, not only which rule. */
  messages: string[];
}

/** Captures up to this many packets get every packet dropped in turn, even in the subset. */
const SMALL = 80;

export async function loadSamples(): Promise<LoadedSample[]> {
  const out: LoadedSample[] = [];
  for (const path of sampleCaptures()) {
    const s = await loadSample(path, SAMPLES);
    const original = analyzeFrames(s.frames);
    out.push({ ...s, baseline: baselineOf(s.expected, original), original });
  }
  return out;
}

/** TCP flags of a frame's (outer) segment, 'icmp' for an ICMP/ICMPv6 message, null otherwise. */
function kindOf(f: Frame): number | 'icmp' | null {
  const link = linkLayer(f.data, f.linkType);
  const ip = link === null ? null : f.data.subarray(link.ipOff);
  const h = ip === null ? null : ipHeader(ip);
  if (h === null || ip === null) return null;
  if (h.proto === 1 || h.proto === 58) return 'icmp';
  return h.proto === 6 && h.end >= h.hl + 14 ? ip[h.hl + 13]! : null;
}

const SYN = 0x02;
const RST = 0x04;

/** The frames that decide diagnoses: SYN, SYN-ACK, RST, ICMP. */
function keyFrames(frames: readonly Frame[]): number[] {
  const out: number[] = [];
  frames.forEach((f, i) => {
    const k = kindOf(f);
    if (k === 'icmp' || (k !== null && (k & (SYN | RST)) !== 0)) out.push(i);
  });
  return out;
}

/**
 * Frame indices to vary. `all`: every one. Otherwise every one in a capture of up to SMALL
 * packets; in a larger one the key frames, their neighbours and every 3rd frame.
 */
function positions(frames: readonly Frame[], all: boolean): number[] {
  if (all || frames.length <= SMALL) return frames.map((_, i) => i);
  const keep = new Set<number>();
  for (const i of keyFrames(frames)) for (const j of [i - 1, i, i + 1]) if (j >= 0 && j < frames.length) keep.add(j);
  for (let i = 0; i < frames.length; i += 3) keep.add(i);
  return [...keep].sort((a, b) => a - b);
}

/**
 * The variants of one sample. `exhaustive`: a copy added after every frame and every copy
 * removed; otherwise one of each (the first RST, else the first key frame; the first copy of a
 * key frame, else the first copy).
 */
export function variantCases(sample: Sample, exhaustive: boolean): VariantCase[] {
  const frames = sample.frames;
  const out: VariantCase[] = [];
  for (const i of positions(frames, exhaustive)) out.push({ family: 'drop', label: `drop #${i + 1}`, make: () => dropFrame(frames, i) });
  const keys = keyFrames(frames);
  const firstRst = keys.find((i) => { const k = kindOf(frames[i]!); return typeof k === 'number' && (k & RST) !== 0; });
  const copyAt = exhaustive ? frames.map((_, i) => i) : [firstRst ?? keys[0] ?? 0];
  for (const i of copyAt) out.push({ family: 'copy-added', label: `copy-added #${i + 1}`, make: () => addAnyCopy(frames, i) });
  const copies = anyCopies(frames);
  const keySet = new Set(keys);
  const removeAt = exhaustive ? copies : copies.filter((i) => keySet.has(i)).slice(0, 1).concat(copies).slice(0, 1);
  for (const i of removeAt) out.push({ family: 'copy-removed', label: `copy-removed #${i + 1}`, make: () => dropFrame(frames, i) });
  out.push(
    { family: 'no-timestamps', label: 'no-timestamps', make: () => stripTimestamps(frames) },
    { family: 'ipv6', label: 'ipv6', make: () => toIpv6(frames) },
    { family: 'ipv6+service-cidr', label: 'ipv6+service-cidr', make: () => toIpv6(frames), options: { serviceCidrs: [SERVICE_CIDR_V6] } },
    { family: 'time+1d', label: 'time+1d', make: () => shiftTime(frames, 86_400) },
    { family: 'background', label: 'background', make: () => withBackground(frames, 4) },
    { family: 'snap96', label: 'snap96', make: () => snapLength(frames, 96) },
  );
  return out;
}

export function messagesOf(r: Result): string[] {
  return r.findings.map((f) => `${f.rule}:${f.messageId}`).sort();
}

export function runCase(sample: LoadedSample, c: VariantCase): Cell {
  const result = analyzeFrames(c.make(), c.options);
  const { outcome, detail } = classify(sample.baseline, result);
  return { sample: sample.name, family: c.family, label: c.label, outcome, detail, messages: messagesOf(result) };
}

/**
 * Variants that must not change what the report says (the same messages, not only the same
 * rules): the IPv6 translation with its Service range given. Without the hint an IPv6 Service
 * is recognised only where its DNAT is in the capture: Kubernetes has no default IPv6 Service
 * range to infer one from (kubeadm's default 10.96.0.0/12 is IPv4's).
 */
export function keepsMessages(c: { family: Family }): boolean {
  return c.family === 'ipv6+service-cidr';
}

/** sample × family → outcome counts, as a Markdown table (empty cells: no such variant). */
export function markdownMatrix(cells: readonly Cell[]): string {
  const samples = [...new Set(cells.map((c) => c.sample))];
  const head = `| sample | ${FAMILIES.join(' | ')} |\n|---|${FAMILIES.map(() => '---').join('|')}|`;
  const short: Record<Outcome, string> = { same: 'same', weaker: 'weaker', silent: 'SILENT', 'different-error': 'DIFF-ERR' };
  const rows = samples.map((s) => {
    const tds = FAMILIES.map((fam) => {
      const mine = cells.filter((c) => c.sample === s && c.family === fam);
      if (mine.length === 0) return '';
      return OUTCOMES.map((o) => [o, mine.filter((c) => c.outcome === o).length] as const)
        .filter(([, n]) => n > 0).map(([o, n]) => `${n} ${short[o]}`).join(', ');
    });
    return `| ${s} | ${tds.join(' | ')} |`;
  });
  const total = OUTCOMES.map((o) => `${cells.filter((c) => c.outcome === o).length} ${o}`).join(', ');
  return `${head}\n${rows.join('\n')}\n\n${cells.length} variants: ${total}\n`;
}

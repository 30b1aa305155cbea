/**
 * Whole-pipeline fuzzing: real captures (samples/ and a few from ../shared/corpus/, read at test
 * time) are damaged and run through reader + decoder + flow table + NAT linker + rules + every
 * renderer. test/capture/fuzz.test.ts covers the reader alone (every truncation point of small
 * synthetic files, random bytes, file vs stream); this file aims at the layers behind it.
 *
 * Asserted for every damaged input:
 * - nothing but CaptureOpenError escapes, and its message is one line;
 * - the input is analysed and rendered (text, json, markdown, html, flows text/json/csv) within a
 *   time bound; every warning is one line;
 * - a truncated file keeps every record before the damage (packet count), and for the seed sample
 *   samples/brnf-off/node-any.pcap a file cut after the evidence frames has the uncut findings.
 *
 * FUZZ_RUNS=N multiplies the property runs (default sized for ~30 s in total).
 */
import { gzipSync } from 'node:zlib';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { analyze } from '../../src/analysis/analyze.js';
import { CaptureOpenError } from '../../src/capture/types.js';
import type { Analysis } from '../../src/report/types.js';
import { renderJson } from '../../src/report/json.js';
import { renderText } from '../../src/report/text.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderHtml } from '../../src/report/html.js';
import { renderFlows } from '../../src/report/flows.js';
import { evidenceFrames } from '../../src/report/display-filter.js';
import { writePcapng } from '../helpers/pcap-writer.js';
import { CLI, CORPUS, ROOT, SAMPLES } from '../helpers/samples.js';
import { headerOffsets, records, type Record } from './gen.js';

const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? '1'));
/** Wall-clock bound per damaged input (analysis + all renderers); generous for slow CI machines. */
const PER_INPUT_MS = 5000;

const dir = mkdtempSync(join(tmpdir(), 'rstdiag-fuzzpipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function walk(d: string, out: string[]): void {
  for (const name of readdirSync(d).sort()) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.pcap(ng)?$/.test(name)) out.push(p);
  }
}

const samplePaths: string[] = [];
walk(SAMPLES, samplePaths);
const CORPUS_PICKS = [
  'tcpdump/geneve.pcap',
  'tcpdump/gso-ipv4-vxlan-ipv4.pcap',
  'tcpdump/gre-heapoverflow-1.pcap',
  'tcpdump/various_gre.pcap',
  'tcpdump/icmp-length-zero.pcapng',
  'tcpdump/dns_tcp.pcap',
  'tcpdump/of13_ericsson.pcapng',
  'pcapng-test-generator/output_le/difficult/test202.pcapng',
  'pcapng-test-generator/output_be/basic/test005.pcapng',
];
const corpusPaths = CORPUS_PICKS.map((p) => join(CORPUS, p)).filter((p) => existsSync(p));

interface Seed {
  name: string;
  buf: Buffer;
  format: 'pcap' | 'pcapng';
  le: boolean;
  list: Record[];
  /** Link type per packet record (pcap: the file's; pcapng: looked up from the IDBs). */
  linkTypes: number[];
}

function loadSeed(path: string): Seed {
  const buf = readFileSync(path);
  const { format, le, list } = records(buf);
  const linkTypes: number[] = [];
  if (format === 'pcap') {
    const lt = (le ? buf.readUInt32LE(20) : buf.readUInt32BE(20)) & 0xffff;
    for (let i = 0; i < list.length; i++) linkTypes.push(lt);
  } else {
    let ifs: number[] = [];
    let sle = le;
    for (const r of list) {
      if (r.type === 0x0a0d0d0a) {
        ifs = [];
        sle = buf.readUInt32LE(r.at + 8) === 0x1a2b3c4d;
      } else if (r.type === 1) ifs.push(sle ? buf.readUInt16LE(r.at + 8) : buf.readUInt16BE(r.at + 8));
      const id = r.type === 6 ? (sle ? buf.readUInt32LE(r.at + 8) : buf.readUInt32BE(r.at + 8)) : r.type === 2 ? (sle ? buf.readUInt16LE(r.at + 8) : buf.readUInt16BE(r.at + 8)) : -1;
      linkTypes.push(id >= 0 ? ifs[id] ?? -1 : -1);
    }
  }
  return { name: relative(ROOT, path), buf, format, le, list, linkTypes };
}

const seeds = [...samplePaths, ...corpusPaths].map(loadSeed);

let fileNo = 0;
function tmpFile(buf: Buffer, ext = '.pcap'): string {
  const p = join(dir, `in${fileNo++ % 8}${ext}`);
  writeFileSync(p, buf);
  return p;
}

type Outcome = { error: string } | { a: Analysis; outputs: number };

/** The whole pipeline and every renderer on one input; only CaptureOpenError may escape. */
async function pipeline(buf: Buffer, ext = '.pcap', what = ''): Promise<Outcome> {
  const p = tmpFile(buf, ext);
  const t0 = performance.now();
  let a: Analysis;
  try {
    a = await analyze([p], { connections: true });
  } catch (e) {
    if (!(e instanceof CaptureOpenError)) {
      throw new Error(`${what}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
    expect(e.message).not.toMatch(/\n/);
    return { error: e.message };
  }
  let outputs = 0;
  for (const render of [renderJson, renderText, renderMarkdown, renderHtml, (x: Analysis) => renderFlows(x, 'text'), (x: Analysis) => renderFlows(x, 'json'), (x: Analysis) => renderFlows(x, 'csv')]) {
    let s: string;
    try {
      s = render(a);
    } catch (e) {
      throw new Error(`${what}: renderer threw: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
    expect(typeof s).toBe('string');
    outputs += s.length;
  }
  const ms = performance.now() - t0;
  expect(ms, `${what}: ${ms.toFixed(0)} ms`).toBeLessThan(PER_INPUT_MS);
  for (const i of a.report.inputs) for (const w of i.warnings) expect(w).not.toMatch(/\n/);
  // JSON round-trips (no NaN / undefined sneaking into the machine contract).
  const j = JSON.parse(renderJson(a)) as { summary: { packets: number } };
  expect(Number.isFinite(j.summary.packets)).toBe(true);
  return { a, outputs };
}

function packetRecords(s: Seed): number[] {
  const out: number[] = [];
  s.list.forEach((r, i) => {
    if (r.data >= 0) out.push(i);
  });
  return out;
}

// ------------------------------------------------------------------ truncation

describe('truncation at every record boundary and inside headers', () => {
  test.each(seeds.map((s) => [s.name, s] as const))('%s', async (_name, s) => {
    const cuts = new Set<number>();
    for (const r of s.list) {
      for (const d of [0, 1, 4, 7, 8, 11, 12, 15, 16, 20, 27]) if (r.at + d < r.len + r.at) cuts.add(r.at + d);
      if (r.data >= 0) for (const d of [1, 14, 15, 20, 34, 35, 40, 54]) if (d < r.caplen) cuts.add(r.data + d);
      cuts.add(r.at + r.len - 1);
    }
    for (const d of [1, 2, 3, 4, 8, 12, 23]) cuts.add(d);
    // Large seeds: every record boundary and header cut of the first and last records, an even
    // sample of the rest (all of them with FUZZ_RUNS >= 4).
    let all = [...cuts].filter((c) => c < s.buf.length).sort((a, b) => a - b);
    const cap = 100 * RUNS;
    if (all.length > cap) {
      const stride = (all.length - 60) / (cap - 60);
      const mid: number[] = [];
      for (let x = 30; x < all.length - 30; x += stride) mid.push(all[Math.floor(x)]);
      all = [...all.slice(0, 30), ...mid, ...all.slice(-30)];
    }
    const whole = await pipeline(s.buf, '.pcap', `${s.name} whole`);
    const wholePackets = 'a' in whole ? whole.a.report.inputs[0].packets : 0;
    for (const cut of all) {
      const out = await pipeline(s.buf.subarray(0, cut), '.pcap', `${s.name} cut at ${cut}`);
      if ('error' in out) {
        // Only a cut inside the file header (or pcapng's first section header) may refuse the file.
        const first = s.format === 'pcap' ? 24 : s.list[0].len;
        expect(cut, `${s.name} cut at ${cut}: ${out.error}`).toBeLessThan(first);
        continue;
      }
      const inp = out.a.report.inputs[0];
      // Everything before the damage is kept: every complete packet record before the cut.
      const complete = s.list.filter((r) => r.data >= 0 && r.at + r.len <= cut).length;
      expect(inp.packets, `${s.name} cut at ${cut}`).toBe(Math.min(complete, wholePackets));
      const atBoundary = s.list.some((r) => r.at === cut) || cut === (s.format === 'pcap' ? 24 : s.list[0].len);
      if (!atBoundary) {
        expect(inp.truncated, `${s.name} cut at ${cut}`).toBe(true);
        expect(inp.warnings.some((w) => /byte offset \d+/.test(w)), `${s.name} cut at ${cut}: ${inp.warnings.join(' / ')}`).toBe(true);
      }
    }
  });

  test('samples/brnf-off/node-any.pcap cut after the evidence frames has the uncut findings', async () => {
    const s = seeds.find((x) => x.name === 'samples/brnf-off/node-any.pcap');
    expect(s).toBeDefined();
    if (!s) return;
    const whole = await pipeline(s.buf, '.pcap', 'whole');
    if (!('a' in whole)) throw new Error(whole.error);
    // The explanation may cite context from later frames ("direct connections to the backend
    // succeed (frame 49)"), so it is compared by its first sentence; everything else exactly.
    const key = (a: Analysis): unknown => a.report.findings.map(({ id: _id, explanation, ...f }) => ({ ...f, explanation: explanation.split('. ')[0] }));
    const wanted = key(whole.a);
    expect(whole.a.report.findings.length).toBeGreaterThan(0);
    // The last evidence frame, copies on other interfaces included (the display filter lists them).
    const lastFrame = Math.max(...whole.a.findings.flatMap((f) => evidenceFrames(f.evidence)));
    const pkts = packetRecords(s);
    const endOfLast = s.list[pkts[lastFrame - 1]].at + s.list[pkts[lastFrame - 1]].len;
    // Cut right after the last evidence record, inside every later record, and mid-header.
    const cuts = [endOfLast, endOfLast + 1, endOfLast + 9];
    for (const i of pkts.slice(lastFrame)) cuts.push(s.list[i].at + s.list[i].len - 3, s.list[i].at + 20);
    for (const cut of cuts) {
      if (cut >= s.buf.length) continue;
      const out = await pipeline(s.buf.subarray(0, cut), '.pcap', `cut at ${cut}`);
      if (!('a' in out)) throw new Error(out.error);
      expect(key(out.a), `cut at ${cut}`).toEqual(wanted);
    }
  });
});

// ------------------------------------------------------------------ mutations

type Mutation =
  | { kind: 'ipField'; rec: number; field: number; value: number }
  | { kind: 'bitFlip'; rec: number; region: 'ip' | 'l4' | 'inner'; offset: number; bit: number }
  | { kind: 'recordLength'; rec: number; which: number; value: number }
  | { kind: 'trailer'; rec: number; value: number }
  | { kind: 'interfaceId'; rec: number; value: number }
  | { kind: 'bytes'; edits: Array<[number, number]> };

const u32 = fc.constantFrom(0, 1, 11, 12, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff);
const fieldValue = fc.oneof(fc.constantFrom(0, 0xff, 0x0f, 0xf0, 1, 5, 15, 0x45, 0x4f, 0x40), fc.integer({ min: 0, max: 255 }));

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  // IP / TCP header fields: field index picks version+IHL, total length hi/lo, flags/frag, protocol,
  // TCP data offset, TCP option kind/length bytes, ICMP/tunnel-embedded header bytes.
  fc.record({ kind: fc.constant('ipField' as const), rec: fc.nat(), field: fc.integer({ min: 0, max: 11 }), value: fieldValue }),
  fc.record({ kind: fc.constant('bitFlip' as const), rec: fc.nat(), region: fc.constantFrom('ip' as const, 'l4' as const, 'inner' as const), offset: fc.integer({ min: 0, max: 59 }), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('recordLength' as const), rec: fc.nat(), which: fc.integer({ min: 0, max: 2 }), value: u32 }),
  fc.record({ kind: fc.constant('trailer' as const), rec: fc.nat(), value: u32 }),
  fc.record({ kind: fc.constant('interfaceId' as const), rec: fc.nat(), value: fc.constantFrom(1, 2, 7, 255, 65535, 0xffffffff) }),
  fc.record({ kind: fc.constant('bytes' as const), edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }) }),
);

function put32(s: Seed, b: Buffer, o: number, v: number): void {
  if (o + 4 > b.length) return;
  if (s.le) b.writeUInt32LE(v >>> 0, o);
  else b.writeUInt32BE(v >>> 0, o);
}

function apply(s: Seed, b: Buffer, m: Mutation): void {
  const pk = packetRecords(s);
  const pick = (n: number): number => (pk.length > 0 ? pk[n % pk.length] : -1);
  switch (m.kind) {
    case 'ipField':
    case 'bitFlip': {
      const i = pick(m.rec);
      if (i < 0) return;
      const r = s.list[i];
      const frame = b.subarray(r.data, r.data + r.caplen);
      const h = headerOffsets(frame, s.linkTypes[i]);
      if (!h) return;
      if (m.kind === 'bitFlip') {
        const base = m.region === 'ip' ? h.ip : m.region === 'l4' ? h.l4 : h.inner;
        if (base < 0) return;
        const o = base + m.offset;
        if (o < frame.length) frame[o] ^= 1 << m.bit;
        return;
      }
      const v4 = frame[h.ip] >> 4 === 4;
      const spots = [
        h.ip, // version + IHL (IPv4) / version + traffic class (IPv6)
        h.ip + 2, h.ip + 3, // total length (IPv4); IPv6: flow label
        v4 ? h.ip + 6 : h.ip + 4, // flags + fragment offset / payload length
        v4 ? h.ip + 9 : h.ip + 6, // protocol / next header
        h.l4 + 12, // TCP data offset
        h.l4 + 20, h.l4 + 21, h.l4 + 23, // first TCP option kind / length, a later option length
        h.inner >= 0 ? h.inner : h.l4 + 4, // embedded (ICMP / VXLAN inner) IP version + IHL
        h.inner >= 0 ? h.inner + 3 : h.l4 + 5, // embedded total length
        h.inner >= 0 ? h.inner + (frame[h.inner] & 0x0f) * 4 + 12 : h.l4 + 13, // embedded TCP data offset
      ];
      const o = spots[m.field % spots.length];
      if (o < frame.length) frame[o] = m.value;
      return;
    }
    case 'recordLength': {
      if (s.list.length === 0) return;
      const r = s.list[m.rec % s.list.length];
      if (s.format === 'pcap') put32(s, b, r.at + 8 + 4 * (m.which % 2), m.value); // incl_len / orig_len
      else if (m.which === 0) put32(s, b, r.at + 4, m.value); // block length
      else if (r.data >= 0) put32(s, b, r.at + 16 + 4 * m.which, m.value); // caplen / original length
      return;
    }
    case 'trailer': {
      if (s.format !== 'pcapng' || s.list.length === 0) return;
      const r = s.list[m.rec % s.list.length];
      put32(s, b, r.at + r.len - 4, m.value);
      return;
    }
    case 'interfaceId': {
      if (s.format !== 'pcapng') return;
      const i = pick(m.rec);
      if (i < 0) return;
      if (s.list[i].type === 6) put32(s, b, s.list[i].at + 8, m.value);
      return;
    }
    case 'bytes':
      for (const [pos, v] of m.edits) b[pos % b.length] = v;
  }
}

describe('mutated real captures through the whole pipeline', () => {
  test('header fields, bit flips, record lengths, trailers, interface ids, random bytes', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), async (which, muts) => {
        const s = seeds[which];
        const b = Buffer.from(s.buf);
        for (const m of muts) apply(s, b, m);
        n++;
        await pipeline(b, '.pcap', `${s.name} ${JSON.stringify(muts)}`);
      }),
      { numRuns: 600 * RUNS },
    );
    expect(n).toBe(600 * RUNS);
  });

  test('gzip streams cut short and damaged', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: seeds.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))), async (which, frac, edit) => {
        const s = seeds[which];
        const gz = gzipSync(s.buf);
        const cut = Buffer.from(gz.subarray(0, Math.max(1, Math.floor(gz.length * frac))));
        if (edit) cut[edit[0] % cut.length] = edit[1];
        const out = await pipeline(cut, '.pcap.gz', `${s.name} gz cut ${cut.length}/${gz.length}`);
        if ('a' in out && cut.length < gz.length && !edit) {
          const inp = out.a.report.inputs[0];
          expect(inp.truncated || inp.warnings.length > 0, `${s.name} gz cut ${cut.length}/${gz.length}`).toBe(true);
        }
      }),
      { numRuns: 150 * RUNS },
    );
  });
});

// ------------------------------------------------------------------ pcapng interface extremes

describe('pcapng built from real frames: extreme if_tsresol and timestamps', () => {
  const s = seeds.find((x) => x.name === 'samples/brnf-off/node-any.pcap') ?? seeds[0];
  const frames = packetRecords(s).map((i) => s.buf.subarray(s.list[i].data, s.list[i].data + s.list[i].caplen));
  const lt = s.linkTypes[packetRecords(s)[0]];
  const tsresols = [0, 1, 6, 9, 10, 19, 20, 63, 127, 0x80, 0x80 | 1, 0x80 | 30, 0x80 | 63, 0x80 | 64, 0xff];
  const stamps: Array<(i: number) => bigint> = [
    () => 0n,
    () => (1n << 64n) - 1n,
    (i) => (1n << 64n) - 1n - BigInt(frames.length - i), // increasing, near the top
    (i) => (i % 2 === 0 ? 0n : (1n << 64n) - 1n), // alternating extremes
    (i) => 1n << BigInt(32 + (i % 32)),
  ];
  test.each(tsresols)('if_tsresol %i', async (tsresol) => {
    for (const [k, ts] of stamps.entries()) {
      const buf = writePcapng([{ interfaces: [{ linkType: lt, tsresol }], packets: frames.map((data, i) => ({ interfaceId: 0, ts: ts(i), data })) }]);
      const out = await pipeline(buf, '.pcapng', `tsresol ${tsresol} stamps ${k}`);
      if (!('a' in out)) throw new Error(out.error);
      const inp = out.a.report.inputs[0];
      expect(inp.packets).toBe(frames.length);
      for (const t of [inp.firstTime, inp.lastTime]) expect(t ?? '').not.toMatch(/NaN|invalid/);
      for (const f of out.a.report.findings) expect(`${f.firstTime} ${f.lastTime}`).not.toMatch(/NaN|invalid/);
    }
  });

  test('packets naming interfaces that do not exist are skipped with a warning, the rest analysed', async () => {
    const buf = writePcapng([{ interfaces: [{ linkType: lt }], packets: frames.map((data, i) => ({ interfaceId: i % 3 === 2 ? 5 + i : 0, ts: 1700000000000000n + BigInt(i), data })) }]);
    const out = await pipeline(buf, '.pcapng', 'bad interface ids');
    if (!('a' in out)) throw new Error(out.error);
    const inp = out.a.report.inputs[0];
    expect(inp.packets).toBe(frames.filter((_, i) => i % 3 !== 2).length);
    expect(inp.warnings.some((w) => /names interface \d+, which its section does not define/.test(w))).toBe(true);
  });
});

// ------------------------------------------------------------------ the CLI on damaged files

describe('the built CLI on damaged inputs', () => {
  const base = readFileSync(join(SAMPLES, 'brnf-off/node-any.pcap'));
  const cases: Array<[string, Buffer | 'dir' | 'missing', 'report' | 'exit2']> = [
    ['truncated-mid-record.pcap', base.subarray(0, base.length - 7), 'report'],
    ['truncated-mid-header.pcap', base.subarray(0, 24 + 9), 'report'],
    ['claims-4GB.pcap', (() => { const b = Buffer.from(base); b.writeUInt32LE(0xffffffff, 24 + 8); return b; })(), 'report'],
    ['claims-4GB-later.pcap', (() => { const b = Buffer.from(base); const r = records(b).list[5]; b.writeUInt32LE(0xfffffff0, r.at + 8); return b; })(), 'report'],
    ['gzip-cut.pcap.gz', gzipSync(base).subarray(0, 400), 'report'],
    ['header-cut.pcap', base.subarray(0, 13), 'exit2'],
    ['text.pcap', Buffer.from('this is not a capture\nsecond line\n'), 'exit2'],
    ['empty.pcap', Buffer.alloc(0), 'exit2'],
    ['a-directory.pcap', 'dir', 'exit2'],
    ['missing.pcap', 'missing', 'exit2'],
    ['gzip-of-text.gz', gzipSync(Buffer.from('hello world, not a capture')), 'exit2'],
    ['gzip-header-only.gz', gzipSync(base).subarray(0, 10), 'exit2'],
  ];
  test.each(cases)('%s', (name, content, expected) => {
    const p = join(dir, 'cli', name);
    rmSync(p, { recursive: true, force: true });
    if (content === 'dir') spawnSync('mkdir', ['-p', p]);
    else {
      spawnSync('mkdir', ['-p', join(dir, 'cli')]);
      if (content !== 'missing') writeFileSync(p, content);
    }
    const r = spawnSync(process.execPath, [CLI, 'analyze', p, '--format', 'json'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toMatch(/internal error/);
    if (expected === 'exit2') {
      expect(r.status).toBe(2);
      const lines = r.stderr.split('\n').filter((l) => l.length > 0);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(name);
      expect(r.stdout).toBe('');
    } else {
      expect([0, 1]).toContain(r.status);
      expect(r.stderr).toBe('');
      const rep = JSON.parse(r.stdout) as { inputs: Array<{ truncated: boolean; warnings: string[] }> };
      expect(rep.inputs[0].truncated).toBe(true);
      expect(rep.inputs[0].warnings.some((w) => /byte offset \d+|uncompressed bytes/.test(w))).toBe(true);
    }
  });
});

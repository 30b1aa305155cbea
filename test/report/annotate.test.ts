/**
 * `rstdiag annotate`: every sample through the annotated pcapng and back. Our reader checks the
 * packets are the same (order, timestamps, lengths, bytes, interfaces); tshark checks Wireshark
 * sees a comment on every evidence frame and nowhere else, and that the display filters select
 * the evidence. The tshark parts skip where tshark is not installed.
 */
import { describe, expect, test } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { analyze } from '../../src/analysis/analyze.js';
import { readCapture } from '../../src/capture/reader.js';
import type { CaptureInfo } from '../../src/capture/types.js';
import { annotateCapture, evidenceComments } from '../../src/report/annotate.js';
import { displayFilter, evidenceFrames } from '../../src/report/display-filter.js';
import { writePcapng } from '../helpers/pcap-writer.js';
import { ROOT, sampleCaptures } from '../helpers/samples.js';

const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'rstdiag-annotate-'));

/** Each frame as one comparable line, and what the reader learned about the file. */
async function frames(path: string): Promise<{ lines: string[]; info: CaptureInfo }> {
  const lines: string[] = [];
  const info = await readCapture(path, (f) => {
    const digest = createHash('sha1').update(f.data).digest('hex');
    lines.push(`${f.frameNumber} ${f.tsSec}.${String(f.tsNsec).padStart(9, '0')} if${f.interfaceIndex} lt${f.linkType} ${f.capturedLength}/${f.originalLength} ${digest}`);
  });
  return { lines, info };
}

/** tshark's frame.number → frame.comment (its comments joined with ','). */
function tsharkComments(path: string, filter?: string): Promise<Map<number, string>> {
  const args = ['-r', path, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.comment', ...(filter ? ['-Y', filter] : [])];
  return new Promise((resolve, reject) => {
    const p = spawn('tshark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => {
      if (code !== 0) reject(new Error(`tshark ${args.join(' ')}: ${err}`));
      const map = new Map<number, string>();
      for (const line of out.split('\n')) {
        if (line === '') continue;
        const [n, comment] = line.split('\t');
        map.set(Number(n), comment ?? '');
      }
      resolve(map);
    });
  });
}

function sameInterfaces(a: CaptureInfo, b: CaptureInfo): void {
  const shape = (i: CaptureInfo) => i.interfaces.map((x) => ({ linkType: x.linkType, snapLen: x.snapLen, name: x.name, tsResolution: x.tsResolution }));
  expect(shape(b)).toEqual(shape(a));
}

describe.concurrent('annotate: every sample round-trips', () => {
  const captures = sampleCaptures();
  for (const cap of captures) {
    test(relative(ROOT, cap), async () => {
      const a = await analyze([cap]);
      const out = join(tmp, `${relative(ROOT, cap).replace(/\//g, '_')}.pcapng`);
      const comments = evidenceComments(a.findings);
      const result = await annotateCapture(cap, out, comments, 'rstdiag test');
      const before = await frames(cap);
      const after = await frames(out);
      expect(after.info.format).toBe('pcapng');
      expect(after.info.warnings).toEqual([]);
      expect(after.lines).toEqual(before.lines);
      expect(result.packets).toBe(before.lines.length);
      sameInterfaces(before.info, after.info);
      if (!hasTshark) return;
      const seen = await tsharkComments(out);
      expect(seen.size).toBe(before.lines.length);
      const evidence = new Set<number>();
      for (const f of a.findings) {
        for (const n of evidenceFrames(f.evidence)) {
          evidence.add(n);
          expect(seen.get(n), `frame ${n} of ${f.id}`).toContain(`rstdiag ${f.id} ${f.rule}`);
        }
      }
      for (const [n, comment] of seen) if (!evidence.has(n)) expect(comment, `frame ${n}`).toBe('');
    });
  }
});

describe.skipIf(!hasTshark)('annotate: display filters select the evidence in Wireshark', () => {
  for (const name of ['brnf-off/node-any.pcap', 'refused/client-eth0.pcap', 'linger0/server-eth0.pcap']) {
    test(name, async () => {
      const cap = sampleCaptures().find((c) => c.endsWith(name));
      if (cap === undefined) return;
      const a = await analyze([cap]);
      expect(a.findings.length).toBeGreaterThan(0);
      for (const f of a.findings) {
        expect(f.displayFilter).toBe(displayFilter(f.evidence));
        const selected = await tsharkComments(cap, f.displayFilter);
        expect([...selected.keys()]).toEqual(evidenceFrames(f.evidence));
      }
    });
  }
});

describe('annotate: interfaces, sections and nanoseconds are kept', () => {
  test('two sections, three interfaces, ns and ms resolutions, names and snaplens', async () => {
    const data = (n: number): Uint8Array => Uint8Array.from({ length: 60 + n }, (_, i) => (i * 7 + n) & 0xff);
    const input = join(tmp, 'sections.pcapng');
    writeFileSync(input, writePcapng([
      {
        interfaces: [{ linkType: 1, tsresol: 9, name: 'eth0', snapLen: 65535 }, { linkType: 276, name: 'any', snapLen: 262144 }],
        packets: [
          { interfaceId: 0, ts: 1700000000123456789n, data: data(1) },
          { interfaceId: 1, ts: 1700000000123457n, data: data(2), origLen: 1500 },
          { interfaceId: 0, ts: 1700000001000000001n, data: data(3) },
        ],
      },
      {
        interfaces: [{ linkType: 101, tsresol: 3, name: 'tun0' }],
        packets: [{ interfaceId: 0, ts: 1700000002345n, data: data(4) }],
      },
    ]));
    const out = join(tmp, 'sections-out.pcapng');
    const comments = new Map([[1, ['rstdiag F1 test: first']], [4, ['rstdiag F2 test: a', 'rstdiag F3 test: b']]]);
    const result = await annotateCapture(input, out, comments, 'rstdiag test');
    expect(result.commented).toBe(2);
    const before = await frames(input);
    const after = await frames(out);
    expect(after.lines).toEqual(before.lines);
    expect(after.lines[0]).toContain('1700000000.123456789 if0');
    expect(after.lines[3]).toContain('1700000002.345000000 if2 lt101');
    sameInterfaces(before.info, after.info);
    expect(after.info.interfaces.map((i) => i.tsResolution)).toEqual(['10^-9', '10^-6', '10^-3']);
    if (!hasTshark) return;
    const seen = await tsharkComments(out);
    expect([...seen.values()]).toEqual(['rstdiag F1 test: first', '', '', 'rstdiag F2 test: a,rstdiag F3 test: b']);
  });
});

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../src/analysis/analyze.js';
import { Pipeline } from '../../src/analysis/pipeline.js';
import { readCapture } from '../../src/capture/reader.js';
import { ROOT } from '../helpers/samples.js';

// A busy node in miniature (bench/generate.mjs: 20,000 connections over two minutes, a known
// share of each cause). Most connections are plainly healthy and, without --connections, the flow
// table lets them go before any record of them is made. That must change no finding: the report
// equals the one where every connection gets a record (--connections), and the generator's truth.
interface Truth {
  connections: number;
  rules: Record<string, { findings: number; count: number }>;
}

let dir = '';
let file = '';
let truth: Truth;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rstdiag-fast-'));
  file = join(dir, 'node.pcap');
  execFileSync(process.execPath, [join(ROOT, 'bench', 'generate.mjs'), file, '--connections', '20000'], { stdio: 'ignore' });
  truth = JSON.parse(readFileSync(`${file}.truth.json`, 'utf8')) as Truth;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('healthy connections released without records', () => {
  test('most connections take the fast path', async () => {
    const pipeline = new Pipeline();
    pipeline.finish(await readCapture(file, pipeline.onFrame));
    expect(pipeline.table.total).toBeGreaterThanOrEqual(truth.connections);
    expect(pipeline.table.releasedHealthy).toBeGreaterThan(truth.connections / 2);
  });

  test('the report equals the one with a record of every connection, and the truth', async () => {
    const fast = await analyze([file]);
    const recorded = await analyze([file], { connections: true });
    expect(recorded.report.connections!.length).toBeGreaterThanOrEqual(truth.connections);
    const { connections: _rows, ...expected } = recorded.report;
    expect(fast.report).toEqual(expected);
    // Findings per rule from the summary, attempts from the causes: a cause lists a sample of its
    // findings and counts the others exactly.
    const found: Record<string, { findings: number; count: number }> = {};
    for (const [rule, n] of Object.entries(fast.report.summary.findingsByRule)) (found[rule] ??= { findings: 0, count: 0 }).findings = n ?? 0;
    for (const c of fast.report.causes) (found[c.rule] ??= { findings: 0, count: 0 }).count += c.count;
    expect(found).toEqual(truth.rules);
  });
});

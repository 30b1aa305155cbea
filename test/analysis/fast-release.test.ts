import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../src/analysis/analyze.js';
import { Pipeline } from '../../src/analysis/pipeline.js';
import { readCapture } from '../../src/capture/reader.js';
import type { Report } from '../../src/report/types.js';
import { ROOT } from '../helpers/samples.js';

// A busy node in miniature (bench/generate.mjs: 20,000 connections over two minutes, a known
// share of each cause). Most connections are plainly healthy and, without --connections, the flow
// table lets them go before any record of them is made. That must change no finding: the report
// equals the one where every connection gets a record (--connections), and the generator's truth.
interface Truth {
  connections: number;
  rules: Record<string, { findings: number; count: number }>;
}

/**
 * Findings per rule from the summary, attempts from the causes: a cause lists a sample of its
 * findings and counts the others exactly.
 */
function foundByRule(report: Report): Truth['rules'] {
  const found: Truth['rules'] = {};
  for (const [rule, n] of Object.entries(report.summary.findingsByRule)) (found[rule] ??= { findings: 0, count: 0 }).findings = n ?? 0;
  for (const c of report.causes) (found[c.rule] ??= { findings: 0, count: 0 }).count += c.count;
  return found;
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
    expect(foundByRule(fast.report)).toEqual(truth.rules);
  });
});

// A SYN flood in miniature (bench/generate.mjs --shape syn-flood): lone SYNs from spoofed
// sources, unanswered or answered by a listener's SYN-ACKs, get no record either, and a port
// scan's refusals are still found, one per port.
describe.each(['none', 'synack'])('lone SYNs released without records (flood answered: %s)', (answer) => {
  let flood = '';
  let floodTruth: Truth;
  const SYNS = 20_000;
  beforeAll(() => {
    flood = join(dir, `flood-${answer}.pcap`);
    execFileSync(process.execPath, [join(ROOT, 'bench', 'generate.mjs'), flood, '--shape', 'syn-flood', '--connections', '6000',
      '--flood', String(SYNS), '--scan', '40', '--flood-answer', answer], { stdio: 'ignore' });
    floodTruth = JSON.parse(readFileSync(`${flood}.truth.json`, 'utf8')) as Truth;
  });

  test('the flood takes the fast path', async () => {
    const pipeline = new Pipeline();
    pipeline.finish(await readCapture(flood, pipeline.onFrame));
    expect(pipeline.table.releasedLoneSyns).toBeGreaterThan(SYNS * 0.99);
  });

  test('the report equals the one with a record of every connection, and the truth', async () => {
    const fast = await analyze([flood]);
    const recorded = await analyze([flood], { connections: true });
    const { connections: _rows, ...expected } = recorded.report;
    expect(fast.report).toEqual(expected);
    expect(foundByRule(fast.report)).toEqual(floodTruth.rules);
  });
});

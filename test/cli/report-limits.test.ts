/**
 * Reports for a busy node stay readable and bounded: the text fits the terminal's width, and on a
 * generated node capture where every failed connection has its own client address the causes
 * carry the generator's exact counts while text, markdown and JSON stay small.
 */
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { analyze } from '../../src/analysis/analyze.js';
import { renderText } from '../../src/report/text.js';
import { CLI, ROOT, SAMPLES, sampleCaptures } from '../helpers/samples.js';

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function widest(text: string): number {
  return Math.max(...text.split('\n').map((l) => l.length));
}

describe('text fits the width', () => {
  test('every sample at 80 columns: no line wider', async () => {
    for (const cap of sampleCaptures()) {
      const text = renderText(await analyze([cap]), { width: 80 });
      expect(widest(text), relative(ROOT, cap)).toBeLessThanOrEqual(80);
    }
  });

  test('COLUMNS is honoured when piped; 100 columns without it', () => {
    const seed = join(SAMPLES, 'brnf-off/node-any.pcap');
    const narrow = run(['analyze', seed, '--fail-on', 'none'], { COLUMNS: '80' }).stdout;
    expect(widest(narrow)).toBeLessThanOrEqual(80);
    const { COLUMNS: _c, ...env } = process.env;
    const r = spawnSync(process.execPath, [CLI, 'analyze', seed, '--fail-on', 'none'], { cwd: ROOT, encoding: 'utf8', env });
    expect(widest(r.stdout)).toBeLessThanOrEqual(100);
    expect(widest(r.stdout)).toBeGreaterThan(80);
  });
});

describe('a busy node: ~1,600 failures from distinct clients across three causes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rstdiag-busy-'));
  const pcap = join(dir, 'busy.pcap');
  const gen = spawnSync(process.execPath, [join(ROOT, 'bench/generate.mjs'), pcap, '--shape', 'distinct-clients', '--connections', '8000'], { encoding: 'utf8' });
  const truth = gen.status === 0 ? JSON.parse(readFileSync(`${pcap}.truth.json`, 'utf8')) as { rules: Record<string, { count: number; findings: number; clients: number; servers: Record<string, number> }> } : null;

  test('JSON: one cause per rule with the generator\'s counts; findings capped, counted exactly', () => {
    expect(gen.stderr).toContain('busy.pcap');
    const r = run(['analyze', pcap, '--format', 'json', '--fail-on', 'none']);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeLessThan(2_000_000);
    const rep = JSON.parse(r.stdout) as { causes: { rule: string; count: number; clients: number; servers: string[]; unlisted: number; findings: string[] }[]; findings: unknown[]; summary: { findingsByRule: Record<string, number> } };
    expect(rep.causes.length).toBeLessThanOrEqual(12);
    for (const [rule, want] of Object.entries(truth!.rules)) {
      const causes = rep.causes.filter((c) => c.rule === rule);
      expect(causes, rule).toHaveLength(1);
      expect(causes[0], rule).toMatchObject({ count: want.count, clients: want.clients, servers: Object.keys(want.servers) });
      expect(causes[0]!.findings.length + causes[0]!.unlisted, rule).toBe(want.findings);
      expect(rep.summary.findingsByRule[rule], rule).toBe(want.findings);
    }
    expect(rep.findings.length).toBeLessThanOrEqual(3 * 20);
  });

  test('text ≤ 250 lines at 100 and at 80 columns', () => {
    for (const columns of ['100', '80']) {
      const text = run(['analyze', pcap, '--fail-on', 'none'], { COLUMNS: columns }).stdout;
      expect(text.split('\n').length, columns).toBeLessThanOrEqual(250);
      expect(widest(text)).toBeLessThanOrEqual(Number(columns));
      expect(text).toContain('Causes, worst first');
    }
  });

  test('markdown under 65,536 characters, mermaid only for the top causes, the cut said', () => {
    const md = run(['analyze', pcap, '--format', 'markdown', '--fail-on', 'none']).stdout;
    expect(md.length).toBeLessThan(65_536);
    expect(md.indexOf('## Causes')).toBeLessThan(md.indexOf('## Findings'));
    expect(md.match(/```mermaid/g)!.length).toBeLessThanOrEqual(3);
    expect(md).toMatch(/findings? left out to keep this report under 65,536 characters/);
    expect(md).toContain('```text');
  });
});

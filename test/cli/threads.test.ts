import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, copyFileSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CLI, ROOT, sampleCaptures } from '../helpers/samples.js';

// Large captures are analysed on a worker thread and decoded on another (src/analysis/
// analysis-thread.ts, decode-thread.ts); RSTDIAG_THREADS=always|never forces either way. The
// threads must change nothing: same report, same errors, same exit codes.
function run(args: string[], threads: 'always' | 'never') {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT, encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 28, env: { ...process.env, RSTDIAG_THREADS: threads },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir = '';
let big = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rstdiag-threads-'));
  big = join(dir, 'node.pcap');
  execFileSync(process.execPath, [join(ROOT, 'bench', 'generate.mjs'), big, '--connections', '20000'], { stdio: 'ignore' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('threads change nothing', () => {
  test('a generated node capture: the same JSON report and exit code either way', () => {
    const threaded = run(['analyze', big, '--format', 'json'], 'always');
    const inline = run(['analyze', big, '--format', 'json'], 'never');
    expect(threaded.stderr).toBe('');
    expect(threaded.code).toBe(inline.code);
    expect(threaded.code).toBe(1);
    expect(JSON.parse(threaded.stdout)).toEqual(JSON.parse(inline.stdout));
    expect(JSON.parse(threaded.stdout).summary.connections).toBe(20000);
  });

  test('a gzipped capture (decompressed on the decoding thread) gives the same report', () => {
    const gz = join(dir, 'node.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(big)));
    const threaded = run(['analyze', gz, '--format', 'json'], 'always');
    const plain = run(['analyze', big, '--format', 'json'], 'never');
    expect(threaded.code).toBe(1);
    const a = JSON.parse(threaded.stdout);
    const b = JSON.parse(plain.stdout);
    expect(a.findings).toEqual(b.findings);
    expect(a.summary).toEqual(b.summary);
    expect(a.inputs[0].path).toBe(gz);
    expect(a.inputs[0].bytes).toBe(b.inputs[0].bytes);
  });

  test('rstdiag flows (every connection) agrees too', () => {
    const threaded = run(['flows', big, '--format', 'csv'], 'always');
    const inline = run(['flows', big, '--format', 'csv'], 'never');
    expect(threaded.code).toBe(0);
    expect(threaded.stdout).toBe(inline.stdout);
    expect(threaded.stdout.split('\n').length).toBeGreaterThan(20000);
  });

  for (const cap of sampleCaptures()) {
    test(`sample ${relative(ROOT, cap)}`, () => {
      const threaded = run(['analyze', cap, '--format', 'json', '--connections'], 'always');
      const inline = run(['analyze', cap, '--format', 'json', '--connections'], 'never');
      expect(threaded.code).toBe(inline.code);
      expect(JSON.parse(threaded.stdout)).toEqual(JSON.parse(inline.stdout));
    });
  }

  test('a capture cut short: the same warning and partial report', () => {
    const cut = join(dir, 'cut.pcap');
    copyFileSync(big, cut);
    truncateSync(cut, Math.floor(statSync(big).size / 2) + 7);
    const threaded = run(['analyze', cut, '--format', 'json', '--fail-on', 'none'], 'always');
    const inline = run(['analyze', cut, '--format', 'json', '--fail-on', 'none'], 'never');
    expect(threaded.code).toBe(0);
    const report = JSON.parse(threaded.stdout);
    expect(report.inputs[0].truncated).toBe(true);
    expect(report.inputs[0].warnings.join(' ')).toMatch(/truncated|cut/i);
    expect(report).toEqual(JSON.parse(inline.stdout));
  });

  test('threads started early and not used (a usage error, a missing file) stop: exit 2, no hang', () => {
    const bad = run(['analyze', big, '--format', 'bogus'], 'always');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^rstdiag: /);
    const missing = run(['analyze', big, join(dir, 'missing.pcap')], 'always');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`rstdiag: ${join(dir, 'missing.pcap')}: no such file\n`);
  });

  test('not a capture: one line on stderr, exit 2, either way', () => {
    for (const threads of ['always', 'never'] as const) {
      const r = run(['analyze', join(ROOT, 'README.md')], threads);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^rstdiag: .*README\.md: not a pcap or pcapng capture/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

import { describe, expect, test } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SAMPLES } from '../helpers/samples.js';
import { runCli as run } from '../helpers/cli.js';

const seed = join(SAMPLES, 'brnf-off/node-any.pcap');
const healthy = join(SAMPLES, 'brnf-on/node-any.pcap');
const tmp = mkdtempSync(join(tmpdir(), 'rstdiag-cli-'));

describe('rstdiag analyze: exit codes and formats', () => {
  test('an error finding exits 1 and the text report names the cause and the fix', () => {
    const r = run(['analyze', seed]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('unreversed-dnat');
    expect(r.stdout).toContain('10.96.0.10:80');
    expect(r.stdout).toContain('modprobe br_netfilter');
    expect(r.stdout).toMatch(/NAT seen: 10\.96\.0\.10:80 → 10\.244\.0\.3:8080/);
  });

  test('the healthy control exits 0', () => {
    const r = run(['analyze', healthy]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No resets or failed connections to explain.');
  });

  test('--fail-on none exits 0 even with errors', () => {
    expect(run(['analyze', seed, '--fail-on', 'none']).code).toBe(0);
  });

  test('json is the schemaVersion 1 contract', () => {
    const r = run(['analyze', seed, '--format', 'json']);
    const rep = JSON.parse(r.stdout) as Record<string, unknown> & { findings: Record<string, unknown>[]; causes: Record<string, unknown>[] };
    expect(Object.keys(rep)).toEqual(['schemaVersion', 'tool', 'inputs', 'summary', 'causes', 'findings']);
    expect(Object.keys(rep.causes[0]!)).toEqual(['id', 'rule', 'severity', 'title', 'findings', 'unlisted', 'clients', 'servers',
      'moreServers', 'count', 'firstTime', 'lastTime', 'remediation', 'docs']);
    expect(rep.schemaVersion).toBe(1);
    expect(Object.keys(rep.findings[0]!).sort()).toEqual(['backend', 'client', 'confidence', 'count', 'docs', 'explanation',
      'displayFilter', 'firstTime', 'frames', 'id', 'lastTime', 'remediation', 'resetBy', 'resetSender', 'rule', 'ruledOut', 'server', 'severity', 'summary'].sort());
  });

  test('--output writes the file; stdin and gzip are read', () => {
    const out = join(tmp, 'r.json');
    expect(run(['analyze', seed, '--format', 'json', '--output', out]).code).toBe(1);
    expect(JSON.parse(readFileSync(out, 'utf8')).findings[0].rule).toBe('unreversed-dnat');
    const gz = join(tmp, 'seed.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(seed)));
    const viaGz = JSON.parse(run(['analyze', gz, '--format', 'json']).stdout);
    expect(viaGz.findings[0].client).toBe('10.244.0.2:40001');
    const viaStdin = JSON.parse(run(['analyze', '-', '--format', 'json'], readFileSync(seed)).stdout);
    expect(viaStdin.inputs[0].path).toBe('-');
    expect(viaStdin.findings[0].frames).toEqual(viaGz.findings[0].frames);
  });
});

describe('bad input: one line on stderr, exit 2, no stack trace', () => {
  const text = join(tmp, 'notes.txt');
  writeFileSync(text, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const empty = join(tmp, 'empty.pcap');
  writeFileSync(empty, '');
  const dir = join(tmp, 'adir');
  mkdirSync(dir, { recursive: true });
  const cases: [string, string[], RegExp][] = [
    ['a text file', ['analyze', text], /notes\.txt: not a pcap or pcapng capture/],
    ['an empty file', ['analyze', empty], /empty\.pcap: empty file/],
    ['a directory', ['analyze', dir], /adir: is a directory/],
    ['a missing file', ['analyze', join(tmp, 'nope.pcap')], /nope\.pcap: no such file/],
    ['no command', [], /name a command/],
    ['an unknown rule', ['explain', 'no-such-rule'], /^rstdiag: unknown rule 'no-such-rule'; the rules are abortive-close, .*unreversed-dnat/],
    ['a bad format', ['analyze', seed, '--format', 'xml'], /^rstdiag: --format must be one of text, json, markdown, html \(got xml\)\n$/],
  ];
  for (const [name, args, re] of cases) {
    test(name, () => {
      const r = run(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  test('a truncated tail still yields the report of what was read, with a warning naming the offset', () => {
    const cut = join(tmp, 'cut.pcap');
    writeFileSync(cut, readFileSync(seed).subarray(0, 3000));
    const r = run(['analyze', cut, '--format', 'json']);
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.stdout);
    expect(rep.inputs[0].truncated).toBe(true);
    expect(rep.inputs[0].warnings[0]).toMatch(/byte offset 2936/);
    expect(rep.findings[0].rule).toBe('unreversed-dnat');
  });
});

describe('rstdiag flows, explain, check', () => {
  test('flows lists connections with state, history and the NAT link', () => {
    const r = run(['flows', seed, '--format', 'csv']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('id,orig,resp,start,duration,origPackets,origBytes,respPackets,respBytes,state,history,nat,findings');
    expect(lines.some((l) => l.includes('10.244.0.2:40001,10.96.0.10:80') && l.includes(',S0,S,original of 10.244.0.2:40001 → 10.244.0.3:8080,F1'))).toBe(true);
    expect(lines.some((l) => l.includes('10.244.0.2:40003,10.244.0.3:8080') && l.includes(',SF,'))).toBe(true);
  });

  test('explain prints the rule page', () => {
    const r = run(['explain', 'unreversed-dnat']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('# unreversed-dnat');
  });

  test('check passes on samples/ and fails with a readable difference when an expectation is edited', () => {
    const ok = run(['check', SAMPLES]);
    expect(ok.stdout).toMatch(/\d+ passed, 0 failed/);
    expect(ok.code).toBe(0);
    const d = join(tmp, 'check');
    mkdirSync(d, { recursive: true });
    copyFileSync(seed, join(d, 'seed.pcap'));
    const exp = JSON.parse(readFileSync(`${seed}.expected.json`, 'utf8'));
    exp.findings[0].count = 3;
    writeFileSync(join(d, 'seed.pcap.expected.json'), JSON.stringify(exp));
    const bad = run(['check', d]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('FAIL');
    expect(bad.stdout).toContain('- expected: unreversed-dnat client=10.244.0.2:40001 server=10.96.0.10:80 backend=10.244.0.3:8080 resetBy=client count=3');
    expect(bad.stdout).toContain('+ found:    unreversed-dnat client=10.244.0.2:40001 server=10.96.0.10:80 backend=10.244.0.3:8080 resetBy=client count=2');
    // --update writes the current diagnosis; then it passes.
    expect(run(['check', '--update', d]).code).toBe(0);
    expect(run(['check', d]).code).toBe(0);
  });
});

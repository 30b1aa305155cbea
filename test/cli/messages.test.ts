/**
 * Messages people can act on, and the analyze / flows filters: each mistake gets one line on
 * stderr naming what to change (exit 2); what rstdiag did with a file is said on stderr.
 */
import { describe, expect, test } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeProgress } from '../../src/cli/progress.js';
import { usageMessage } from '../../src/cli/usage.js';
import { parseHost } from '../../src/report/filter.js';
import { runCli as run } from '../helpers/cli.js';
import { writePcap } from '../helpers/pcap-writer.js';
import { SAMPLES } from '../helpers/samples.js';

const seed = join(SAMPLES, 'brnf-off/node-any.pcap');
const refused = join(SAMPLES, 'refused/client-eth0.pcap');
const linger = join(SAMPLES, 'linger0/client-eth0.pcap');
const tmp = mkdtempSync(join(tmpdir(), 'rstdiag-messages-'));
const RULE_LIST = /the rules are abortive-close, .*connection-refused, .*unreversed-dnat/;

/** Exit 2, nothing on stdout, exactly one line on stderr matching `re`. */
function usageError(args: string[], re: RegExp): void {
  const r = run(args);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr.trim()).toMatch(re);
  expect(r.stderr).not.toMatch(/internal error|ENOENT|\n\s+at /);
}

describe('yargs mistakes name the option and what it accepts', () => {
  const cases: [string, string[], RegExp][] = [
    ['a bad --format', ['analyze', seed, '--format', 'xml'], /^rstdiag: --format must be one of text, json, markdown, html \(got xml\)$/],
    ['a bad flows --format', ['flows', seed, '--format', 'md'], /^rstdiag: --format must be one of text, json, csv \(got md\)$/],
    ['a bad --fail-on', ['analyze', seed, '--fail-on', 'loud'], /^rstdiag: --fail-on must be one of error, warning, info, none \(got loud\)$/],
    ['an unknown option', ['analyze', seed, '--colour'], /^rstdiag: unknown option --colour for analyze \(rstdiag analyze --help lists the options\)$/],
    ['an unknown command', ['analyse', seed], /^rstdiag: unknown command 'analyse': use analyze, flows, explain, check, annotate or live/],
    ['no capture', ['analyze'], /^rstdiag: analyze needs a capture file/],
    ['--output without a value', ['analyze', seed, '--output'], /^rstdiag: --output needs a value/],
    ['live without --interface', ['live'], /^rstdiag: live needs --interface/],
    ['a second rule for explain', ['explain', 'unreversed-dnat', 'extra'], /^rstdiag: unexpected argument 'extra' for explain/],
  ];
  for (const [name, args, re] of cases) test(name, () => usageError(args, re));

  test('the rewriting reads the messages of the yargs version in use', () => {
    expect(usageMessage('Invalid values:\n  Argument: format, Given: "xml", Choices: "text", "json"', ['analyze'])).toBe('--format must be one of text, json (got xml)');
    expect(usageMessage('Missing required argument: output', ['annotate', 'x.pcap'])).toBe('annotate needs --output (rstdiag annotate --help)');
  });
});

describe('explain', () => {
  test('without a rule: the list of rules with their titles', () => {
    const r = run(['explain']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Rules/);
    expect(r.stdout).toMatch(/\n {2}unreversed-dnat +error +\S/);
    expect(r.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(13);
  });
  test('an unknown rule: one line listing the rules', () => usageError(['explain', 'br-netfilter'], RULE_LIST));
});

describe('files: one plain line, never "internal error: ENOENT"', () => {
  test('check of a missing path', () => usageError(['check', join(tmp, 'no-such-dir')], /^rstdiag: .*no-such-dir: no such file or directory$/));
  test('--output into a missing directory', () => usageError(['analyze', seed, '--output', join(tmp, 'nope', 'r.txt')], /^rstdiag: cannot write .*r\.txt: no such directory: .*nope$/));
  test('--output that is a directory', () => usageError(['flows', seed, '--output', tmp], /^rstdiag: cannot write .*: it is a directory$/));

  test('--output says on stderr where it wrote', () => {
    const out = join(tmp, 'report.json');
    const r = run(['analyze', seed, '--format', 'json', '--output', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^rstdiag: wrote the json report to ${out.replace(/[.]/g, '\\.')} \\(\\d+\\.\\d kB\\)\\n$`));
    expect(JSON.parse(readFileSync(out, 'utf8')).schemaVersion).toBe(1);
  });

  test('an empty capture warns that nothing was captured', () => {
    const empty = join(tmp, 'nothing.pcap');
    writeFileSync(empty, writePcap([]));
    const r = run(['analyze', empty]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^rstdiag: warning: .*nothing\.pcap holds no packets: nothing was captured \(wrong interface or capture filter\?\)\n$/);
    expect(r.stdout).toContain('No resets or failed connections to explain.');
    // The report says it too (DESIGN.md: inputs[].warnings), for whoever reads only the JSON.
    const json = run(['analyze', empty, '--format', 'json']);
    expect(JSON.parse(json.stdout).inputs[0].warnings).toEqual(['the capture holds no packets: nothing was captured (wrong interface or capture filter?)']);
  });
});

describe('check fails when it checks nothing', () => {
  test('captures without expectation files: exit 2', () => {
    const d = join(tmp, 'unchecked');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'a.pcap'), readFileSync(seed));
    const r = run(['check', d]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^SKIP .*a\.pcap/);
    expect(r.stderr.trim()).toMatch(/^rstdiag: nothing checked: none of the 1 capture has a <capture>\.expected\.json beside it; write them with rstdiag check --update /);
  });
  test('a directory without captures: exit 2', () => {
    const d = join(tmp, 'no-captures');
    mkdirSync(d, { recursive: true });
    usageError(['check', d], /^rstdiag: nothing to check: no captures/);
  });
});

describe('the progress line', () => {
  test('is erased before the report', () => {
    let written = '';
    const p = makeProgress({ isTTY: true, write: (s: string) => ((written += s), true) } as never);
    p.update!(5e6, 1e7, 1000);
    expect(written).toMatch(/^\r5\.0 of 10\.0 MB \(50%\)/);
    const drawn = written.length - 1;
    p.clear();
    expect(written.slice(drawn + 1)).toBe(`\r${' '.repeat(drawn)}\r`);
    p.clear(); // nothing more to erase
    expect(written.endsWith(`${' '.repeat(drawn)}\r`)).toBe(true);
  });
  test('is not drawn when stderr is not a terminal', () => {
    const p = makeProgress({ isTTY: false, write: () => true } as never);
    expect(p.update).toBeUndefined();
  });
});

describe('filters: --rule, --host, --port, --top', () => {
  const findings = (args: string[]): { id: string; rule: string; client: string; server: string }[] => {
    const r = run(['analyze', seed, refused, linger, '--format', 'json', '--fail-on', 'none', ...args]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout).findings;
  };
  const all = findings([]);

  test('the three captures hold findings of three rules', () => {
    expect(new Set(all.map((f) => f.rule))).toEqual(new Set(['unreversed-dnat', 'connection-refused', 'abortive-close']));
  });
  test('--rule keeps those rules (comma list and repeats); ids stay those of the full report', () => {
    const some = findings(['--rule', 'abortive-close,connection-refused']);
    expect(some.map((f) => f.rule).sort()).toEqual(['abortive-close', 'abortive-close', 'connection-refused']);
    expect(some.map((f) => f.id)).toEqual(all.filter((f) => f.rule !== 'unreversed-dnat').map((f) => f.id));
    expect(findings(['--rule', 'abortive-close', '--rule', 'connection-refused'])).toEqual(some);
  });
  test('a filter before the captures does not swallow them', () => {
    const r = run(['analyze', '--rule', 'connection-refused', '--host', '10.96.0.11', refused, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).findings.map((f: { rule: string }) => f.rule)).toEqual(['connection-refused']);
  });
  test('--port matches any endpoint; --host takes an address or a CIDR', () => {
    expect(findings(['--port', '8081']).map((f) => f.server)).toEqual(['10.244.0.3:8081']);
    expect(findings(['--host', '10.96.0.0/12']).map((f) => f.rule).sort()).toEqual(['connection-refused', 'unreversed-dnat']);
    expect(findings(['--host', '10.244.0.3']).map((f) => f.rule)).toContain('unreversed-dnat'); // the backend
    expect(findings(['--host', '192.168.0.0/16'])).toEqual([]);
  });
  test('combined: all must match; --top keeps the worst', () => {
    expect(findings(['--rule', 'abortive-close', '--port', '8080']).map((f) => f.client)).toEqual(['10.244.0.2:40041']);
    const top = findings(['--top', '1']);
    expect(top).toHaveLength(1);
    expect(top[0]!.rule).toBe('unreversed-dnat'); // error, 2 attempts
  });
  test('flows: the same filters on connections', () => {
    const rows = (args: string[]): string[] => run(['flows', seed, '--format', 'csv', ...args]).stdout.trim().split('\n').slice(1);
    expect(rows(['--host', '10.244.0.3']).length).toBe(5); // its own and the DNAT'd ones
    expect(rows(['--rule', 'unreversed-dnat']).length).toBe(4);
    expect(rows(['--port', '80']).length).toBe(4);
    expect(rows(['--top', '2']).map((l) => l.split(',')[0])).toEqual(['2', '5']); // 10 packets, then the first of two with 9
  });
  test('bad values: one line, exit 2', () => {
    usageError(['analyze', seed, '--rule', 'unreversed-dnat,br-netfilter'], /^rstdiag: --rule: unknown rule 'br-netfilter'; /);
    usageError(['flows', seed, '--rule', 'nope'], RULE_LIST);
    usageError(['analyze', seed, '--host', '10.0.0.0/33'], /^rstdiag: --host: '10\.0\.0\.0\/33' is not an IP address or CIDR/);
    usageError(['flows', seed, '--host', 'node-1'], /^rstdiag: --host: 'node-1' is not an IP address or CIDR/);
    usageError(['analyze', seed, '--port', '70000'], /^rstdiag: --port: '70000' is not a port number/);
    usageError(['analyze', seed, '--top', '0'], /^rstdiag: --top: '0' is not a count of 1 or more$/);
  });
  test('parseHost: addresses, CIDRs, IPv6; nothing else', () => {
    expect(parseHost('10.1.2.3')?.[1]).toBe(32);
    expect(parseHost('fd00::/64')?.[1]).toBe(64);
    expect(parseHost('::ffff:10.0.0.0/104')?.[0].kind()).toBe('ipv4');
    for (const bad of ['10', '10.0.0', '10.0.0.0/8/8', 'host', '10.0.0.0/', '']) expect(parseHost(bad), bad).toBeNull();
  });
});

describe('annotate', () => {
  test('writes the pcapng, prints each finding\'s display filter, says where it wrote', () => {
    const out = join(tmp, 'seed.pcapng');
    const r = run(['annotate', seed, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^F1 unreversed-dnat \(error\): frame\.number in \{1\.\.10,13\.\.18,/);
    expect(r.stderr).toMatch(/^rstdiag: wrote .*seed\.pcapng \(\d+\.\d kB\): 68 packets, 40 with comments for 1 finding/);
    expect(readFileSync(out).readUInt32LE(0)).toBe(0x0a0d0d0a);
  });
  test('the text report prints the display filter too', () => {
    expect(run(['analyze', seed]).stdout).toMatch(/\n {2}Wireshark: frame\.number in \{1\.\.10,/);
  });
  test('mistakes', () => {
    usageError(['annotate', seed], /^rstdiag: annotate needs --output/);
    usageError(['annotate', '-', '-o', join(tmp, 'x.pcapng')], /^rstdiag: annotate reads the capture twice: give a file/);
    usageError(['annotate', seed, '-o', seed], /^rstdiag: annotate would overwrite/);
    usageError(['annotate', seed, '-o', join(tmp, 'missing', 'x.pcapng')], /^rstdiag: cannot write .*x\.pcapng: no such directory/);
    expect(existsSync(join(tmp, 'x.pcapng'))).toBe(false);
  });
});

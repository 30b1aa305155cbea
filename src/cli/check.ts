import { readdirSync, readFileSync, statSync, writeFileSync, existsSync, type Stats } from 'node:fs';
import { basename, join } from 'node:path';
import { analyze } from '../analysis/analyze.js';
import type { FindingReport } from '../report/types.js';
import { UsageError } from './usage.js';
import { checkJoint, JOINT } from './check-joint.js';

/** The part of a finding a saved expectation pins down. */
export interface ExpectedFinding {
  rule: string;
  client: string | null;
  server: string | null;
  backend: string | null;
  resetBy: string | null;
  count: number;
}

export interface Expectation {
  findings: ExpectedFinding[];
}

const CAPTURE = /\.(pcap|pcapng|cap)(\.gz)?$/i;

/** stat, with a plain line for a path that is not there. */
function stat(p: string): Stats {
  try {
    return statSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${p}: no such file or directory` : `${p}: cannot read (${code ?? String(err)})`);
  }
}

/** Captures, and joint expectations (several captures of one incident, src/cli/check-joint.ts). */
function collect(paths: string[], out: { captures: string[]; joints: string[] } = { captures: [], joints: [] }): { captures: string[]; joints: string[] } {
  for (const p of paths) {
    const st = stat(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        const full = join(p, name);
        if (stat(full).isDirectory()) collect([full], out);
        else if (CAPTURE.test(name)) out.captures.push(full);
        else if (JOINT.test(name)) out.joints.push(full);
      }
    } else if (JOINT.test(basename(p))) out.joints.push(p);
    else out.captures.push(p);
  }
  return out;
}

/** Info-level findings are notes, not diagnoses: expectations pin errors and warnings. */
export function expectedOf(findings: FindingReport[]): ExpectedFinding[] {
  return findings
    .filter((f) => f.severity !== 'info')
    .map((f) => ({ rule: f.rule, client: f.client, server: f.server, backend: f.backend, resetBy: f.resetBy, count: f.count }))
    .sort(compareExpected);
}

function key(f: ExpectedFinding): string {
  return `${f.rule} client=${f.client} server=${f.server} backend=${f.backend} resetBy=${f.resetBy} count=${f.count}`;
}

function compareExpected(a: ExpectedFinding, b: ExpectedFinding): number {
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

/** Readable difference: lines only expected (-) and only found (+). */
export function diffExpected(expected: ExpectedFinding[], actual: ExpectedFinding[]): string[] {
  const e = expected.map(key);
  const a = actual.map(key);
  const lines: string[] = [];
  const remaining = [...a];
  for (const k of e) {
    const i = remaining.indexOf(k);
    if (i >= 0) remaining.splice(i, 1);
    else lines.push(`- expected: ${k}`);
  }
  for (const k of remaining) lines.push(`+ found:    ${k}`);
  return lines;
}

/** `rstdiag check`: PASS/FAIL per capture; returns the exit code. */
export async function runCheck(paths: string[], opts: { update: boolean; out: (s: string) => void }): Promise<number> {
  const { captures, joints } = collect(paths);
  if (captures.length + joints.length === 0) {
    throw new UsageError(`nothing to check: no captures (.pcap, .pcapng, .cap, optionally .gz) or joint*.expected.json in ${paths.join(', ')}`);
  }
  let failed = 0;
  let checked = 0;
  for (const cap of captures) {
    const expPath = `${cap}.expected.json`;
    const a = await analyze([cap]);
    const actual = expectedOf(a.report.findings);
    if (opts.update) {
      writeFileSync(expPath, JSON.stringify({ findings: actual }, null, 2) + '\n');
      opts.out(`UPDATED ${cap} (${actual.length} finding${actual.length === 1 ? '' : 's'})\n`);
      continue;
    }
    if (!existsSync(expPath)) {
      opts.out(`SKIP ${cap} (no ${expPath}; create it with --update)\n`);
      continue;
    }
    checked++;
    const expected = (JSON.parse(readFileSync(expPath, 'utf8')) as Expectation).findings.slice().sort(compareExpected);
    const diff = diffExpected(expected, actual);
    if (diff.length === 0) opts.out(`PASS ${cap}\n`);
    else {
      failed++;
      opts.out(`FAIL ${cap}\n${diff.map((l) => `  ${l}`).join('\n')}\n`);
    }
  }
  for (const joint of joints) {
    const { text, failed: bad } = await checkJoint(joint, opts.update);
    opts.out(text);
    checked++;
    if (bad) failed++;
  }
  if (opts.update) return 0;
  if (checked === 0) {
    throw new UsageError(`nothing checked: none of the ${captures.length} capture${captures.length === 1 ? ' has' : 's have'} a <capture>.expected.json beside it; `
      + `write them with rstdiag check --update ${paths.join(' ')}`);
  }
  opts.out(`${checked - failed} passed, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}

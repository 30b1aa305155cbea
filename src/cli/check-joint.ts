/**
 * Joint expectations for `rstdiag check`: `joint*.expected.json` beside the captures of one
 * incident, naming the inputs analysed together (relative to the file) and pinning the
 * diagnoses, the distinct connections and the inputs each finding's evidence cites.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { analyze } from '../analysis/analyze.js';
import type { Report } from '../report/types.js';
import type { ExpectedFinding } from './check.js';
import { UsageError } from './usage.js';

export const JOINT = /^joint.*\.expected\.json$/;

export interface JointFinding extends ExpectedFinding {
  /** Inputs (0-based, ascending) that the finding's evidence cites. */
  evidenceInputs: number[];
}

export interface JointExpectation {
  inputs: string[];
  /** The single vantage whose expectation the joint analysis equals (null: the inputs are not one run). */
  best: string | null;
  connections: number;
  findings: JointFinding[];
}

function key(f: JointFinding): string {
  return `${f.rule} client=${f.client} server=${f.server} backend=${f.backend} resetBy=${f.resetBy} count=${f.count} evidence=[${f.evidenceInputs.join(',')}]`;
}

/** The report's errors and warnings with the inputs their evidence cites, in a stable order. */
export function jointFindingsOf(report: Report): JointFinding[] {
  return report.findings.filter((f) => f.severity !== 'info')
    .map((f) => ({ rule: f.rule, client: f.client, server: f.server, backend: f.backend, resetBy: f.resetBy, count: f.count,
      evidenceInputs: [...new Set((f.evidence ?? []).map((e) => e.input))].sort((a, b) => a - b) }))
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export function readJoint(path: string): JointExpectation {
  let exp: Partial<JointExpectation>;
  try {
    exp = JSON.parse(readFileSync(path, 'utf8')) as Partial<JointExpectation>;
  } catch (err) {
    throw new UsageError(`${path}: not a readable joint expectation (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!Array.isArray(exp.inputs) || exp.inputs.length < 2 || !Array.isArray(exp.findings) || typeof exp.connections !== 'number') {
    throw new UsageError(`${path}: a joint expectation names its "inputs" (two or more captures), "connections" and "findings"`);
  }
  return exp as JointExpectation;
}

/** JSON as the joint expectation files are written: two-space indent, evidenceInputs on one line. */
function format(exp: JointExpectation): string {
  return JSON.stringify(exp, null, 2).replace(/"evidenceInputs": \[([^\]]*)\]/g,
    (_, list: string) => `"evidenceInputs": [${list.split(',').map((s) => s.trim()).filter((s) => s !== '').join(', ')}]`) + '\n';
}

/** Checks (or with `update`, rewrites) one joint expectation; the lines to print and whether it failed. */
export async function checkJoint(path: string, update: boolean): Promise<{ text: string; failed: boolean }> {
  const exp = readJoint(path);
  const a = await analyze(exp.inputs.map((i) => join(dirname(path), i)));
  const found = jointFindingsOf(a.report);
  const connections = a.report.summary.connections;
  const what = `${path} (${exp.inputs.length} inputs)`;
  if (update) {
    writeFileSync(path, format({ ...exp, connections, findings: found }));
    return { text: `UPDATED ${what} (${found.length} finding${found.length === 1 ? '' : 's'}, ${connections} connections)\n`, failed: false };
  }
  const lines: string[] = [];
  const remaining = found.map(key);
  for (const k of exp.findings.map(key)) {
    const i = remaining.indexOf(k);
    if (i >= 0) remaining.splice(i, 1);
    else lines.push(`- expected: ${k}`);
  }
  for (const k of remaining) lines.push(`+ found:    ${k}`);
  if (connections !== exp.connections) lines.push(`- expected: ${exp.connections} connections`, `+ found:    ${connections} connections`);
  if (lines.length === 0) return { text: `PASS ${what}\n`, failed: false };
  return { text: `FAIL ${what}\n${lines.map((l) => `  ${l}`).join('\n')}\n`, failed: true };
}

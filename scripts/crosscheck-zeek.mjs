#!/usr/bin/env node
/**
 * Cross-check rstdiag's conn_state (and history) against Zeek's, connection by connection: the
 * conn.log baselines in Zeek's own test suite (testing/btest/Baseline/<test>/conn.log) for the
 * traces their tests read (`-r $TRACES/…`). Nothing of Zeek's is committed here: point the script
 * at a checkout (or an extract) of zeek/zeek's testing/btest.
 *
 *   npm run build
 *   npm run crosscheck-zeek -- /path/to/zeek/testing/btest     # or ZEEK_BTEST=/path … npm run crosscheck-zeek
 * Options: --verbose (every disagreement, not only the counts), --examples N (per reason, default 3),
 *          --dist DIR (the build to run, default dist/: compare an older build).
 *
 * Per baseline with the columns id.orig_h, id.orig_p, id.resp_h, id.resp_p, proto and conn_state
 * whose test reads exactly one trace: `rstdiag flows TRACE --format json` runs on the trace; TCP
 * rows are matched by their two endpoints (either way round), in time order, where both tools list
 * the 4-tuple the same number of times (Zeek also ends a connection on inactivity or after a RST
 * and starts another one: such 4-tuples are counted apart, with examples). Prints
 * the agreement over matched connections and the disagreements grouped by reason ("zeek S1 ≠
 * rstdiag OTH", with "(roles swapped)" when the two tools chose different originators), and the
 * connections only one side lists.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
let verbose = false;
let examples = 3;
let btest = process.env.ZEEK_BTEST ?? null;
let dist = join(root, 'dist');
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--verbose') verbose = true;
  else if (args[i] === '--examples') examples = Number(args[++i]);
  else if (args[i] === '--dist') dist = resolve(args[++i]);
  else btest = args[i];
}
if (btest === null || !existsSync(join(btest, 'Baseline'))) {
  process.stderr.write('usage: crosscheck-zeek.mjs ZEEK/testing/btest (or ZEEK_BTEST=…): a directory with Baseline/ and Traces/\n');
  process.exit(2);
}
const cli = join(dist, 'cli', 'main.js');
if (!existsSync(cli)) {
  process.stderr.write(`${cli} not found: npm run build first\n`);
  process.exit(2);
}

/** Test files by the dotted name btest gives their baseline directory (scripts/base/x.zeek → scripts.base.x). */
function testFiles(dir, out = new Map()) {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (e === 'Baseline' || e.startsWith('Baseline.') || e === 'Traces' || e.startsWith('.')) continue;
    if (statSync(p).isDirectory()) testFiles(p, out);
    else out.set(relative(btest, p).replace(/\.[^./]+$/, '').replaceAll('/', '.'), p);
  }
  return out;
}

/** A Zeek log (with #fields, or the bare header line zeek-cut leaves) → rows as objects. */
function readZeekLog(text) {
  let fields = null;
  const rows = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('### ')) continue;
    if (line.startsWith('#fields\t')) { fields = line.split('\t').slice(1); continue; }
    if (line.startsWith('#')) continue;
    const cells = line.split('\t');
    if (fields === null) { fields = cells; continue; }
    rows.push(Object.fromEntries(fields.map((f, i) => [f, cells[i]])));
  }
  return { fields: fields ?? [], rows };
}

/** "1.2.3.4:80" / "[::1]:80" → [address, port]. */
function splitEndpoint(s) {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i).replace(/^\[|\]$/g, ''), Number(s.slice(i + 1))];
}

const canon = (a) => (a.includes(':') ? a.toLowerCase().replace(/(^|:)0+(?=[0-9a-f])/g, '$1') : a);
const endpoint = (h, p) => `${canon(h)}|${p}`;

const tests = testFiles(btest);
const stats = { baselines: 0, used: 0, matched: 0, agree: 0, historyAgree: 0, zeekOnly: 0, rstdiagOnly: 0, split: 0 };
const splitExamples = [];
const reasons = new Map();
const skipped = new Map();
const skip = (why) => skipped.set(why, (skipped.get(why) ?? 0) + 1);
const flowsCache = new Map();

function rstdiagRows(trace) {
  if (!flowsCache.has(trace)) {
    const r = spawnSync(process.execPath, [cli, 'flows', trace, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 120_000 });
    flowsCache.set(trace, r.status === 0 ? JSON.parse(r.stdout) : null);
  }
  return flowsCache.get(trace);
}

for (const dir of readdirSync(join(btest, 'Baseline')).sort()) {
  const log = join(btest, 'Baseline', dir, 'conn.log');
  if (!existsSync(log)) continue;
  stats.baselines++;
  const { fields, rows } = readZeekLog(readFileSync(log, 'utf8'));
  if (!['id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'conn_state'].every((f) => fields.includes(f))) { skip('conn.log without the 4-tuple and conn_state'); continue; }
  const test = tests.get(dir);
  if (test === undefined) { skip('no test file for the baseline'); continue; }
  const traces = [...new Set([...readFileSync(test, 'utf8').matchAll(/-r\s+\$TRACES\/(\S+)/g)].map((m) => m[1]))];
  if (traces.length !== 1) { skip(traces.length === 0 ? 'test reads no trace' : 'test reads several traces'); continue; }
  const trace = join(btest, 'Traces', traces[0]);
  if (!existsSync(trace)) { skip('trace missing'); continue; }
  const ours = rstdiagRows(trace);
  if (ours === null) { skip('rstdiag failed on the trace'); continue; }
  stats.used++;
  const zeekTcp = rows.filter((r) => (r.proto ?? 'tcp') === 'tcp' && !Number.isNaN(Number(r['id.orig_p'])));
  // Our rows by unordered endpoint pair, each usable once.
  const byPair = new Map();
  for (const o of ours) {
    const [oh, op] = splitEndpoint(o.orig);
    const [rh, rp] = splitEndpoint(o.resp);
    const a = endpoint(oh, op);
    const b = endpoint(rh, rp);
    const key = a < b ? `${a} ${b}` : `${b} ${a}`;
    if (!byPair.has(key)) byPair.set(key, []);
    byPair.get(key).push({ row: o, orig: a, t: Date.parse(o.start) / 1000, used: false });
  }
  // Zeek's rows by the same pair: a pair both tools list the same number of times is matched one
  // to one in time order; else the tools cut the 4-tuple's packets into connections differently
  // (Zeek ends a connection on inactivity or after a RST and starts another), counted apart.
  const zeekByPair = new Map();
  for (const z of zeekTcp) {
    const a = endpoint(z['id.orig_h'], z['id.orig_p']);
    const b = endpoint(z['id.resp_h'], z['id.resp_p']);
    const key = a < b ? `${a} ${b}` : `${b} ${a}`;
    if (!zeekByPair.has(key)) zeekByPair.set(key, []);
    zeekByPair.get(key).push({ z, orig: a, t: Number(z.ts) });
  }
  for (const [key, zs] of zeekByPair) {
    const cands = byPair.get(key) ?? [];
    if (cands.length === 0) { stats.zeekOnly += zs.length; continue; }
    for (const c of cands) c.used = true;
    if (cands.length !== zs.length) {
      stats.split += zs.length;
      splitExamples.push(`${traces[0]} ${key}: Zeek ${zs.map(({ z }) => `${z.conn_state} ${z.history ?? ''}`).join(', ')}; rstdiag ${cands.map((c) => `${c.row.state} ${c.row.history}`).join(', ')}`);
      continue;
    }
    zs.sort((x, y) => x.t - y.t);
    cands.sort((x, y) => x.t - y.t);
    zs.forEach(({ z, orig }, k) => {
      const ours = cands[k];
      stats.matched++;
      const swapped = ours.orig !== orig;
      const same = ours.row.state === z.conn_state;
      if (same) stats.agree++;
      if (z.history !== undefined && ours.row.history.replace(/[uU]/g, '') === z.history.replace(/[cgiqwxCGIQWX]/g, '')) stats.historyAgree++;
      if (!same) {
        const why = `zeek ${z.conn_state} ≠ rstdiag ${ours.row.state}${swapped ? ' (roles swapped)' : ''}`;
        if (!reasons.has(why)) reasons.set(why, []);
        reasons.get(why).push(`${traces[0]} ${z['id.orig_h']}:${z['id.orig_p']} → ${z['id.resp_h']}:${z['id.resp_p']} zeek ${z.history ?? '?'} rstdiag ${ours.row.history}`);
      }
    });
  }
  for (const list of byPair.values()) stats.rstdiagOnly += list.filter((c) => !c.used).length;
}

const pct = (n, d) => (d === 0 ? '–' : `${((100 * n) / d).toFixed(1)} %`);
process.stdout.write(`Zeek baselines with a conn.log: ${stats.baselines}; compared: ${stats.used} (traces: ${flowsCache.size})\n`);
for (const [why, n] of [...skipped].sort((x, y) => y[1] - x[1])) process.stdout.write(`  skipped ${n}: ${why}\n`);
process.stdout.write(`TCP connections matched one to one: ${stats.matched}; only in Zeek's log: ${stats.zeekOnly}; only in rstdiag's (of the traces compared): ${stats.rstdiagOnly}\n`);
process.stdout.write(`Zeek rows of 4-tuples the tools cut into a different number of connections (not compared): ${stats.split} in ${splitExamples.length} 4-tuples\n`);
for (const ex of verbose ? splitExamples : splitExamples.slice(0, examples)) process.stdout.write(`        ${ex}\n`);
process.stdout.write(`conn_state agrees: ${stats.agree} / ${stats.matched} = ${pct(stats.agree, stats.matched)}\n`);
process.stdout.write(`history agrees (Zeek's c g i q w x and rstdiag's u dropped; where the log has history): ${stats.historyAgree}\n`);
if (reasons.size > 0) process.stdout.write('\nDisagreements by reason:\n');
for (const [why, list] of [...reasons].sort((x, y) => y[1].length - x[1].length)) {
  process.stdout.write(`  ${list.length}  ${why}\n`);
  for (const ex of verbose ? list : list.slice(0, examples)) process.stdout.write(`        ${ex}\n`);
}

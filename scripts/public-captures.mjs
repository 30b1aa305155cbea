#!/usr/bin/env node
/**
 * Analyse every capture in directory trees (public test suites, incident archives) and sort the
 * outcomes. A crash or a hang in one file is recorded and the run goes on.
 *
 *   npx tsc -p tsconfig.json                       # build dist/ first
 *   node scripts/public-captures.mjs ../shared/corpus/ /tmp/zeek-traces/ [file.pcap ...]
 *
 * Two modes:
 *   default (worker)    long-lived child processes import dist/ once and run analyze() and the
 *                       renderers in-process, one file at a time; a watchdog in this process kills
 *                       a worker whose file exceeds --timeout (outcome: timeout) and starts a new one.
 *                       CaptureOpenError → exit-2, any other exception → crash (what the CLI turns
 *                       into "internal error", exit 2). Fast: no Node start-up per file.
 *   --cli               one `node dist/cli/main.js analyze FILE --format F` process per file and
 *                       format: checks the CLI contract itself (exit code, one stderr line, no stack).
 *
 * Options:
 *   --timeout SECONDS   per file (and format, with --cli) (default 60)
 *   --jobs N            files analysed at once (default: CPU count)
 *   --dist DIR          the built tool to run (default dist/; point it at a private build when other
 *                       people rebuild dist/ while this runs: a half-written dist/ fails to import)
 *   --formats LIST      comma-separated renderers to run per file (default json; 'all' runs
 *                       json,text,markdown,html and `flows` text,csv)
 *   --all-files         try every regular file, not only *.pcap, *.pcapng, *.cap, *.dmp, *.gz, *.trace
 *   --verbose           print every file's outcome, not only the unusual ones
 *   --json FILE         also write the per-file results as JSON (worker mode: with each report's
 *                       sha256 digest, to compare two builds file by file)
 *
 * Outcomes per file (the worst over the formats run):
 *   ok                exit 0/1, no warning in inputs[].warnings
 *   ok-with-warnings  exit 0/1 and warnings (a damaged tail, unsupported link types, …)
 *   exit-2            exit 2 with exactly one stderr line that is not an internal error
 *   crash             anything else: another exit code, a signal, a stack trace, several stderr
 *                     lines, "internal error", unparsable JSON
 *   timeout           still running after --timeout (killed)
 * Exit status: 1 when any file crashed or timed out, else 0.
 */
import { fork, spawn } from 'node:child_process';
import { readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

// ------------------------------------------------------------------ worker mode (child side)
if (process.argv[2] === '--worker') {
  const dist = process.argv[3];
  const imp = (p) => import(pathToFileURL(join(dist, p)).href);
  const { analyze } = await imp('analysis/analyze.js');
  const { CaptureOpenError } = await imp('capture/types.js');
  const { renderJson } = await imp('report/json.js');
  const { renderText } = await imp('report/text.js');
  const { renderMarkdown } = await imp('report/markdown.js');
  const { renderHtml } = await imp('report/html.js');
  const { renderFlows } = await imp('report/flows.js');
  const renderers = {
    json: (a) => renderJson(a),
    text: (a) => renderText(a),
    markdown: (a) => renderMarkdown(a),
    html: (a) => renderHtml(a),
    'flows:text': (a) => renderFlows(a, 'text'),
    'flows:csv': (a) => renderFlows(a, 'csv'),
    'flows:json': (a) => renderFlows(a, 'json'),
  };
  process.on('message', async ({ file, formats }) => {
    const t0 = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
    let r;
    try {
      const needConns = formats.some((f) => f.startsWith('flows:'));
      const a = await analyze([file], { connections: needConns });
      let outLen = 0;
      // The rendered reports' digest: two builds compare equal on a file when their digests do.
      const hash = createHash('sha256');
      for (const f of formats) {
        const text = renderers[f](a);
        if (typeof text !== 'string' || text.length === 0) throw new Error(`${f} renderer returned nothing`);
        outLen += text.length;
        hash.update(text);
      }
      const warnings = a.report.inputs.flatMap((i) => i.warnings);
      r = {
        outcome: warnings.length > 0 ? 'ok-with-warnings' : 'ok', detail: warnings[0] ?? '', warnings, outLen, digest: hash.digest('hex'),
        packets: a.report.summary.packets, connections: a.report.summary.connections, findings: a.report.findings.length,
      };
    } catch (e) {
      if (e instanceof CaptureOpenError) {
        const lines = e.message.split('\n');
        r = lines.length === 1 ? { outcome: 'exit-2', detail: e.message } : { outcome: 'crash', detail: `multi-line CaptureOpenError: ${lines[0]}` };
      } else {
        const stack = e instanceof Error ? (e.stack ?? e.message).split('\n').slice(0, 4).map((l) => l.trim()).join(' | ') : String(e);
        r = { outcome: 'crash', detail: stack };
      }
    }
    process.send({ ...r, ms: ms(), format: formats.join(','), rss: process.memoryUsage().rss });
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
  await new Promise(() => undefined);
}

function usage(msg) {
  process.stderr.write(`public-captures: ${msg}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let timeoutS = 60;
let jobs = Math.max(1, cpus().length);
let formats = ['json'];
let allFiles = false;
let verbose = false;
let jsonOut = null;
let cliMode = false;
let dist = join(root, 'dist');
const targets = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--timeout') timeoutS = Number(args[++i]);
  else if (a === '--jobs') jobs = Number(args[++i]);
  else if (a === '--formats') {
    const v = args[++i] ?? '';
    formats = v === 'all' ? ['json', 'text', 'markdown', 'html', 'flows:text', 'flows:csv'] : v.split(',').filter(Boolean);
  } else if (a === '--all-files') allFiles = true;
  else if (a === '--verbose') verbose = true;
  else if (a === '--json') jsonOut = args[++i];
  else if (a === '--cli') cliMode = true;
  else if (a === '--dist') dist = resolve(args[++i]);
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else targets.push(a);
}
if (targets.length === 0) usage('name one or more directories or capture files');
if (!(timeoutS > 0) || !(jobs >= 1)) usage('--timeout and --jobs take positive numbers');
const cli = join(dist, 'cli/main.js');
if (!existsSync(cli)) usage(`${cli} not found: build first (npx tsc -p tsconfig.json)`);

const CAPTURE_NAME = /\.(pcap|pcapng|cap|dmp|trace|ntar|gz)$/i;
const SKIP_NAME = /\.(expected\.json|md|txt|json|tsv|sh|py|c|h|out|log)$/i;

function collect(target, out) {
  let st;
  try {
    st = statSync(target);
  } catch {
    usage(`${target}: no such file or directory`);
  }
  if (st.isFile()) {
    out.push(target);
    return;
  }
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      let s;
      try {
        s = statSync(p);
      } catch {
        continue;
      }
      if (s.isDirectory()) walk(p);
      else if (s.isFile() && (allFiles ? !SKIP_NAME.test(name) : CAPTURE_NAME.test(name))) out.push(p);
    }
  };
  walk(target);
}
const files = [];
for (const t of targets) collect(t, files);

const STACK_LINE = /^\s+at .+\(.*:\d+:\d+\)$|^\s+at .+:\d+:\d+$/m;

/** Run one CLI invocation; resolves with what happened. */
function runOne(file, format) {
  const [cmd, fmt] = format.startsWith('flows:') ? ['flows', format.slice(6)] : ['analyze', format];
  const argv = [cli, cmd, file, '--format', fmt];
  if (cmd === 'analyze') argv.push('--fail-on', 'none');
  return new Promise((resolvePromise) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    let outLen = 0;
    child.stdout.on('data', (b) => {
      // Keep the JSON report (to read its warnings); other formats only need to finish.
      if (fmt === 'json' && cmd === 'analyze') out.push(b);
      outLen += b.length;
    });
    child.stderr.on('data', (b) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const stderr = Buffer.concat(err).toString('utf8');
      // Progress lines on a TTY only; strip carriage-return updates just in case.
      const lines = stderr.split('\n').map((l) => l.replace(/^.*\r/, '')).filter((l) => l.length > 0);
      const r = { format, ms, code, signal, stderr: lines, outLen };
      if (timedOut) return resolvePromise({ ...r, outcome: 'timeout', detail: `killed after ${timeoutS} s` });
      if (signal) return resolvePromise({ ...r, outcome: 'crash', detail: `signal ${signal}` });
      if (STACK_LINE.test(stderr)) return resolvePromise({ ...r, outcome: 'crash', detail: `stack trace: ${lines[0] ?? ''}` });
      if (code === 2) {
        if (lines.length !== 1) return resolvePromise({ ...r, outcome: 'crash', detail: `exit 2 with ${lines.length} stderr lines: ${lines.slice(0, 2).join(' | ')}` });
        if (/internal error/.test(lines[0])) return resolvePromise({ ...r, outcome: 'crash', detail: lines[0] });
        return resolvePromise({ ...r, outcome: 'exit-2', detail: lines[0] });
      }
      if (code !== 0 && code !== 1) return resolvePromise({ ...r, outcome: 'crash', detail: `exit ${code}: ${lines[0] ?? ''}` });
      if (lines.length > 0) return resolvePromise({ ...r, outcome: 'crash', detail: `exit ${code} but stderr: ${lines[0]}` });
      if (fmt === 'json' && cmd === 'analyze') {
        let report;
        try {
          report = JSON.parse(Buffer.concat(out).toString('utf8'));
        } catch (e) {
          return resolvePromise({ ...r, outcome: 'crash', detail: `unparsable JSON report (${e.message})` });
        }
        const warnings = (report.inputs ?? []).flatMap((i) => i.warnings ?? []);
        const summary = report.summary ?? {};
        return resolvePromise({
          ...r,
          outcome: warnings.length > 0 ? 'ok-with-warnings' : 'ok',
          detail: warnings.length > 0 ? warnings[0] : '',
          warnings,
          packets: summary.packets,
          connections: summary.connections,
          findings: (report.findings ?? []).length,
        });
      }
      if (outLen === 0) return resolvePromise({ ...r, outcome: 'crash', detail: `exit ${code} and no output` });
      return resolvePromise({ ...r, outcome: 'ok', detail: '' });
    });
  });
}

const RANK = { ok: 0, 'ok-with-warnings': 1, 'exit-2': 2, timeout: 3, crash: 4 };

/** A long-lived worker process; restarted after a timeout or a death. */
class Worker {
  constructor() {
    this.child = null;
    this.ready = null;
  }
  start() {
    this.child = fork(fileURLToPath(import.meta.url), ['--worker', dist], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.stderr = [];
    this.child.stderr.on('data', (b) => this.stderr.push(b));
    this.ready = new Promise((res, rej) => {
      const onMsg = (m) => {
        if (m && m.ready) {
          this.child.off('message', onMsg);
          res();
        }
      };
      this.child.on('message', onMsg);
      this.child.once('exit', (code) => rej(new Error(`worker exited (${code}) before it was ready: ${Buffer.concat(this.stderr).toString().split('\n')[0]}`)));
    });
  }
  async run(file) {
    if (!this.child) this.start();
    await this.ready;
    const child = this.child;
    return new Promise((res) => {
      const t0 = Date.now();
      let settled = false;
      const finish = (r, restart) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.off('message', onMsg);
        child.off('exit', onExit);
        if (restart) {
          child.kill('SIGKILL');
          this.child = null;
        }
        res(r);
      };
      const onMsg = (m) => finish(m, false);
      const onExit = (code, signal) => finish({ outcome: 'crash', format: formats.join(','), ms: Date.now() - t0, detail: `worker died (${signal ?? `exit ${code}`}): ${Buffer.concat(this.stderr).toString().split('\n').filter(Boolean).slice(-3).join(' | ')}` }, true);
      const timer = setTimeout(() => finish({ outcome: 'timeout', format: formats.join(','), ms: Date.now() - t0, detail: `killed after ${timeoutS} s` }, true), timeoutS * 1000);
      child.on('message', onMsg);
      child.once('exit', onExit);
      this.stderr = [];
      child.send({ file, formats });
    });
  }
  stop() {
    if (this.child) this.child.kill('SIGKILL');
  }
}

async function analyseFile(file, worker) {
  if (!cliMode) {
    const r = await worker.run(file);
    return { file, outcome: r.outcome, detail: r.detail, format: r.format, ms: r.ms, runs: [r] };
  }
  const runs = [];
  for (const f of formats) {
    const r = await runOne(file, f);
    runs.push(r);
    if (r.outcome === 'exit-2' || r.outcome === 'timeout') break; // the other formats read the same input
  }
  let worst = runs[0];
  for (const r of runs) {
    // A format that works while json says "warnings" is still ok-with-warnings; crash/timeout win.
    if (RANK[r.outcome] > RANK[worst.outcome] && !(worst.outcome === 'ok-with-warnings' && r.outcome === 'ok')) worst = r;
  }
  const ms = runs.reduce((a, r) => a + r.ms, 0);
  return { file, outcome: worst.outcome, detail: worst.detail, format: worst.format, ms, runs };
}

const results = new Array(files.length);
let next = 0;
let done = 0;
const started = Date.now();
async function worker() {
  const w = cliMode ? null : new Worker();
  for (;;) {
    const i = next++;
    if (i >= files.length) {
      if (w) w.stop();
      return;
    }
    const r = await analyseFile(files[i], w);
    results[i] = r;
    done++;
    if (verbose || r.outcome === 'crash' || r.outcome === 'timeout') {
      process.stdout.write(`${r.outcome.padEnd(16)} ${(r.ms / 1000).toFixed(2).padStart(7)}s  ${r.file}${r.detail ? `  — ${r.format}: ${r.detail}` : ''}\n`);
    }
    if (!verbose && process.stderr.isTTY) process.stderr.write(`\r${done}/${files.length}`);
  }
}
await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, worker));
if (!verbose && process.stderr.isTTY) process.stderr.write('\r');

const totals = { ok: 0, 'ok-with-warnings': 0, 'exit-2': 0, crash: 0, timeout: 0 };
for (const r of results) totals[r.outcome]++;

// Group the exit-2 messages and the warnings by kind (file names and numbers removed).
const kind = (s) => s.replace(/^rstdiag: /, '').replace(/^.*?: (?=[a-z])/, '').replace(/\d+/g, 'N').replace(/\([^)]*\)/g, '(…)');
const byKind = (outcome, pick) => {
  const m = new Map();
  for (const r of results) {
    if (r.outcome !== outcome) continue;
    for (const s of pick(r)) {
      const k = kind(s);
      const e = m.get(k) ?? { n: 0, example: r.file };
      e.n++;
      m.set(k, e);
    }
  }
  return [...m.entries()].sort((a, b) => b[1].n - a[1].n);
};

const out = [];
out.push('');
out.push(`${files.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s (${cliMode ? 'CLI per file' : 'in-process workers'}; formats: ${formats.join(', ')}; timeout ${timeoutS} s; ${jobs} jobs)`);
for (const [k, n] of Object.entries(totals)) out.push(`  ${k.padEnd(17)} ${n}`);
const exit2 = byKind('exit-2', (r) => [r.detail]);
if (exit2.length > 0) {
  out.push('exit-2 messages:');
  for (const [k, e] of exit2.slice(0, 25)) out.push(`  ${String(e.n).padStart(5)}  ${k}   (e.g. ${e.example})`);
}
const warns = byKind('ok-with-warnings', (r) => r.runs.find((x) => x.warnings)?.warnings ?? []);
if (warns.length > 0) {
  out.push('warnings:');
  for (const [k, e] of warns.slice(0, 25)) out.push(`  ${String(e.n).padStart(5)}  ${k}   (e.g. ${e.example})`);
}
const bad = results.filter((r) => r.outcome === 'crash' || r.outcome === 'timeout');
if (bad.length > 0) {
  out.push('crashes and timeouts:');
  for (const r of bad) out.push(`  ${r.outcome.padEnd(8)} ${r.file}  — ${r.format}: ${r.detail}`);
}
const slow = results.slice().sort((a, b) => b.ms - a.ms).slice(0, 5);
out.push('slowest:');
for (const r of slow) out.push(`  ${(r.ms / 1000).toFixed(2).padStart(7)} s  ${r.file}`);
process.stdout.write(out.join('\n') + '\n');
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ totals, results }, null, 1));
process.exitCode = bad.length > 0 ? 1 : 0;

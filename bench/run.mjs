#!/usr/bin/env node
// Throughput benchmark: per traffic shape, on one capture, in one run, wall time, CPU time, MB/s,
// packets/s and peak RSS (medians of --repeat runs, the tools taking turns within each round) of
//   rstdiag analyze FILE --format json --fail-on none
//   tcpdump -r FILE -w /dev/null          (libpcap's raw read: the floor)
//   argus -r FILE -w OUT                  (a C flow analyzer, Debian argus-server)
//   tcptrace -n FILE                      (a C TCP connection analyzer)
//   pcap-parser bare iteration             (bench/pcap-parser-count.cjs)
//   rstdiag's own reader and decoder alone (bench/reader-floor.mjs: this runtime's floor)
//   tshark -r FILE -q -z conv,tcp         (only with --tools …,tshark: it takes a minute per shape)
// then ratios against issue 19's targets, and rstdiag's findings checked against the generator's
// truth. --startup compares a 28-packet capture with a bare `node -e 0` (alternated). --against DIR
// runs another checkout's build (its dist/ built) in the same rounds and prints the ratios to it.
//
//   npm run bench [-- --shape pools,distinct-clients,syn-flood|none] [--scale K] [--repeat N]
//                 [--tools rstdiag,tcpdump,argus] [--file F] [--startup] [--no-check] [--against DIR]
// Shapes (bench/generate.mjs --shape): pools (failures grouped on 60 clients), distinct-clients
// (every failure from a client of its own), syn-flood (unanswered SYNs from distinct sources).
// Captures are generated into bench/out/ when missing. Peak RSS and CPU come from /usr/bin/time -v.
// Run `npm run build` first: the benchmark runs dist/.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const out = join(root, 'bench', 'out');
const mainJs = join(root, 'dist', 'cli', 'main.js');
/** argus appends to an existing output file: removed before each of its runs. */
const argusOut = join(out, 'bench.argus');

const args = process.argv.slice(2);
let shapes = ['pools'];
let file = null;
let scale = 1;
let repeat = 3;
let tools = ['rstdiag', 'tcpdump', 'argus', 'tcptrace', 'pcap-parser', 'floor'];
let check = true;
let startup = false;
/** Another build of rstdiag (a checkout with dist/ built) to compare with, run in the same rounds. */
let against = null;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  // --shape none: no shape at all (with --startup, the start-up comparison alone).
  if (a === '--shape') shapes = args[++i].split(',').filter((s) => s !== 'none');
  else if (a === '--file') file = args[++i];
  else if (a === '--scale') scale = Number(args[++i]);
  else if (a === '--repeat') repeat = Number(args[++i]);
  else if (a === '--tools' || a === '--only') tools = args[++i].split(',');
  else if (a === '--no-check') check = false;
  else if (a === '--startup') startup = true;
  else if (a === '--against') against = args[++i];
  else throw new Error(`unknown argument ${a}`);
}
if (!existsSync(mainJs)) throw new Error('dist/cli/main.js missing: run npm run build first');
const againstJs = against === null ? null : join(against, 'dist', 'cli', 'main.js');
if (againstJs !== null && !existsSync(againstJs)) throw new Error(`${againstJs} missing: build that checkout first`);
if (againstJs !== null && !tools.includes('against')) tools = ['rstdiag', 'against', ...tools.filter((t) => t !== 'rstdiag')];

const TARGETS = {
  tcpdump: { default: 5, 'syn-flood': 12 }, // rstdiag wall / tcpdump wall at most
  argus: 0.5, // rstdiag wall / argus wall at most
  rssMB: { default: 200, 'syn-flood': 256 },
};

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function commands(f, reportPath) {
  return {
    rstdiag: { cmd: process.execPath, args: [mainJs, 'analyze', f, '--format', 'json', '--fail-on', 'none', '--output', reportPath] },
    // --against's build: the same command, its report beside ours.
    against: againstJs === null ? null : {
      cmd: process.execPath, args: [againstJs, 'analyze', f, '--format', 'json', '--fail-on', 'none', '--output', `${reportPath}.against`],
    },
    tcpdump: { cmd: 'tcpdump', args: ['-r', f, '-w', '/dev/null'] },
    argus: { cmd: 'argus', args: ['-r', f, '-w', argusOut] },
    tcptrace: { cmd: 'tcptrace', args: ['-n', f] },
    'pcap-parser': { cmd: process.execPath, args: [join(here, 'pcap-parser-count.cjs'), f] },
    floor: { cmd: process.execPath, args: [join(here, 'reader-floor.mjs'), f] },
    tshark: { cmd: 'tshark', args: ['-r', f, '-q', '-z', 'conv,tcp'] },
  };
}

/** One run under /usr/bin/time -v: wall and CPU seconds, peak RSS. */
function measure(name, t) {
  if (name === 'argus') rmSync(argusOut, { force: true });
  const r = spawnSync('/usr/bin/time', ['-v', t.cmd, ...t.args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(r.stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(r.stderr);
  if (!wall || !rss || !user || !sys) throw new Error(`no /usr/bin/time -v output for ${name} (apt-get install time)`);
  const seconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
  return { seconds, cpu: Number(user[1]) + Number(sys[1]), rssMB: Number(rss[1]) / 1024 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n, d = 1) => n.toFixed(d).padStart(9);

/**
 * Generator options per shape: distinct-clients at the pools file's 200,000 connections, so the
 * two compare at one size (its own default is a 44 MB file).
 */
const SHAPE_ARGS = { 'distinct-clients': ['--connections', '200000'] };

function captureFor(shape) {
  if (file !== null) return file;
  const name = `bench${shape === 'pools' ? '' : `-${shape}`}${scale === 1 ? '' : `-x${scale}`}.pcap`;
  const f = join(out, name);
  if (!existsSync(f)) {
    process.stderr.write(`generating ${f} …\n`);
    execFileSync(process.execPath, [join(here, 'generate.mjs'), f, '--scale', String(scale), '--shape', shape, ...(SHAPE_ARGS[shape] ?? [])], { stdio: 'inherit' });
  }
  return f;
}

/** rstdiag's findings against the generator's truth: per rule, findings and summed count. */
function checkTruth(reportPath, truth) {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  // Findings per rule from the summary (a cause counts the findings it does not list), attempts
  // from the causes (exact, listed or not).
  const got = {};
  for (const [rule, n] of Object.entries(report.summary.findingsByRule)) (got[rule] ??= { findings: 0, count: 0 }).findings = n;
  for (const c of report.causes) (got[c.rule] ??= { findings: 0, count: 0 }).count += c.count;
  let ok = true;
  console.log('findings vs truth (findings / summed count):');
  for (const rule of new Set([...Object.keys(truth.rules), ...Object.keys(got)])) {
    const want = truth.rules[rule] ?? { findings: 0, count: 0 };
    const have = got[rule] ?? { findings: 0, count: 0 };
    const same = want.findings === have.findings && want.count === have.count;
    if (!same) ok = false;
    console.log(`  ${same ? 'ok  ' : 'DIFF'} ${rule.padEnd(26)} ${have.findings}/${have.count}  (truth ${want.findings}/${want.count})`);
  }
  return ok;
}

function runShape(shape) {
  const f = captureFor(shape);
  const size = statSync(f).size;
  const reportPath = join(out, `report-${shape}.json`);
  const all = commands(f, reportPath);
  const present = tools.filter((name) => {
    if (!(name in all)) throw new Error(`unknown tool ${name}`);
    if (all[name] === null) throw new Error(`${name} needs --against DIR`);
    if (all[name].cmd === process.execPath || onPath(all[name].cmd)) return true;
    process.stderr.write(`${name}: not installed, skipped\n`);
    return false;
  });
  const runs = Object.fromEntries(present.map((n) => [n, []]));
  for (let i = 0; i < repeat; i++) {
    for (const name of present) {
      process.stderr.write(`${shape}: ${name} (${i + 1}/${repeat}) …\n`);
      runs[name].push(measure(name, all[name]));
    }
  }
  const results = Object.fromEntries(present.map((n) => [n, {
    seconds: median(runs[n].map((r) => r.seconds)),
    cpu: median(runs[n].map((r) => r.cpu)),
    rssMB: Math.max(...runs[n].map((r) => r.rssMB)),
    runs: runs[n],
  }]));
  const truthPath = `${f}.truth.json`;
  const truth = existsSync(truthPath) ? JSON.parse(readFileSync(truthPath, 'utf8')) : null;
  const packets = truth?.packets ?? null;
  console.log(`\n${shape}: ${f}: ${(size / 1e6).toFixed(1)} MB${packets ? `, ${packets} packets` : ''}${truth?.connections ? `, ${truth.connections} connections` : ''} (medians of ${repeat})`);
  console.log(`${'tool'.padEnd(12)}${'wall s'.padStart(9)}${'cpu s'.padStart(9)}${'MB/s'.padStart(9)}${'kpkt/s'.padStart(9)}${'peak MB'.padStart(9)}`);
  for (const [name, r] of Object.entries(results)) {
    console.log(`${name.padEnd(12)}${fmt(r.seconds, 2)}${fmt(r.cpu, 2)}${fmt(size / 1e6 / r.seconds)}${packets ? fmt(packets / 1e3 / r.seconds, 0) : '        -'}${fmt(r.rssMB, 0)}`);
  }
  const ratio = (a, b) => (results[a] && results[b] ? results[a].seconds / results[b].seconds : null);
  const line = (label, value, target, better) => {
    if (value === null) return;
    const met = better === 'below' ? value <= target : value >= target;
    console.log(`${label.padEnd(24)}${value.toFixed(2).padStart(7)}   (target ${better === 'below' ? '≤' : '≥'} ${target}${met ? '' : ': NOT MET'})`);
  };
  console.log('');
  if (results.rstdiag && results.against) {
    const a = results.rstdiag;
    const b = results.against;
    console.log(`rstdiag / --against      wall ${(a.seconds / b.seconds).toFixed(3)}, cpu ${(a.cpu / b.cpu).toFixed(3)}, peak RSS ${(a.rssMB / b.rssMB).toFixed(3)}   (${against})`);
  }
  line('rstdiag / tcpdump', ratio('rstdiag', 'tcpdump'), TARGETS.tcpdump[shape] ?? TARGETS.tcpdump.default, 'below');
  line('rstdiag / argus', ratio('rstdiag', 'argus'), TARGETS.argus, 'below');
  line('rstdiag / tcptrace', ratio('rstdiag', 'tcptrace'), 1, 'below');
  line('pcap-parser / rstdiag', ratio('pcap-parser', 'rstdiag'), 1, 'above');
  // No target: what is left for the analysis once reading and decoding (one thread) are paid.
  if (results.floor && results.tcpdump) console.log(`${'floor / tcpdump'.padEnd(24)}${ratio('floor', 'tcpdump').toFixed(2).padStart(7)}   (reader + decoder alone, one thread)`);
  line('tshark / rstdiag', ratio('tshark', 'rstdiag'), 15, 'above');
  if (results.rstdiag) line('rstdiag peak RSS (MB)', results.rstdiag.rssMB, TARGETS.rssMB[shape] ?? TARGETS.rssMB.default, 'below');
  const ok = check && results.rstdiag && truth ? checkTruth(reportPath, truth) : true;
  return { shape, file: f, bytes: size, packets, results, truthOk: ok };
}

/** A 28-packet capture against a bare `node -e 0`, alternated 7 times: the median ratio. */
function runStartup() {
  const small = join(root, 'samples', 'brnf-off', 'client-eth0.pcap');
  const bare = { cmd: process.execPath, args: ['-e', '0'] };
  const cli = { cmd: process.execPath, args: [mainJs, 'analyze', small, '--fail-on', 'none'] };
  const ratios = [];
  const pairs = [];
  for (let i = 0; i < 7; i++) {
    const b = measure('node -e 0', bare);
    const c = measure('rstdiag', cli);
    ratios.push(c.seconds / b.seconds);
    pairs.push({ bare: b.seconds, rstdiag: c.seconds, bareCpu: b.cpu, rstdiagCpu: c.cpu });
  }
  console.log(`\nstart-up: rstdiag analyze ${small} (28 packets, text) vs node -e 0, 7 alternated runs`);
  console.log(`  wall medians ${median(pairs.map((p) => p.rstdiag)).toFixed(3)} s vs ${median(pairs.map((p) => p.bare)).toFixed(3)} s; CPU ${median(pairs.map((p) => p.rstdiagCpu)).toFixed(2)} vs ${median(pairs.map((p) => p.bareCpu)).toFixed(2)} s`);
  console.log(`  median ratio ${median(ratios).toFixed(2)}   (target ≤ 2${median(ratios) <= 2 ? '' : ': NOT MET'})`);
  return { ratios, pairs };
}

mkdirSync(out, { recursive: true }); // a fresh checkout has no bench/out/ yet
const report = { shapes: [], startup: null };
let ok = true;
for (const shape of shapes) {
  const r = runShape(shape);
  report.shapes.push(r);
  if (!r.truthOk) ok = false;
}
if (startup) report.startup = runStartup();
writeFileSync(join(out, 'results.json'), JSON.stringify(report, null, 2) + '\n');
if (!ok) process.exit(1);

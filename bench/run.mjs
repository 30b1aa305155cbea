#!/usr/bin/env node
// Throughput benchmark: on one capture, in one run, wall time, MB/s, packets/s and peak RSS of
//   rstdiag analyze FILE --format json --fail-on none
//   tcpdump -r FILE -w /dev/null          (libpcap's raw read)
//   tshark -r FILE -q -z conv,tcp         (Wireshark's TCP conversation table)
//   pcap-parser bare iteration             (bench/pcap-parser-count.cjs)
// then ratios, and rstdiag's findings checked against the generator's truth file.
//
//   npm run bench [-- --file F] [--scale K] [--repeat N] [--only rstdiag,tcpdump] [--no-check]
// Without --file it uses bench/out/bench.pcap (or bench/out/bench-xK.pcap for --scale K) and
// generates it first if missing. Peak RSS comes from /usr/bin/time -v (apt-get install time).
// Run `npm run build` first: the benchmark runs dist/.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
let file = null;
let scale = 1;
let repeat = 1;
let only = null;
let check = true;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--file') file = args[++i];
  else if (a === '--scale') scale = Number(args[++i]);
  else if (a === '--repeat') repeat = Number(args[++i]);
  else if (a === '--only') only = new Set(args[++i].split(','));
  else if (a === '--no-check') check = false;
  else throw new Error(`unknown argument ${a}`);
}
if (file === null) {
  file = join(root, 'bench', 'out', scale === 1 ? 'bench.pcap' : `bench-x${scale}.pcap`);
  if (!existsSync(file)) {
    process.stderr.write(`generating ${file} …\n`);
    execFileSync(process.execPath, [join(here, 'generate.mjs'), file, '--scale', String(scale)], { stdio: 'inherit' });
  }
}
const mainJs = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(mainJs)) throw new Error('dist/cli/main.js missing: run npm run build first');
const size = statSync(file).size;
const out = join(root, 'bench', 'out');
const reportPath = join(out, 'report.json');

const tools = [
  { name: 'rstdiag', cmd: process.execPath, args: [mainJs, 'analyze', file, '--format', 'json', '--fail-on', 'none', '--output', reportPath] },
  { name: 'tcpdump', cmd: 'tcpdump', args: ['-r', file, '-w', '/dev/null'] },
  { name: 'tshark', cmd: 'tshark', args: ['-r', file, '-q', '-z', 'conv,tcp'] },
  { name: 'pcap-parser', cmd: process.execPath, args: [join(here, 'pcap-parser-count.cjs'), file] },
].filter((t) => only === null || only.has(t.name));

function measure(t) {
  const r = spawnSync('/usr/bin/time', ['-v', t.cmd, ...t.args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${t.name} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  if (!wall || !rss) throw new Error(`no /usr/bin/time -v output for ${t.name}`);
  const seconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
  return { seconds, rssMB: Number(rss[1]) / 1024 };
}

const truthPath = `${file}.truth.json`;
const truth = existsSync(truthPath) ? JSON.parse(readFileSync(truthPath, 'utf8')) : null;
const packets = truth?.packets ?? null;
const results = {};
for (const t of tools) {
  let best = null;
  for (let i = 0; i < repeat; i++) {
    process.stderr.write(`${t.name} (${i + 1}/${repeat}) …\n`);
    const m = measure(t);
    if (best === null || m.seconds < best.seconds) best = { ...m, rssMB: Math.max(m.rssMB, best?.rssMB ?? 0) };
  }
  results[t.name] = best;
}

const fmt = (n, d = 1) => n.toFixed(d).padStart(9);
console.log(`\n${file}: ${(size / 1e6).toFixed(1)} MB${packets ? `, ${packets} packets` : ''}${truth ? `, ${truth.connections} connections` : ''}`);
console.log(`${'tool'.padEnd(12)}${'wall s'.padStart(9)}${'MB/s'.padStart(9)}${'kpkt/s'.padStart(9)}${'peak MB'.padStart(9)}`);
for (const [name, r] of Object.entries(results)) {
  console.log(`${name.padEnd(12)}${fmt(r.seconds, 2)}${fmt(size / 1e6 / r.seconds)}${packets ? fmt(packets / 1e3 / r.seconds, 0) : '        -'}${fmt(r.rssMB, 0)}`);
}
const ratio = (a, b) => (results[a] && results[b] ? (results[a].seconds / results[b].seconds).toFixed(2) : '-');
console.log(`\nrstdiag / tcpdump      ${ratio('rstdiag', 'tcpdump')}   (target ≤ 2)`);
console.log(`tshark / rstdiag       ${ratio('tshark', 'rstdiag')}   (target ≥ 15)`);
console.log(`pcap-parser / rstdiag  ${ratio('pcap-parser', 'rstdiag')}   (target > 1)`);
if (results.rstdiag) console.log(`rstdiag peak RSS       ${results.rstdiag.rssMB.toFixed(0)} MB   (target < 200)`);

let ok = true;
if (check && results.rstdiag && truth) {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  // Findings per rule from the summary (a cause counts the findings it does not list), attempts
  // from the causes (exact, listed or not).
  const got = {};
  for (const [rule, n] of Object.entries(report.summary.findingsByRule)) (got[rule] ??= { findings: 0, count: 0 }).findings = n;
  for (const c of report.causes) (got[c.rule] ??= { findings: 0, count: 0 }).count += c.count;
  console.log('\nfindings vs truth (findings / summed count):');
  for (const rule of new Set([...Object.keys(truth.rules), ...Object.keys(got)])) {
    const want = truth.rules[rule] ?? { findings: 0, count: 0 };
    const have = got[rule] ?? { findings: 0, count: 0 };
    const same = want.findings === have.findings && want.count === have.count;
    if (!same) ok = false;
    console.log(`  ${same ? 'ok  ' : 'DIFF'} ${rule.padEnd(26)} ${have.findings}/${have.count}  (truth ${want.findings}/${want.count})`);
  }
}
writeFileSync(join(out, 'results.json'), JSON.stringify({ file, bytes: size, packets, results }, null, 2) + '\n');
if (!ok) process.exit(1);

#!/usr/bin/env node
/**
 * Cross-check rstdiag's capture reader + decoder against tshark, frame by frame.
 *
 * Run (tshark must be on PATH; it is not needed by the tests):
 *   npm run build                      # or: npx tsc -p tsconfig.json
 *   npm run crosscheck                 # every capture in samples/ and ../shared/corpus/
 *   npm run crosscheck -- a.pcap dir/  # only these files / directories
 * Options: --timeout SECONDS (per file and side, default 60), --jobs N (default: CPU count),
 *          --verbose (print every file, not only the ones with mismatches), --examples N (default 3).
 *
 * For each file, tshark prints per frame: the protocol stack, ip/ipv6 src/dst, tcp ports, flags,
 * raw seq/ack (every occurrence: tunnels and ICMP quotes repeat the fields). rstdiag decodes the same
 * file in a child process (so a hang is bounded by the timeout). Compared per frame:
 *   - addresses of the innermost IP layer (rstdiag decapsulates VXLAN/Geneve/GRE/IP-in-IP; tshark
 *     lists each layer, so the last occurrence is the innermost);
 *   - for ICMP errors tshark also prints the quoted (embedded) IP/TCP header as later occurrences:
 *     rstdiag's src/dst are compared with the IP layer that carries the ICMP, and rstdiag's inner*
 *     fields with the quoted layer (ports and raw seq from the quote; flags/ack are not in 8 bytes);
 *   - TCP ports, flags (low 8 bits), raw seq and ack.
 * tshark runs with IP reassembly off (rstdiag decodes first fragments on their own) and with UDP
 * 8472 decoded as VXLAN (Flannel's port; Wireshark registers only 4789).
 * The summary prints files, frames compared, mismatches grouped by reason with examples, files
 * tshark could not read and files rstdiag could not read.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ipaddr from 'ipaddr.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

// ------------------------------------------------------------------ child mode: rstdiag side
if (process.argv[2] === '--decode-one') {
  const { readCapture } = await import('../dist/capture/reader.js');
  const { Decoder } = await import('../dist/decode/decoder.js');
  const { Packet } = await import('../dist/decode/packet.js');
  const { formatAddress } = await import('../dist/decode/address.js');
  const file = process.argv[3];
  const dec = new Decoder();
  const p = new Packet();
  const lines = [];
  try {
    const info = await readCapture(file, (f) => {
      dec.decode(f, p);
      lines.push(
        [
          f.frameNumber, f.linkType, p.ipVersion, formatAddress(p.src, p.ipVersion), formatAddress(p.dst, p.ipVersion),
          p.transport, p.srcPort, p.dstPort, p.flags, p.seq, p.ack,
          p.innerIpVersion, formatAddress(p.innerSrc, p.innerIpVersion), formatAddress(p.innerDst, p.innerIpVersion),
          p.innerProtocol, p.innerSrcPort, p.innerDstPort, p.innerSeq, p.tunnel, p.tunnelDepth, p.truncatedHeaders ? 1 : 0,
          p.undecodedReason, p.isFragment ? 1 : 0, p.ipProtocol,
          p.outerIpVersion, formatAddress(p.outerSrc, p.outerIpVersion), formatAddress(p.outerDst, p.outerIpVersion), p.etherType,
        ].join('\t'),
      );
    });
    process.stdout.write(lines.join('\n') + (lines.length ? '\n' : ''));
    process.stdout.write('#INFO\t' + JSON.stringify({ packets: info.packets, truncated: info.truncated, warnings: info.warnings.length }) + '\n');
  } catch (e) {
    process.stdout.write(lines.join('\n') + (lines.length ? '\n' : ''));
    process.stdout.write('#ERROR\t' + String(e && e.message ? e.message : e).replace(/\s+/g, ' ') + '\n');
  }
  process.exit(0);
}

// ------------------------------------------------------------------ parent mode
const args = process.argv.slice(2);
let timeoutSec = 60;
let jobs = Math.max(1, cpus().length);
let verbose = false;
let nExamples = 3;
const inputs = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--timeout') timeoutSec = Number(args[++i]);
  else if (a === '--jobs') jobs = Number(args[++i]);
  else if (a === '--verbose') verbose = true;
  else if (a === '--examples') nExamples = Number(args[++i]);
  else inputs.push(a);
}

const CAPTURE_RE = /\.(pcap|pcapng|cap|ntar|dmp|pcap\.gz|pcapng\.gz)$/i;
function walk(dir, out) {
  let ents;
  try {
    ents = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of ents.sort((x, y) => x.name.localeCompare(y.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile() && CAPTURE_RE.test(e.name)) out.push(p);
  }
}
const files = [];
if (inputs.length === 0) {
  walk(join(root, 'samples'), files);
  walk(resolve(root, '../shared/corpus'), files);
} else {
  for (const a of inputs) {
    const p = resolve(a);
    let st;
    try {
      st = statSync(p);
    } catch {
      console.error(`crosscheck: ${a}: not found`);
      continue;
    }
    if (st.isDirectory()) walk(p, files);
    else files.push(p);
  }
}

function run(cmd, argv, timeoutMs) {
  return new Promise((res) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('close', (code) => {
      clearTimeout(t);
      res({ code, timedOut, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

const TSHARK_FIELDS = ['frame.number', 'frame.protocols', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'tcp.seq_raw', 'tcp.ack_raw'];

function tsharkArgs(file) {
  const a = ['-r', file, '-n', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-o', 'tcp.analyze_sequence_numbers:FALSE',
    '-d', 'udp.port==8472,vxlan', '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of TSHARK_FIELDS) a.push('-e', f);
  return a;
}

const norm = (a) => {
  try {
    return ipaddr.parse(a).toNormalizedString();
  } catch {
    return a;
  }
};
const list = (s) => (s === undefined || s === '' ? [] : s.split(','));

const TRANSPORT_TCP = 1;
const TRANSPORT_ICMP_ERROR = 3;
const UNKNOWN_LINKTYPE = 'unsupported link type';

/** tshark's IP layers in order: [{v, src, dst}] (from frame.protocols + the ip/ipv6 occurrence lists). */
function ipLayers(t) {
  const protos = t.protocols.split(':');
  const v4s = list(t.ipSrc), v4d = list(t.ipDst), v6s = list(t.ip6Src), v6d = list(t.ip6Dst);
  let i4 = 0, i6 = 0;
  const layers = [];
  for (let k = 0; k < protos.length; k++) {
    const pr = protos[k];
    if (pr === 'ip' && i4 < v4s.length) layers.push({ v: 4, src: v4s[i4], dst: v4d[i4++], after: protos[k + 1] ?? '', pos: k });
    else if (pr === 'ipv6' && i6 < v6s.length) layers.push({ v: 6, src: v6s[i6], dst: v6d[i6++], after: protos[k + 1] ?? '', pos: k });
  }
  return layers;
}

function compareFile(tsharkOut, mine, linkTypeOf, mineError) {
  const res = { frames: 0, mismatches: [] };
  const mism = (frame, reason, detail) => res.mismatches.push({ frame, reason, detail });
  for (const line of tsharkOut.split('\n')) {
    if (!line) continue;
    const c = line.split('\t');
    const t = {
      frame: Number(c[0]), protocols: c[1] ?? '', ipSrc: c[2], ipDst: c[3], ip6Src: c[4], ip6Dst: c[5],
      sport: list(c[6]), dport: list(c[7]), flags: list(c[8]), seq: list(c[9]), ack: list(c[10]),
    };
    const r = mine.get(t.frame);
    if (!r) {
      if (mine.size === 0 && mineError) mism(t.frame, 'file rejected by the rstdiag reader', mineError.slice(0, 120));
      else if (t.protocols === 'data') mism(t.frame, 'non-packet pcapng record (custom block): numbered, not delivered by the reader', t.protocols);
      else mism(t.frame, 'frame missing in rstdiag', t.protocols);
      continue;
    }
    res.frames++;
    const layers = ipLayers(t);
    const icmp = r.transport === TRANSPORT_ICMP_ERROR;
    // The IP layer rstdiag's src/dst should match, and (ICMP errors) the quoted one.
    let outerIdx = layers.length - 1;
    let quoteIdx = -1;
    if (icmp) {
      // the last layer followed by icmp/icmpv6 carries the error; the next one is the quote
      // (the first one: the quote may itself be ICMP)
      for (let k = 0; k < layers.length; k++) if (layers[k].after === 'icmp' || layers[k].after === 'icmpv6') { outerIdx = k; break; }
      quoteIdx = outerIdx + 1 < layers.length ? outerIdx + 1 : -1;
    } else if (layers.length > 0 && layers.length >= 2) {
      // tshark decodes ICMP quotes we do not treat as errors (or tunnels we do not open): look for them
      const lastIcmp = layers.findIndex((l) => l.after === 'icmp' || l.after === 'icmpv6');
      if (lastIcmp >= 0 && lastIcmp < layers.length - 1) outerIdx = lastIcmp;
    }
    const tl = outerIdx >= 0 ? layers[outerIdx] : undefined;
    if (!tl && r.ipVersion === 0) {
      // neither saw IP
    } else if (!tl) {
      mism(t.frame, 'IP only in rstdiag', `${r.src} > ${r.dst} | tshark ${t.protocols}`);
      continue;
    } else if (r.ipVersion === 0) {
      const lt = linkTypeOf(t.frame);
      if (r.reason === UNKNOWN_LINKTYPE) mism(t.frame, `link type ${lt} not decoded by rstdiag`, t.protocols);
      else if (r.tunnel !== 0 && r.outerIpVersion === tl.v && norm(r.outerSrc) === norm(tl.src) && norm(r.outerDst) === norm(tl.dst)) {
        // non-IP payload (ARP, …) inside a tunnel: rstdiag keeps the tunnel's addresses in outer*; agreement
      } else if (r.reason === 'unsupported ethertype') mism(t.frame, `ethertype 0x${r.etherType.toString(16).padStart(4, '0')} not decoded by rstdiag`, `tshark ${tl.src} > ${tl.dst} | ${t.protocols}`);
      else mism(t.frame, `IP missing in rstdiag (${r.reason || 'no reason'})`, `tshark ${tl.src} > ${tl.dst} | ${t.protocols}`);
      continue;
    } else if (tl.v !== r.ipVersion || norm(tl.src) !== norm(r.src) || norm(tl.dst) !== norm(r.dst)) {
      let reason = 'addresses differ';
      if (!icmp && layers.length - 1 > r.tunnelDepth) {
        // tshark found an IP layer inside something rstdiag does not open: name the carrier
        const protos = t.protocols.split(':');
        let k = tl.pos - 1;
        while (k > 0 && (protos[k] === 'ethertype' || protos[k] === 'eth' || protos[k] === 'vlan' || protos[k] === 'data')) k--;
        reason = `tshark finds IP inside ${protos[k] ?? '?'} (not opened by rstdiag)`;
      } else if (!icmp && layers.length - 1 < r.tunnelDepth) {
        reason = `rstdiag decapsulates deeper than tshark (tshark stops at ${t.protocols.split(':').at(-1)})`;
      }
      mism(t.frame, reason, `tshark ${tl.src} > ${tl.dst} (${layers.length} IP layers) rstdiag ${r.src} > ${r.dst} (depth ${r.tunnelDepth}) | ${t.protocols}`);
      continue;
    }
    // TCP
    if (icmp) {
      const q = quoteIdx >= 0 ? layers[quoteIdx] : undefined;
      if (q && r.innerIpVersion !== 0 && (norm(q.src) !== norm(r.innerSrc) || norm(q.dst) !== norm(r.innerDst))) {
        mism(t.frame, 'ICMP quote addresses differ', `tshark ${q.src} > ${q.dst} rstdiag ${r.innerSrc} > ${r.innerDst}`);
      } else if (q && r.innerIpVersion === 0) {
        mism(t.frame, 'ICMP quote missing in rstdiag', `tshark ${q.src} > ${q.dst} | ${t.protocols}`);
      }
      const protos = t.protocols.split(':');
      const hasTcpAfterQuote = q !== undefined && protos.slice(q.pos + 1).includes('tcp');
      if (hasTcpAfterQuote && t.sport.length > 0) {
        const sp = Number(t.sport.at(-1)), dp = Number(t.dport.at(-1));
        if (sp !== r.innerSrcPort || dp !== r.innerDstPort) mism(t.frame, 'ICMP quote ports differ', `tshark ${sp}>${dp} rstdiag ${r.innerSrcPort}>${r.innerDstPort}`);
        else if (t.seq.length > 0 && Number(t.seq.at(-1)) !== r.innerSeq) mism(t.frame, 'ICMP quote seq differs', `tshark ${t.seq.at(-1)} rstdiag ${r.innerSeq}`);
      }
      continue;
    }
    const protos = t.protocols.split(':');
    const tcpAfter = tl ? protos.indexOf('tcp', tl.pos + 1) : protos.indexOf('tcp');
    const tsharkTcp = t.sport.length > 0 && tcpAfter >= 0;
    const mineTcp = r.transport === TRANSPORT_TCP;
    if (tsharkTcp && !mineTcp) {
      mism(t.frame, `TCP missing in rstdiag (${r.reason || (r.isFragment ? 'fragment' : 'transport ' + r.transport)})`, `${t.protocols}`);
      continue;
    }
    if (!tsharkTcp && mineTcp) {
      mism(t.frame, 'TCP only in rstdiag', `${r.sport}>${r.dport} | tshark ${t.protocols}`);
      continue;
    }
    if (!tsharkTcp) continue;
    const sp = Number(t.sport.at(-1)), dp = Number(t.dport.at(-1));
    if (sp !== r.sport || dp !== r.dport) {
      mism(t.frame, 'TCP ports differ', `tshark ${sp}>${dp} rstdiag ${r.sport}>${r.dport}`);
      continue;
    }
    const fl = t.flags.length ? Number(t.flags.at(-1)) & 0xff : NaN;
    if (t.flags.length && fl !== r.flags) mism(t.frame, 'TCP flags differ', `tshark ${fl.toString(16)} rstdiag ${r.flags.toString(16)}`);
    if (t.seq.length && Number(t.seq.at(-1)) !== r.seq) mism(t.frame, 'TCP seq differs', `tshark ${t.seq.at(-1)} rstdiag ${r.seq}`);
    if (t.ack.length && Number(t.ack.at(-1)) !== r.ack) mism(t.frame, 'TCP ack differs', `tshark ${t.ack.at(-1)} rstdiag ${r.ack}`);
  }
  return res;
}

function parseMine(out) {
  const m = new Map();
  let error = null;
  let info = null;
  for (const line of out.split('\n')) {
    if (!line) continue;
    if (line.startsWith('#ERROR\t')) { error = line.slice(7); continue; }
    if (line.startsWith('#INFO\t')) { info = JSON.parse(line.slice(6)); continue; }
    const c = line.split('\t');
    m.set(Number(c[0]), {
      linkType: Number(c[1]), ipVersion: Number(c[2]), src: c[3], dst: c[4], transport: Number(c[5]), sport: Number(c[6]), dport: Number(c[7]),
      flags: Number(c[8]), seq: Number(c[9]), ack: Number(c[10]), innerIpVersion: Number(c[11]), innerSrc: c[12], innerDst: c[13],
      innerProtocol: Number(c[14]), innerSrcPort: Number(c[15]), innerDstPort: Number(c[16]), innerSeq: Number(c[17]), tunnel: Number(c[18]),
      tunnelDepth: Number(c[19]), truncated: c[20] === '1', reason: c[21] ?? '', isFragment: c[22] === '1', ipProtocol: Number(c[23]),
      outerIpVersion: Number(c[24]), outerSrc: c[25], outerDst: c[26], etherType: Number(c[27]),
    });
  }
  return { frames: m, error, info };
}

const totals = { files: 0, frames: 0, mismatchFrames: 0, agreeFiles: 0 };
const byReason = new Map();
const tsharkUnreadable = [];
const mineUnreadable = [];
const timeouts = [];
const frameCountDiffs = [];
const rel = (f) => relative(root, f) || f;

async function checkFile(file) {
  const [ts, me] = await Promise.all([
    run('tshark', tsharkArgs(file), timeoutSec * 1000),
    run(process.execPath, [fileURLToPath(import.meta.url), '--decode-one', file], timeoutSec * 1000),
  ]);
  return { file, ts, me };
}

function report({ file, ts, me }) {
  totals.files++;
  const name = rel(file);
  if (ts.timedOut) timeouts.push(`${name} (tshark)`);
  if (me.timedOut) timeouts.push(`${name} (rstdiag)`);
  const tsErr = ts.stderr.split('\n').filter((l) => l && !/Running as user/.test(l)).join(' ').trim();
  const mine = parseMine(me.stdout);
  if (mine.error && mine.frames.size === 0) mineUnreadable.push(`${name}: ${mine.error}`);
  if (ts.stdout.trim() === '') {
    if (ts.code !== 0 || tsErr) tsharkUnreadable.push(`${name}: ${tsErr.slice(0, 160) || 'exit ' + ts.code}`);
    if (mine.frames.size > 0 && (ts.code !== 0 || tsErr)) frameCountDiffs.push(`${name}: tshark 0 frames (unreadable), rstdiag ${mine.frames.size}`);
    if (verbose) console.log(`${name}: no frames from tshark`);
    return;
  }
  if (tsErr && ts.code !== 0) tsharkUnreadable.push(`${name} (partial): ${tsErr.slice(0, 160)}`);
  const linkTypeOf = (n) => mine.frames.get(n)?.linkType ?? '?';
  const res = compareFile(ts.stdout, mine.frames, linkTypeOf, mine.error);
  const tsFrames = ts.stdout.split('\n').filter(Boolean).length;
  if (tsFrames !== mine.frames.size) frameCountDiffs.push(`${name}: tshark ${tsFrames} frames, rstdiag ${mine.frames.size}${mine.error ? ' (' + mine.error.slice(0, 100) + ')' : ''}`);
  totals.frames += res.frames;
  const badFrames = new Set(res.mismatches.map((m) => m.frame));
  totals.mismatchFrames += badFrames.size;
  if (badFrames.size === 0) totals.agreeFiles++;
  for (const m of res.mismatches) {
    let g = byReason.get(m.reason);
    if (!g) byReason.set(m.reason, (g = { count: 0, files: new Set(), examples: [] }));
    g.count++;
    g.files.add(name);
    if (g.examples.length < nExamples && !g.examples.some((e) => e.startsWith(name + '#'))) g.examples.push(`${name}#${m.frame}: ${m.detail}`);
  }
  if (verbose || badFrames.size > 0) {
    const pct = res.frames ? ((100 * (res.frames - badFrames.size)) / res.frames).toFixed(1) : '100.0';
    console.log(`${name}: ${res.frames - badFrames.size}/${res.frames} frames agree (${pct}%)`);
  }
}

// simple pool
let next = 0;
async function worker() {
  while (next < files.length) {
    const f = files[next++];
    report(await checkFile(f));
  }
}
await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, worker));

console.log('\n=== crosscheck summary ===');
console.log(`files: ${totals.files}   files fully agreeing: ${totals.agreeFiles}`);
console.log(`frames compared: ${totals.frames}   frames with a mismatch: ${totals.mismatchFrames}` +
  (totals.frames ? ` (${((100 * totals.mismatchFrames) / totals.frames).toFixed(2)}%)` : ''));
console.log(`\nmismatches by reason:`);
for (const [reason, g] of [...byReason].sort((a, b) => b[1].count - a[1].count)) {
  console.log(`  ${g.count} × ${reason}  (${g.files.size} files)`);
  for (const e of g.examples) console.log(`      e.g. ${e}`);
}
console.log(`\nfiles tshark could not read (fully or partly): ${tsharkUnreadable.length}`);
for (const e of tsharkUnreadable.slice(0, verbose ? Infinity : 15)) console.log(`  ${e}`);
if (!verbose && tsharkUnreadable.length > 15) console.log(`  … (${tsharkUnreadable.length - 15} more; --verbose lists all)`);
console.log(`files rstdiag could not read: ${mineUnreadable.length}`);
for (const e of mineUnreadable.slice(0, verbose ? Infinity : 15)) console.log(`  ${e}`);
if (!verbose && mineUnreadable.length > 15) console.log(`  … (${mineUnreadable.length - 15} more)`);
console.log(`files where the frame counts differ: ${frameCountDiffs.length}`);
for (const e of frameCountDiffs.slice(0, verbose ? Infinity : 15)) console.log(`  ${e}`);
if (!verbose && frameCountDiffs.length > 15) console.log(`  … (${frameCountDiffs.length - 15} more)`);
console.log(`timeouts (${timeoutSec}s): ${timeouts.length}${timeouts.length ? ': ' + timeouts.join(', ') : ''}`);

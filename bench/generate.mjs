#!/usr/bin/env node
// Writes a large classic pcap (Ethernet, IPv4, TCP with timestamps) that looks like a busy
// Kubernetes node: many concurrent connections interleaved in time, mostly healthy, plus a known
// share of each reset cause rstdiag detects. The expected findings go to <file>.truth.json.
//
//   node bench/generate.mjs [FILE] [--connections N] [--scale K] [--seed S] [--shape distinct-clients|syn-flood]
//                          [--flood N] [--scan P] [--flood-answer none|rst|synack]
//
// Defaults: FILE bench/out/bench.pcap, 200,000 connections (~1.6 M packets, ~300 MB) spread over
// 1,200 s of capture time (~170 new connections/s). --scale K multiplies the connections AND the
// capture duration: the same node, watched K times longer (the rate of connections stays the same).
// Plain Node, no dependencies; streams to disk in 4 MB chunks.
//
// --shape distinct-clients: a busy node where every failed connection comes from its own client
// address (default 30,000 connections, ~6,000 failures): unreversed DNAT to two Services,
// connections refused on one port by three servers, aborts by three servers on one port. The truth
// file then also says, per rule, the distinct clients and the servers (attempts per server).
//
// --shape syn-flood: a lighter busy node (default 50,000 connections over 300 s, the pools causes)
// under a SYN flood: --flood N (default 1,000,000) bare SYNs, each from its own spoofed source
// address and port, to one busy server port, 10,000 a second from a third of the capture on
// (t = 100 s), never answered (a spoofed source never retransmits); and from half of it on, one
// client scanning --scan P (default 1,000) ports of another server, 100 a second, each refused
// with RST+ACK. The flood itself makes no finding (one unanswered
// SYN is no diagnosis); the scan makes one connection-refused finding per port. --flood-answer rst:
// the server refuses each flood SYN (one finding per source); synack: it answers each with a
// SYN-ACK, sent again 1 s later, that the spoofed source never completes.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const args = process.argv.slice(2);
let file = 'bench/out/bench.pcap';
let connections = 200_000;
let scale = 1;
let seed = 1;
let shape = 'pools';
let connectionsGiven = false;
let floodSyns = 1_000_000;
let scanPorts = 1000;
let floodAnswer = 'none';
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--connections') {
    connections = Number(args[++i]);
    connectionsGiven = true;
  } else if (a === '--shape') shape = args[++i];
  else if (a === '--scale') scale = Number(args[++i]);
  else if (a === '--seed') seed = Number(args[++i]);
  else if (a === '--flood') floodSyns = Number(args[++i]);
  else if (a === '--scan') scanPorts = Number(args[++i]);
  else if (a === '--flood-answer') floodAnswer = args[++i];
  else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
  else file = a;
}
if (shape !== 'pools' && shape !== 'distinct-clients' && shape !== 'syn-flood') throw new Error(`unknown shape ${shape}`);
const distinct = shape === 'distinct-clients';
const flood = shape === 'syn-flood';
if (distinct && !connectionsGiven) connections = 30_000;
if (flood && !connectionsGiven) connections = 50_000;
if (!flood) floodSyns = scanPorts = 0;
if (!['none', 'rst', 'synack'].includes(floodAnswer)) throw new Error(`unknown --flood-answer ${floodAnswer}`);
const total = Math.round(connections * scale);
const duration = 1200 * (total / 200_000);
const rate = total / duration;

// --- deterministic random numbers (mulberry32) ---
function mulberry32(state) {
  let rs = state >>> 0;
  return () => {
    rs = (rs + 0x6d2b79f5) >>> 0;
    let t = rs;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
// The flood has its own sequence: the background is the same connections as the pools shape's.
const rand = mulberry32(seed);
const floodRand = mulberry32(seed ^ 0x5f1d0d);
const randInt = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const u32 = () => Math.floor(rand() * 4294967296) >>> 0;
const pick = (arr) => arr[Math.floor(rand() * arr.length)];

// --- addresses ---
const ip = (a, b, c, d) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const ipText = (n) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
const NODE_IP = ip(10, 244, 0, 1); // the node's bridge address (kube-proxy REJECTs come from it)

// Healthy traffic: 4,000 client pods talking to 64 servers (pods on :8080, external :443).
const healthyClients = [];
for (let i = 0; i < 4000; i++) healthyClients.push(ip(10, 244, 1 + (i >> 8), i & 255 || 2));
const healthyServers = [];
for (let i = 0; i < 48; i++) healthyServers.push([ip(10, 244, 100 + (i >> 4), 10 + (i & 15)), 8080]);
for (let i = 0; i < 16; i++) healthyServers.push([ip(172, 16, 5, 20 + i), 443]);

// Each failure cause: a small pool of client pods and targets, so findings aggregate attempts
// (rules group by client address and server) as they would on a real node.
const CAUSES = distinct ? {
  // Three causes, a fresh client address per failed connection; targets weighted 6:3:1.
  'unreversed-dnat': { share: 0.0667, clients: 0, targets: 2 },
  'connection-refused': { share: 0.0667, clients: 0, targets: 3, port: 8080 },
  'abortive-close': { share: 0.0667, clients: 0, targets: 3, port: 9000 },
} : {
  'connection-refused': { share: 0.012, clients: 20, targets: 3 },
  'unreversed-dnat': { share: 0.004, clients: 12, targets: 2 },
  'icmp-rejected': { share: 0.004, clients: 12, targets: 2 },
  'syn-timeout': { share: 0.004, clients: 12, targets: 2 },
  'abortive-close': { share: 0.01, clients: 20, targets: 3 },
  'stale-connection': { share: 0.006, clients: 16, targets: 2 },
};
let sub = 200;
for (const [name, c] of Object.entries(CAUSES)) {
  c.clientIps = [];
  for (let i = 0; i < c.clients; i++) c.clientIps.push(ip(10, 244, sub, 2 + i));
  c.targetList = [];
  for (let i = 0; i < c.targets; i++) {
    if (name === 'unreversed-dnat' || name === 'icmp-rejected') {
      // A Service address (and for DNAT its backend pod).
      c.targetList.push({ svc: [ip(10, 96, sub - 199, 10 + i), 80], backend: [ip(10, 244, 150, 3 + i + 10 * (sub - 199)), 8080] });
    } else {
      c.targetList.push({ svc: [ip(10, 244, 160 + (sub - 199), 5 + i), c.port ?? 8080 + i] });
    }
  }
  sub++;
}

// Per-client ephemeral ports (sequential, never reused within the capture).
const nextPort = new Map();
function port(client) {
  const p = nextPort.get(client) ?? 32768;
  nextPort.set(client, p >= 60999 ? 32768 : p + 1);
  return p;
}

// --- truth: findings per rule, keyed exactly as the rules group attempts ---
const truth = {};
function expect(rule, key) {
  const r = (truth[rule] ??= { groups: new Map(), count: 0, clients: new Set(), servers: new Map() });
  r.groups.set(key, (r.groups.get(key) ?? 0) + 1);
  r.count++;
  const [client, server] = key.split('|');
  r.clients.add(client);
  r.servers.set(server, (r.servers.get(server) ?? 0) + 1);
}

// --- packet descriptors ---
// { t, s: ip, sp, d: ip, dp, f: flags, seq, ack, len, tv, te, syn? } or { t, icmp: true, s, d, quote: desc }
const F = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16 };
let ipIdCounter = 1;

function healthy(t0, c, cp, [s, sp]) {
  const ci = u32();
  const si = u32();
  const rtt = 0.0002 + rand() * 0.002;
  const work = 0.001 + rand() * 0.05;
  const tv0 = u32();
  const tv1 = u32();
  const req = randInt(60, 300);
  const resp = randInt(150, 1400);
  const pk = [];
  let t = t0;
  pk.push({ t, s: c, sp: cp, d: s, dp: sp, f: F.SYN, seq: ci, ack: 0, len: 0, tv: tv0, te: 0, syn: true });
  t += rtt / 2;
  pk.push({ t, s, sp, d: c, dp: cp, f: F.SYN | F.ACK, seq: si, ack: ci + 1, len: 0, tv: tv1, te: tv0, syn: true });
  t += rtt / 2;
  pk.push({ t, s: c, sp: cp, d: s, dp: sp, f: F.ACK, seq: ci + 1, ack: si + 1, len: 0, tv: tv0 + 1, te: tv1 });
  t += 0.00005;
  pk.push({ t, s: c, sp: cp, d: s, dp: sp, f: F.ACK | F.PSH, seq: ci + 1, ack: si + 1, len: req, tv: tv0 + 1, te: tv1 });
  t += work;
  const seg = Math.min(resp, 1448);
  pk.push({ t, s, sp, d: c, dp: cp, f: F.ACK | F.PSH, seq: si + 1, ack: ci + 1 + req, len: seg, tv: tv1 + 20, te: tv0 + 1 });
  let sseq = si + 1 + seg;
  if (resp > seg) {
    t += 0.00002;
    pk.push({ t, s, sp, d: c, dp: cp, f: F.ACK | F.PSH, seq: sseq, ack: ci + 1 + req, len: resp - seg, tv: tv1 + 20, te: tv0 + 1 });
    sseq += resp - seg;
  }
  t += rtt / 2;
  pk.push({ t, s: c, sp: cp, d: s, dp: sp, f: F.ACK | F.FIN, seq: ci + 1 + req, ack: sseq, len: 0, tv: tv0 + 30, te: tv1 + 20 });
  t += rtt / 2;
  pk.push({ t, s, sp, d: c, dp: cp, f: F.ACK | F.FIN, seq: sseq, ack: ci + 2 + req, len: 0, tv: tv1 + 30, te: tv0 + 30 });
  t += rtt / 2;
  pk.push({ t, s: c, sp: cp, d: s, dp: sp, f: F.ACK, seq: ci + 2 + req, ack: sseq + 1, len: 0, tv: tv0 + 31, te: tv1 + 30 });
  return pk;
}

// distinct-clients: client addresses 10.245.0.2 onwards, each used once (no .0, .1 or .255).
let distinctNext = 0;
function freshClient() {
  for (;;) {
    const k = distinctNext++;
    const d = k & 255;
    if (d > 1 && d < 255) return ip(10, 245 + (k >>> 16), (k >>> 8) & 255, d);
  }
}
const WEIGHTS = [0.6, 0.3, 0.1];
function pickTarget(list) {
  if (!distinct) return pick(list);
  let r = rand();
  for (let i = 0; i < list.length - 1; i++) if ((r -= WEIGHTS[i] / WEIGHTS.slice(0, list.length).reduce((a, b) => a + b)) < 0) return list[i];
  return list[list.length - 1];
}

function failure(cause, t0) {
  const c = distinct ? freshClient() : pick(CAUSES[cause].clientIps);
  const target = pickTarget(CAUSES[cause].targetList);
  const cp = port(c);
  const [s, sp] = target.svc;
  const ci = u32();
  const tv0 = u32();
  const pk = [];
  const syn = (t, n) => ({ t, s: c, sp: cp, d: s, dp: sp, f: F.SYN, seq: ci, ack: 0, len: 0, tv: tv0 + n * 1000, te: 0, syn: true });
  switch (cause) {
    case 'connection-refused': {
      pk.push(syn(t0, 0));
      pk.push({ t: t0 + 0.0003, s, sp, d: c, dp: cp, f: F.RST | F.ACK, seq: 0, ack: ci + 1, len: 0, tv: -1, te: 0 });
      expect(cause, `${ipText(c)}|${ipText(s)}:${sp}`);
      break;
    }
    case 'unreversed-dnat': {
      // Client vantage (samples/brnf-off/client-eth0.pcap): per SYN, a SYN-ACK from the backend
      // acking ISN + 1, the client's RST to it; the SYN is retransmitted twice, 1 s apart.
      const [b, bp] = target.backend;
      const btv = u32();
      for (let n = 0; n < 3; n++) {
        const t = t0 + n * 1.02;
        pk.push(syn(t, n));
        const bi = u32();
        pk.push({ t: t + 0.00024, s: b, sp: bp, d: c, dp: cp, f: F.SYN | F.ACK, seq: bi, ack: ci + 1, len: 0, tv: btv + n * 1000, te: tv0 + n * 1000, syn: true });
        pk.push({ t: t + 0.00025, s: c, sp: cp, d: b, dp: bp, f: F.RST, seq: ci + 1, ack: 0, len: 0, tv: -1, te: 0 });
      }
      expect(cause, `${ipText(c)}|${ipText(s)}:${sp}|${ipText(b)}:${bp}`);
      break;
    }
    case 'icmp-rejected': {
      // A Service without endpoints: kube-proxy's REJECT answers from the node.
      const q = syn(t0, 0);
      pk.push(q);
      pk.push({ t: t0 + 0.0001, icmp: true, s: NODE_IP, d: c, quote: q });
      expect(cause, `${ipText(c)}|${ipText(s)}:${sp}`);
      break;
    }
    case 'syn-timeout': {
      for (let n = 0; n < 3; n++) pk.push(syn(t0 + n * 1.0, n));
      expect(cause, `${ipText(c)}|${ipText(s)}:${sp}`);
      break;
    }
    case 'abortive-close': {
      // Request, reply, then the server aborts (SO_LINGER 0): RST+ACK right after its own data.
      const h = healthy(t0, c, cp, [s, sp]);
      const data = h.slice(0, 5);
      const last = data[4];
      pk.push(...data, { t: last.t + 0.0001, s, sp, d: c, dp: cp, f: F.RST | F.ACK, seq: last.seq + last.len, ack: last.ack, len: 0, tv: -1, te: 0 });
      expect(cause, `${ipText(c)}|${ipText(s)}:${sp}|server`);
      break;
    }
    case 'stale-connection': {
      // Established and working; later the client sends on it and the server, which lost it
      // (restart), answers with a bare RST whose seq is the segment's ack.
      const h = healthy(t0, c, cp, [s, sp]);
      const data = h.slice(0, 5);
      const last = data[4];
      const cseq = data[3].seq + data[3].len;
      const ackTo = last.seq + last.len;
      const t = last.t + 2 + rand() * 5;
      pk.push(...data,
        { t: last.t + 0.0002, s: c, sp: cp, d: s, dp: sp, f: F.ACK, seq: cseq, ack: ackTo, len: 0, tv: tv0 + 5, te: last.tv },
        { t, s: c, sp: cp, d: s, dp: sp, f: F.ACK | F.PSH, seq: cseq, ack: ackTo, len: randInt(60, 300), tv: tv0 + 900, te: last.tv },
        { t: t + 0.0003, s, sp, d: c, dp: cp, f: F.RST, seq: ackTo, ack: 0, len: 0, tv: -1, te: 0 });
      expect(cause, `${ipText(c)}|${ipText(s)}:${sp}|server`);
      break;
    }
    default: throw new Error(cause);
  }
  return pk;
}

// --- writing ---
const CHUNK = 4 << 20;
let buf = Buffer.allocUnsafe(CHUNK);
let pos = 0;
mkdirSync(dirname(file) || '.', { recursive: true });
const fd = openSync(file, 'w');
let bytes = 0;
let packets = 0;
function flush() {
  writeSync(fd, buf, 0, pos);
  bytes += pos;
  pos = 0;
}
function room(n) {
  if (pos + n > CHUNK) flush();
}
// Global header: classic pcap, µs, little endian, Ethernet.
buf.writeUInt32LE(0xa1b2c3d4, 0);
buf.writeUInt16LE(2, 4);
buf.writeUInt16LE(4, 6);
buf.writeInt32LE(0, 8);
buf.writeUInt32LE(0, 12);
buf.writeUInt32LE(65535, 16);
buf.writeUInt32LE(1, 20);
pos = 24;

const T0 = 1_750_000_000;
const macOf = (n) => [0x0a, 0x58, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const PAYLOAD_BYTE = 0x61;

function recordHeader(t, len) {
  const sec = Math.floor(t);
  const usec = Math.min(999_999, Math.round((t - sec) * 1e6));
  buf.writeUInt32LE(T0 + sec, pos);
  buf.writeUInt32LE(usec, pos + 4);
  buf.writeUInt32LE(len, pos + 8);
  buf.writeUInt32LE(len, pos + 12);
  pos += 16;
}
function ether(src, dst) {
  const a = macOf(dst);
  const b = macOf(src);
  for (let i = 0; i < 6; i++) buf[pos + i] = a[i];
  for (let i = 0; i < 6; i++) buf[pos + 6 + i] = b[i];
  buf.writeUInt16BE(0x0800, pos + 12);
  pos += 14;
}
// IP IDs: one counter over the file, except that a RST goes out with ID 0, as Linux sends its
// resets (DF set, from no connected socket): one counter across the servers' RSTs is what one
// stack answering for them all would show (connection-refused reads it so).
function ipv4(src, dst, proto, payloadLen, rst = false) {
  buf[pos] = 0x45;
  buf[pos + 1] = 0;
  buf.writeUInt16BE(20 + payloadLen, pos + 2);
  const id = ipIdCounter++ & 0xffff;
  buf.writeUInt16BE(rst ? 0 : id, pos + 4);
  buf.writeUInt16BE(0x4000, pos + 6);
  buf[pos + 8] = 64;
  buf[pos + 9] = proto;
  buf.writeUInt16BE(0, pos + 10);
  buf.writeUInt32BE(src, pos + 12);
  buf.writeUInt32BE(dst, pos + 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += buf.readUInt16BE(pos + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  buf.writeUInt16BE(~sum & 0xffff, pos + 10);
  pos += 20;
}
function tcpHeader(p, withPayload) {
  const opt = p.syn ? 20 : p.tv >= 0 ? 12 : 0;
  buf.writeUInt16BE(p.sp, pos);
  buf.writeUInt16BE(p.dp, pos + 2);
  buf.writeUInt32BE(p.seq >>> 0, pos + 4);
  buf.writeUInt32BE(p.ack >>> 0, pos + 8);
  buf[pos + 12] = ((20 + opt) / 4) << 4;
  buf[pos + 13] = p.f;
  buf.writeUInt16BE(p.f & F.RST ? 0 : 64240, pos + 14);
  buf.writeUInt16BE(0, pos + 16);
  buf.writeUInt16BE(0, pos + 18);
  let o = pos + 20;
  if (p.syn) {
    buf[o++] = 2; buf[o++] = 4; buf.writeUInt16BE(1460, o); o += 2; // MSS
    buf[o++] = 4; buf[o++] = 2; // SACK permitted
    buf[o++] = 8; buf[o++] = 10; buf.writeUInt32BE(p.tv >>> 0, o); buf.writeUInt32BE(p.te >>> 0, o + 4); o += 8;
    buf[o++] = 1; // NOP
    buf[o++] = 3; buf[o++] = 3; buf[o++] = 7; // window scale
  } else if (opt) {
    buf[o++] = 1; buf[o++] = 1;
    buf[o++] = 8; buf[o++] = 10; buf.writeUInt32BE(p.tv >>> 0, o); buf.writeUInt32BE(p.te >>> 0, o + 4); o += 8;
  }
  pos = o;
  if (withPayload && p.len > 0) {
    buf.fill(PAYLOAD_BYTE, pos, pos + p.len);
    pos += p.len;
  }
  return 20 + opt;
}
function writePacket(p) {
  if (p.icmp) {
    const q = p.quote;
    const len = 14 + 20 + 8 + 20 + 8;
    room(16 + len);
    recordHeader(p.t, len);
    ether(p.s, p.d);
    ipv4(p.s, p.d, 1, 8 + 20 + 8);
    buf[pos] = 3; buf[pos + 1] = 3; // port unreachable
    buf.writeUInt16BE(0, pos + 2);
    buf.writeUInt32BE(0, pos + 4);
    pos += 8;
    const qOpt = 20;
    ipv4(q.s, q.d, 6, 20 + qOpt);
    buf.writeUInt16BE(q.sp, pos);
    buf.writeUInt16BE(q.dp, pos + 2);
    buf.writeUInt32BE(q.seq >>> 0, pos + 4);
    pos += 8;
  } else {
    const opt = p.syn ? 20 : p.tv >= 0 ? 12 : 0;
    const len = 14 + 20 + 20 + opt + p.len;
    room(16 + len);
    recordHeader(p.t, len);
    ether(p.s, p.d);
    ipv4(p.s, p.d, 6, 20 + opt + p.len, (p.f & F.RST) !== 0);
    tcpHeader(p, true);
  }
  packets++;
}

// --- scheduling: a min-heap of connections by their next packet's time ---
const heap = []; // entries: { pk, i }
const tOf = (e) => e.pk[e.i].t;
function push(e) {
  heap.push(e);
  let i = heap.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (tOf(heap[p]) <= tOf(heap[i])) break;
    [heap[p], heap[i]] = [heap[i], heap[p]];
    i = p;
  }
}
function siftDown() {
  let i = 0;
  const n = heap.length;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < n && tOf(heap[l]) < tOf(heap[m])) m = l;
    if (r < n && tOf(heap[r]) < tOf(heap[m])) m = r;
    if (m === i) return;
    [heap[m], heap[i]] = [heap[i], heap[m]];
    i = m;
  }
}
// Streams of single packets in time order (the flood, the scan), merged with the heap's.
const streams = [];
function addStream(n, packetOf) {
  if (n <= 0) return;
  streams.push({ i: 0, n, packetOf, next: packetOf(0) });
}
function nextStream(limit, before) {
  let best = null;
  for (const s of streams) if (s.next !== null && s.next.t <= limit && s.next.t < before && (best === null || s.next.t < best.next.t)) best = s;
  return best;
}
function emitUntil(limit) {
  for (;;) {
    const top = heap.length > 0 ? tOf(heap[0]) : Infinity;
    const s = nextStream(limit, top);
    if (s !== null) {
      writePacket(s.next);
      s.next = ++s.i < s.n ? s.packetOf(s.i) : null;
      continue;
    }
    if (heap.length === 0 || top > limit) return;
    const e = heap[0];
    writePacket(e.pk[e.i]);
    e.i++;
    if (e.i < e.pk.length) siftDown();
    else {
      const last = heap.pop();
      if (heap.length > 0) {
        heap[0] = last;
        siftDown();
      }
    }
  }
}

// syn-flood: bare SYNs (no options, as flood tools send them) from distinct spoofed sources in
// 100.64.0.0/10 (i → i·2654435761 mod 2^22 is one-to-one), to the busiest healthy server.
const FLOOD_START = duration / 3;
const FLOOD_RATE = 10_000;
const [floodDst, floodPort] = healthyServers[0];
const floodSrc = (i) => (ip(100, 64, 0, 0) + (Math.imul(i, 2654435761) & 0x3fffff)) >>> 0;
if (floodAnswer === 'none') {
  addStream(floodSyns, (i) => ({
    t: FLOOD_START + (i + floodRand()) / FLOOD_RATE,
    s: floodSrc(i), sp: 1024 + Math.floor(floodRand() * 64512),
    d: floodDst, dp: floodPort, f: F.SYN, seq: Math.floor(floodRand() * 4294967296), ack: 0, len: 0, tv: -1, te: 0,
  }));
} else {
  // Answered: each SYN's numbers drawn once (the answers and their retransmissions read them).
  const syn = { t: new Float64Array(floodSyns), sp: new Uint16Array(floodSyns), isn: new Uint32Array(floodSyns), sisn: new Uint32Array(floodSyns) };
  for (let i = 0; i < floodSyns; i++) {
    syn.t[i] = FLOOD_START + (i + 0.4 * floodRand()) / FLOOD_RATE;
    syn.sp[i] = 1024 + Math.floor(floodRand() * 64512);
    syn.isn[i] = Math.floor(floodRand() * 4294967296);
    syn.sisn[i] = Math.floor(floodRand() * 4294967296);
  }
  const answer = (i, delay, f) => ({ t: syn.t[i] + delay, s: floodDst, sp: floodPort, d: floodSrc(i), dp: syn.sp[i], f,
    seq: f & F.RST ? 0 : syn.sisn[i], ack: syn.isn[i] + 1, len: 0, tv: -1, te: 0 });
  addStream(floodSyns * 2, (k) => {
    const i = k >> 1;
    if ((k & 1) === 0) return { t: syn.t[i], s: floodSrc(i), sp: syn.sp[i], d: floodDst, dp: floodPort, f: F.SYN, seq: syn.isn[i], ack: 0, len: 0, tv: -1, te: 0 };
    return answer(i, 0.5 / FLOOD_RATE, floodAnswer === 'rst' ? F.RST | F.ACK : F.SYN | F.ACK);
  });
  // A listener retransmits its SYN-ACK (1 s later); the spoofed source never completes it.
  if (floodAnswer === 'synack') addStream(floodSyns, (i) => answer(i, 1, F.SYN | F.ACK));
  // Refused: one connection-refused finding per spoofed source.
  if (floodAnswer === 'rst') for (let i = 0; i < floodSyns; i++) expect('connection-refused', `${ipText(floodSrc(i))}|${ipText(floodDst)}:${floodPort}`);
}
// One scanner, one source port, ports 1.. of another server (skipping the one it serves), 100 a
// second from half the capture on; each SYN refused at once with RST+ACK.
const SCAN_START = duration / 2;
const SCANNER = ip(10, 244, 250, 9);
const [scanDst, servedPort] = healthyServers[2];
const scanned = [];
for (let p = 1; scanned.length < scanPorts; p++) if (p !== servedPort) scanned.push(p);
addStream(scanPorts * 2, (k) => {
  const i = k >> 1;
  const t = SCAN_START + i / 100;
  const isn = (Math.imul(i + 1, 0x9e3779b1) ^ seed) >>> 0;
  if ((k & 1) === 0) return { t, s: SCANNER, sp: 54321, d: scanDst, dp: scanned[i], f: F.SYN, seq: isn, ack: 0, len: 0, tv: -1, te: 0 };
  return { t: t + 0.0002, s: scanDst, sp: scanned[i], d: SCANNER, dp: 54321, f: F.RST | F.ACK, seq: 0, ack: isn + 1, len: 0, tv: -1, te: 0 };
});
for (const p of scanned) expect('connection-refused', `${ipText(SCANNER)}|${ipText(scanDst)}:${p}`);

const causeNames = Object.keys(CAUSES);
const cum = [];
let acc = 0;
for (const n of causeNames) cum.push((acc += CAUSES[n].share));
let t = 0;
let healthyCount = 0;
for (let k = 0; k < total; k++) {
  t += -Math.log(1 - rand()) / rate;
  emitUntil(t);
  const r = rand();
  let cause = null;
  for (let i = 0; i < cum.length; i++) if (r < cum[i]) { cause = causeNames[i]; break; }
  let pk;
  if (cause === null) {
    const c = pick(healthyClients);
    pk = healthy(t, c, port(c), pick(healthyServers));
    healthyCount++;
  } else pk = failure(cause, t);
  pk.sort((a, b) => a.t - b.t);
  push({ pk, i: 0 });
}
emitUntil(Infinity);
flush();
closeSync(fd);

const out = { file, shape, connections: total, healthy: healthyCount, packets, bytes, durationSeconds: Math.round(t), rules: {} };
if (flood) {
  out.flood = { syns: floodSyns, server: `${ipText(floodDst)}:${floodPort}`, start: FLOOD_START, rate: FLOOD_RATE, answer: floodAnswer };
  out.scan = { ports: scanPorts, scanner: ipText(SCANNER), server: ipText(scanDst), start: SCAN_START, rate: 100 };
}
for (const [rule, r] of Object.entries(truth)) {
  out.rules[rule] = { findings: r.groups.size, count: r.count };
  if (distinct) {
    out.rules[rule].clients = r.clients.size;
    out.rules[rule].servers = Object.fromEntries([...r.servers].sort((a, b) => b[1] - a[1]));
  }
}
writeFileSync(`${file}.truth.json`, JSON.stringify(out, null, 2) + '\n');
process.stderr.write(`${file}: ${packets} packets, ${(bytes / 1e6).toFixed(1)} MB, ${total} connections over ${Math.round(t)} s\n`);

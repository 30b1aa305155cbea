/**
 * `rstdiag live` without root or libpcap: the pipeline fed by a stand-in for cap, the pcap writer,
 * option parsing, and the one-line hint when cap is not installed.
 */
import { describe, expect, test } from 'vitest';
import { EventEmitter } from 'node:events';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { analyze } from '../../src/analysis/analyze.js';
import { readCapture } from '../../src/capture/reader.js';
import type { Frame } from '../../src/capture/types.js';
import { LiveError, linkTypeOf, type CapDevice, type CapModule } from '../../src/live/cap.js';
import { findingKey, parseDuration, runLive } from '../../src/live/live.js';
import { PcapWriter } from '../../src/live/pcap-writer.js';
import { ethernet, ipv4, tcp } from '../helpers/packet-builder.js';
import { ROOT, SAMPLES } from '../helpers/samples.js';

const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'rstdiag-live-unit-'));

function refused(sport: number, dport: number, isn: number): Uint8Array[] {
  const l2 = (p: Uint8Array): Uint8Array => ethernet({ type: 0x0800, src: '00:00:00:00:00:00', dst: '00:00:00:00:00:00' }, p);
  return [
    l2(ipv4({ src: '127.0.0.1', dst: '127.0.0.1', proto: 6 }, tcp({ sport, dport, seq: isn, flags: 'S', mss: 65495 }))),
    l2(ipv4({ src: '127.0.0.1', dst: '127.0.0.1', proto: 6 }, tcp({ sport: dport, dport: sport, seq: 0, ack: (isn + 1) >>> 0, flags: 'RA', window: 0 }))),
  ];
}

/** A stand-in for cap: open() remembers the buffer; `bursts` are delivered as cap would. */
function fakeCap(bursts: Uint8Array[][], opts: { linkName?: string; openError?: string; devices?: string[] } = {}) {
  const state = { filter: '', closed: 0, handle: null as null | EventEmitter };
  class Cap extends EventEmitter {
    static deviceList(): CapDevice[] {
      return (opts.devices ?? ['fake0', 'lo']).map((name) => ({ name }));
    }
    open(_device: string, filter: string, _bufSize: number, buffer: Buffer): string {
      if (opts.openError) throw new Error(opts.openError);
      state.filter = filter;
      state.handle = this;
      let delay = 5;
      for (const burst of bursts) {
        setTimeout(() => {
          for (const p of burst) {
            buffer.set(p, 0);
            this.emit('packet', p.length, false);
          }
        }, delay);
        delay += 30;
      }
      return opts.linkName ?? 'ETHERNET';
    }
    close(): boolean {
      state.closed++;
      return true;
    }
  }
  return { module: { Cap } as CapModule, state };
}

describe('runLive with a stand-in for cap', () => {
  test('findings are announced once as they appear; the report and the --write file agree', async () => {
    const a = refused(40001, 5555, 1000);
    const b = refused(40002, 5555, 90000);
    const { module, state } = fakeCap([a, b]);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const lines: string[] = [];
    const status: string[] = [];
    const out = join(tmp, 'fake.pcap');
    const res = await runLive({
      iface: 'fake0', filter: 'tcp', write: out, signal: stop.signal, cap: module,
      onFinding: (l) => lines.push(l), onStatus: (l) => status.push(l),
    });
    expect(state.filter).toBe('tcp');
    expect(state.closed).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/error connection-refused: 127\.0\.0\.1 → 127\.0\.0\.1:5555/);
    expect(status[0]).toContain('capturing on fake0 (EN10MB)');
    expect(status.at(-1)).toContain('4 packets');

    const r = res.report;
    expect(r.inputs[0]).toMatchObject({ path: 'live:fake0', format: 'pcap', linkTypes: [1], packets: 4, truncated: false });
    const f = r.findings.find((x) => x.rule === 'connection-refused');
    expect(f).toMatchObject({ client: '127.0.0.1:40001', server: '127.0.0.1:5555', resetBy: 'server', count: 2, frames: [1, 2, 3, 4] });
    expect(findingKey({ rule: 'connection-refused', client: f!.client, server: f!.server, backend: f!.backend })).toBe('connection-refused|127.0.0.1:40001|127.0.0.1:5555|');

    const again = await analyze([out]);
    expect(again.report.findings).toEqual(r.findings);
    expect(again.report.inputs[0]!.bytes).toBe(r.inputs[0]!.bytes);
    expect(again.report.inputs[0]!.firstTime).toBe(r.inputs[0]!.firstTime);
  });

  test('no --write: format null, nothing found, bytes of the equivalent pcap', async () => {
    const { module } = fakeCap([]);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    const res = await runLive({ iface: 'lo', signal: stop.signal, cap: module });
    expect(res.report.inputs[0]).toMatchObject({ path: 'live:lo', format: null, packets: 0, bytes: 24, linkTypes: [] });
    expect(res.report.findings).toEqual([]);
  });

  test('--duration ends the capture', async () => {
    const { module } = fakeCap([refused(40003, 6000, 7)]);
    const t0 = Date.now();
    const res = await runLive({ iface: 'lo', durationMs: 150, cap: module });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(res.report.summary.packets).toBe(2);
  });

  test('an unknown interface, a bad filter, no permission, an unknown link type: LiveError, one line', async () => {
    await expect(runLive({ iface: 'nosuch0', cap: fakeCap([]).module })).rejects.toThrow(/cannot capture on nosuch0: no such interface \(interfaces: fake0, lo\)/);
    await expect(runLive({ iface: 'lo', filter: 'tcp portx 1', cap: fakeCap([], { openError: "can't parse filter expression: syntax error" }).module }))
      .rejects.toThrow(/^invalid --filter 'tcp portx 1': can't parse filter expression: syntax error$/);
    await expect(runLive({ iface: 'lo', cap: fakeCap([], { openError: "lo: You don't have permission to capture on that device (socket: Operation not permitted)" }).module }))
      .rejects.toThrow(/cannot capture on lo: .*permission.*run as root/);
    await expect(runLive({ iface: 'lo', cap: fakeCap([], { linkName: 'IEEE802_15_4' }).module, durationMs: 10 }))
      .rejects.toThrow(/unsupported link type \(IEEE802_15_4\)/);
  });
});

describe('helpers', () => {
  test('parseDuration', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('3')).toBe(3000);
    for (const bad of ['', '3x', '-1s', '0s', 's', '30 days']) expect(() => parseDuration(bad)).toThrow(LiveError);
  });

  test('linkTypeOf: cap names and DLT numbers to LINKTYPE_*', () => {
    expect(linkTypeOf('ETHERNET')).toBe(1);
    expect(linkTypeOf('NULL')).toBe(0);
    expect(linkTypeOf('RAW')).toBe(101);
    expect(linkTypeOf('LINKTYPE_LINUX_SLL')).toBe(113);
    expect(linkTypeOf('LINUX_SLL')).toBe(113);
    expect(linkTypeOf('Unknown linktype 276')).toBe(276);
    expect(linkTypeOf('Unknown linktype 12')).toBe(101);
    expect(linkTypeOf('bogus')).toBeNull();
  });
});

describe('PcapWriter', () => {
  test('streams a nanosecond pcap that the reader (and tshark) read back exactly', async () => {
    const path = join(tmp, 'w.pcap');
    const w = new PcapWriter(path, 1, 65535);
    const packets = [...refused(1, 2, 3), ...refused(4, 5, 6)];
    // Enough records to cross the 1 MiB chunk several times.
    const big = new Uint8Array(60_000).fill(7);
    const written: { sec: number; nsec: number; len: number }[] = [];
    for (let i = 0; i < 60; i++) {
      const data = i % 15 === 0 ? big : packets[i % packets.length]!;
      const t = { sec: 1_700_000_000 + i, nsec: (i * 123_456_789) % 1_000_000_000, len: data.length };
      w.write(t.sec, t.nsec, data, data.length + (i === 59 ? 10 : 0));
      written.push(t);
    }
    const bytes = w.bytes;
    w.close();
    const seen: { n: number; sec: number; nsec: number; len: number; orig: number }[] = [];
    const info = await readCapture(path, (f: Frame) => seen.push({ n: f.frameNumber, sec: f.tsSec, nsec: f.tsNsec, len: f.capturedLength, orig: f.originalLength }));
    expect(info).toMatchObject({ format: 'pcap', packets: 60, bytes, truncated: false, warnings: [] });
    expect(info.interfaces[0]).toMatchObject({ linkType: 1, snapLen: 65535, tsResolution: '10^-9' });
    expect(seen.map((s) => ({ sec: s.sec, nsec: s.nsec, len: s.len }))).toEqual(written);
    expect(seen.at(-1)!.orig).toBe(seen.at(-1)!.len + 10);
    if (hasTshark) {
      const t = spawnSync('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.time_epoch'], { encoding: 'utf8' });
      expect(t.status, t.stderr).toBe(0);
      expect(t.stdout.trim().split('\n')[1]).toBe('1700000001.123456789');
    }
  });
});

/** A directory with no node_modules/cap in it or above it (where Node would find one). */
function capFreeBase(): string | null {
  for (const base of [tmpdir(), '/var/tmp', '/dev/shm']) {
    let dir = base;
    let clean = existsSync(base);
    for (;;) {
      if (existsSync(join(dir, 'node_modules', 'cap'))) clean = false;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
    if (clean) return base;
  }
  return null;
}

/** A copy of the built package whose node_modules links everything but cap (and nan). */
function packageWithoutCap(base: string): string {
  const pkg = mkdtempSync(join(base, 'rstdiag-nocap-'));
  mkdirSync(join(pkg, 'node_modules'), { recursive: true });
  cpSync(join(ROOT, 'dist'), join(pkg, 'dist'), { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'rstdiag', type: 'module' }));
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name === 'cap' || name === 'nan' || name.startsWith('.')) continue;
    symlinkSync(join(ROOT, 'node_modules', name), join(pkg, 'node_modules', name));
  }
  return pkg;
}

function liveIn(pkg: string) {
  const cli = join(pkg, 'dist', 'cli', 'main.js');
  return spawnSync(process.execPath, [cli, 'live', '--interface', 'lo', '--duration', '1s'], { encoding: 'utf8', timeout: 30_000 });
}

describe('without cap', () => {
  const base = capFreeBase();

  test.skipIf(base === null)('not installed (npm dropped it): one stderr line, exit 2; other commands work', () => {
    const pkg = packageWithoutCap(base!);
    try {
      const r = liveIn(pkg);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^rstdiag: live capture needs the optional module cap \(libpcap\), .*could not build: apt-get install libpcap-dev, then npm install in \S+/);
      const other = spawnSync(process.execPath, [join(pkg, 'dist', 'cli', 'main.js'), 'analyze', join(SAMPLES, 'brnf-off/node-any.pcap'), '--format', 'json'], { encoding: 'utf8', timeout: 30_000 });
      expect(other.status, other.stderr).toBe(1);
      expect(other.stdout).toContain('unreversed-dnat');
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
  });

  test('installed but not built: one stderr line naming npm rebuild cap, exit 2', () => {
    const pkg = packageWithoutCap(tmp);
    try {
      mkdirSync(join(pkg, 'node_modules', 'cap', 'lib'), { recursive: true });
      writeFileSync(join(pkg, 'node_modules', 'cap', 'package.json'), JSON.stringify({ name: 'cap', version: '0.2.1', main: './lib/Cap' }));
      writeFileSync(join(pkg, 'node_modules', 'cap', 'lib', 'Cap.js'), "module.exports = require('../build/Release/cap.node');\n");
      const r = liveIn(pkg);
      expect(r.status, r.stderr).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^rstdiag: live capture needs the optional module cap \(libpcap\), which does not load \(not built\): apt-get install libpcap-dev, then npm rebuild cap in \S+$/);
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
  });
});

process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

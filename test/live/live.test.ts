/**
 * `rstdiag live` end to end on the loopback interface: refused connections made while the CLI
 * captures must be diagnosed live, and the --write file must re-analyse to the same findings.
 * Needs root (capture permission) and a built `cap` (libpcap-dev at npm install time); CI has both.
 */
import { describe, expect, test } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from '../helpers/samples.js';
import type { Report } from '../../src/report/types.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function capLoads(): boolean {
  try {
    createRequire(import.meta.url)('cap');
    return true;
  } catch {
    return false;
  }
}

const hasTshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;

/** A port on 127.0.0.1 that was free a moment ago (nothing listens on it afterwards). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** One connect from 127.0.0.1:localPort to the closed port; resolves with the error code. */
function refusedConnect(port: number, localPort: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1', localPort });
    const timer = setTimeout(() => { s.destroy(); resolve('TIMEOUT'); }, 2000);
    s.once('connect', () => { clearTimeout(timer); s.destroy(); resolve('CONNECTED'); });
    s.once('error', (e: NodeJS.ErrnoException) => { clearTimeout(timer); resolve(e.code ?? e.message); });
  });
}

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

describe.skipIf(!isRoot || !capLoads())('rstdiag live on lo (root, cap built)', () => {
  test('refused connects are found live, reported as JSON, and the --write pcap re-analyses the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rstdiag-live-'));
    const pcap = join(dir, 'lo.pcap');
    try {
      const closed = await freePort();
      const clientPorts: number[] = [];
      while (clientPorts.length < 3) {
        const p = await freePort();
        if (p !== closed && !clientPorts.includes(p)) clientPorts.push(p);
      }

      const child = spawn(process.execPath, [CLI, 'live', '--interface', 'lo', '--duration', '3s', '--format', 'json', '--write', pcap], {
        cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
      });
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
      const started = new Promise<void>((resolve) => {
        child.stderr.setEncoding('utf8').on('data', (d: string) => {
          stderr += d;
          if (stderr.includes('capturing on lo')) resolve();
        });
        child.once('exit', () => resolve());
      });
      const done = new Promise<Run>((resolve) => {
        child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      });

      await started;
      const outcomes: string[] = [];
      for (const lp of clientPorts) outcomes.push(await refusedConnect(closed, lp));
      expect(outcomes).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);

      const run = await done;
      clearTimeout(killer);
      expect(run.signal, run.stderr).toBeNull();
      // An error finding with the default --fail-on error: exit 1, as analyze.
      expect(run.code, run.stderr).toBe(1);

      const report = JSON.parse(run.stdout) as Report;
      expect(report.schemaVersion).toBe(1);
      expect(report.inputs[0]).toMatchObject({ path: 'live:lo', format: 'pcap', linkTypes: [1] });
      const server = `127.0.0.1:${closed}`;
      const found = report.findings.filter((f) => f.rule === 'connection-refused' && f.server === server);
      expect(found, JSON.stringify(report.findings)).toHaveLength(1);
      const f = found[0]!;
      // Attempts from one client address to one server are one finding, named by the first attempt.
      expect(f.client).toBe(`127.0.0.1:${clientPorts[0]}`);
      expect(f.resetBy).toBe('server');
      expect(f.resetSender).toBe('127.0.0.1');
      expect(f.backend).toBeNull();
      expect(f.count).toBe(3);
      expect(f.frames.length).toBe(6); // each SYN and each RST+ACK appears once on lo

      // Announced while capturing (stderr), before the report.
      expect(run.stderr).toMatch(new RegExp(`found .*connection-refused: 127\\.0\\.0\\.1 → 127\\.0\\.0\\.1:${closed}\\b`));
      expect(run.stderr.match(new RegExp(`connection-refused: 127\\.0\\.0\\.1 → 127\\.0\\.0\\.1:${closed}\\b`, 'g'))).toHaveLength(1);

      // The written capture: a classic pcap that analyze reads to the same findings and frames.
      expect(existsSync(pcap)).toBe(true);
      const re = spawnSync(process.execPath, [CLI, 'analyze', pcap, '--format', 'json'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
      expect(re.status, re.stderr).toBe(1);
      const again = JSON.parse(re.stdout) as Report;
      expect(again.findings).toEqual(report.findings);
      expect(again.summary).toEqual(report.summary);
      expect(again.inputs[0]).toMatchObject({
        format: 'pcap', packets: report.inputs[0]!.packets, bytes: report.inputs[0]!.bytes,
        firstTime: report.inputs[0]!.firstTime, lastTime: report.inputs[0]!.lastTime, truncated: false, warnings: [],
      });
      expect(readFileSync(pcap).length).toBe(report.inputs[0]!.bytes);

      if (hasTshark) {
        const t = spawnSync('tshark', ['-r', pcap, '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.flags.str'], { encoding: 'utf8' });
        expect(t.status, t.stderr).toBe(0);
        const rows = t.stdout.trim().split('\n').map((l) => l.split('\t'));
        expect(rows).toHaveLength(report.inputs[0]!.packets);
        for (const n of f.frames) {
          const row = rows[n - 1]!;
          expect([row[1], row[2]]).toContain(String(closed));
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

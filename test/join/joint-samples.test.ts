import { describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { analyze } from '../../src/analysis/analyze.js';
import { expectedOf, type ExpectedFinding } from '../../src/cli/check.js';
import type { Report } from '../../src/report/types.js';
/** samples/<scenario>/joint*.expected.json: captures of one run at several vantage points, analysed together. */
import type { JointExpectation } from '../../src/cli/check-joint.js';
import { ROOT, SAMPLES } from '../helpers/samples.js';

function jointExpectations(): string[] {
  const out: string[] = [];
  for (const dir of readdirSync(SAMPLES).sort()) {
    const d = join(SAMPLES, dir);
    if (!statSync(d).isDirectory()) continue;
    for (const name of readdirSync(d).sort()) if (/^joint.*\.expected\.json$/.test(name)) out.push(join(d, name));
  }
  return out;
}

const byKey = (f: ExpectedFinding): string => `${f.rule}|${f.client}|${f.server}|${f.backend}|${f.resetBy}|${f.count}`;
const sorted = <T extends ExpectedFinding>(fs: T[]): T[] => [...fs].sort((x, y) => byKey(x).localeCompare(byKey(y)));
const plain = (f: ExpectedFinding): ExpectedFinding =>
  ({ rule: f.rule, client: f.client, server: f.server, backend: f.backend, resetBy: f.resetBy, count: f.count });

/** Each error/warning finding with the inputs its evidence cites, in expectedOf's order. */
function found(report: Report): (ExpectedFinding & { evidenceInputs: number[] })[] {
  const diagnoses = report.findings.filter((f) => f.severity !== 'info');
  const rows = diagnoses.map((f) => ({ ...plain(f), evidenceInputs: [...new Set((f.evidence ?? []).map((e) => e.input))].sort((a, b) => a - b) }));
  return sorted(rows);
}

describe('several captures of one incident, analysed together', () => {
  const files = jointExpectations();
  test('there are joint expectations', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
  });
  for (const file of files) {
    test(relative(ROOT, file), async () => {
      const dir = join(file, '..');
      const exp = JSON.parse(readFileSync(file, 'utf8')) as JointExpectation;
      const a = await analyze(exp.inputs.map((i) => join(dir, i)));
      expect(found(a.report)).toEqual(sorted(exp.findings));
      expect(a.report.summary.connections).toBe(exp.connections);
      if (exp.best !== null) {
        // Exactly the causes of the best single vantage, each once, with its counts.
        const best = (JSON.parse(readFileSync(join(dir, `${exp.best}.expected.json`), 'utf8')) as { findings: ExpectedFinding[] }).findings;
        expect(sorted(exp.findings.map(plain))).toEqual(sorted(best.map(plain)));
        expect(expectedOf(a.report.findings)).toEqual(sorted(best.map(plain)));
        // One run on one host: every clock agrees to a millisecond.
        for (const i of a.report.inputs) expect(Math.abs(i.clockOffset ?? Infinity)).toBeLessThan(0.001);
      }
    });
  }
});

describe('clock offsets', () => {
  test('captures whose clocks differ by up to 2 s still join (editcap -t)', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'rstdiag-joint-'));
    try {
      const dir = join(SAMPLES, 'syn-retry-delay');
      const node = join(tmp, 'node-any-v4.pcap');
      const server = join(tmp, 'server-eth0-v4.pcap');
      execFileSync('editcap', ['-t', '-2', join(dir, 'node-any-v4.pcap'), node]);
      execFileSync('editcap', ['-t', '1.5', join(dir, 'server-eth0-v4.pcap'), server]);
      const a = await analyze([join(dir, 'client-eth0-v4.pcap'), node, server]);
      const exp = JSON.parse(readFileSync(join(dir, 'joint-v4.expected.json'), 'utf8')) as JointExpectation;
      expect(found(a.report)).toEqual(sorted(exp.findings));
      expect(a.report.summary.connections).toBe(3);
      const [o0, o1, o2] = a.report.inputs.map((i) => i.clockOffset);
      expect(o0).toBe(0);
      expect(o1).toBeCloseTo(-2, 3);
      expect(o2).toBeCloseTo(1.5, 3);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('where a packet vanished', () => {
  test('syn-retry-delay: the first SYN reached the node but not the server pod', async () => {
    const dir = join(SAMPLES, 'syn-retry-delay');
    const a = await analyze(['client-eth0-v4.pcap', 'node-any-v4.pcap', 'server-eth0-v4.pcap'].map((f) => join(dir, f)));
    const f = a.report.findings.find((x) => x.client === '10.244.0.2:40701')!;
    expect(f.explanation).toContain('is in client-eth0-v4.pcap (1#1) and node-any-v4.pcap (2#1) but not in server-eth0-v4.pcap, which saw its retransmission (3#1)');
    // The rule's own frame references name their input.
    expect(f.explanation).toContain('(frame 2#1)');
    // The node saw the first SYN of 40702 once (vethclient) and its retransmission twice (vethclient, vethserver).
    expect(f.explanation).toContain('which saw its retransmission (3#11): it was lost inside the host of node-any-v4.pcap, which saw it once and its retransmission twice (2#24)');
    // 40701's first SYN shows on two interfaces of the node, like its retransmission, and TTL 64 everywhere (bridged): no place.
    expect(f.explanation).toContain('which saw its retransmission (3#1): the packets do not order these points on its path');
    expect(f.frames[0]).toBe(1);
  });

  test('pmtu-blackhole: the large segment never reached the server pod', async () => {
    const dir = join(SAMPLES, 'pmtu-blackhole');
    const a = await analyze(['client-eth0-v4.pcap', 'node-any-v4.pcap', 'server-eth0-v4.pcap'].map((f) => join(dir, f)));
    expect(a.report.findings[0]!.explanation).toMatch(/with 1448 bytes .* but not in server-eth0-v4\.pcap, which saw a later/);
  });
});

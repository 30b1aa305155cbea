import { describe, expect, test } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck } from '../../src/cli/check.js';
import { SAMPLES } from '../helpers/samples.js';

async function check(paths: string[], update = false): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runCheck(paths, { update, out: (s) => { out += s; } });
  return { code, out };
}

describe('rstdiag check: joint expectations', () => {
  test('a directory: its captures, then its joint*.expected.json (several captures analysed together)', async () => {
    const { code, out } = await check([join(SAMPLES, 'syn-drop-two-nodes')]);
    expect(code).toBe(0);
    expect(out).toMatch(/PASS .*syn-drop-two-nodes\/joint\.expected\.json \(5 inputs\)\n/);
    expect(out).toMatch(/PASS .*syn-drop-two-nodes\/joint-ifaces\.expected\.json \(5 inputs\)\n/);
    expect(out).toMatch(/8 passed, 0 failed\n$/);
  });

  test('a joint expectation that no longer holds: the findings, cited inputs and connections that differ; --update writes them back as they were', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'rstdiag-check-joint-'));
    try {
      cpSync(join(SAMPLES, 'syn-drop-two-nodes'), tmp, { recursive: true });
      const file = join(tmp, 'joint.expected.json');
      const original = readFileSync(file, 'utf8');
      const exp = JSON.parse(original) as { connections: number; findings: { count: number; evidenceInputs: number[] }[] };
      exp.connections = 4;
      exp.findings[1]!.evidenceInputs = [1];
      writeFileSync(file, JSON.stringify(exp));
      const { code, out } = await check([file]);
      expect(code).toBe(1);
      expect(out).toContain('- expected: syn-timeout client=10.244.0.2:40802 server=10.96.0.10:80 backend=null resetBy=null count=1 evidence=[1]');
      expect(out).toContain('+ found:    syn-timeout client=10.244.0.2:40802 server=10.96.0.10:80 backend=null resetBy=null count=1 evidence=[0,1,2,3]');
      expect(out).toContain('  - expected: 4 connections\n  + found:    3 connections');
      await check([file], true);
      expect(readFileSync(file, 'utf8')).toBe(original);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('a joint expectation that names no inputs: one line, exit 2', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'rstdiag-check-joint-'));
    try {
      const file = join(tmp, 'joint.expected.json');
      writeFileSync(file, '{"inputs": ["a.pcap"]}');
      await expect(check([file])).rejects.toThrow(/a joint expectation names its "inputs" \(two or more captures\)/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

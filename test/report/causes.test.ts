/**
 * Causes: findings that one fix addresses roll up into one (each rule's meta.rollUp), counted
 * exactly however many distinct clients, while the report lists a bounded sample of findings.
 */
import { describe, expect, test } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { analyzeFrames } from '../helpers/in-memory.js';
import { tableFrames, type TablePacket } from '../helpers/rule-tester.js';
import { conversation } from '../rules/table-rows.js';
import { natHalves, refusal, strayReset, untranslatedSynAck } from '../rules/nat-rows.js';
import { RULES } from '../../src/rules/registry.js';
import { causeKey } from '../../src/rules/roll-up.js';
import type { Analysis } from '../../src/report/types.js';

/** `n` refusals, each from its own client address, spread over `servers` (the first gets the most). */
function refusals(n: number, servers: string[], t0 = 0): TablePacket[] {
  const rows: TablePacket[] = [];
  for (let i = 0; i < n; i++) {
    // Server i % (servers + 1), the first one twice as often: a most-frequent-first order to check.
    const server = servers[Math.max(0, (i % (servers.length + 1)) - 1)]!;
    rows.push(...refusal(conversation(`10.1.${i >> 8}.${(i & 255) + 1}:40000`, server, { ci: 50_000 + 10 * i }), t0 + i * 0.01));
  }
  return rows;
}

function analyze(rows: TablePacket[], batchSize?: number): Analysis {
  return analyzeFrames(tableFrames(rows.sort((a, b) => a.t - b.t)), { batchSize });
}

describe('roll-up into causes', () => {
  test('refusals on one port from many clients and three servers: one cause, servers most frequent first', () => {
    const a = analyze(refusals(12, ['10.0.0.3:8080', '10.0.0.4:8080', '10.0.0.5:8080']));
    expect(a.report.findings).toHaveLength(12);
    expect(a.report.causes).toHaveLength(1);
    const c = a.report.causes[0]!;
    expect(c).toMatchObject({ id: 'C1', rule: 'connection-refused', severity: 'error', clients: 12, count: 12, unlisted: 0,
      servers: ['10.0.0.3:8080', '10.0.0.4:8080', '10.0.0.5:8080'], moreServers: 0 });
    expect(c.title).toBe('Connection refused on port 8080: nothing listens there — 12 clients, 3 servers, 12 attempts');
    expect([...c.findings].sort()).toEqual(a.report.findings.map((f) => f.id).sort());
    expect(c.remediation).toEqual(a.report.findings.find((f) => f.id === c.findings[0])!.remediation);
  });

  test('refusals on two ports are two causes, the larger first', () => {
    const a = analyze([...refusals(2, ['10.0.0.3:9090'], 10), ...refusals(3, ['10.0.0.3:8080'])]);
    expect(a.report.causes.map((c) => [c.title.slice(0, 31), c.count])).toEqual([
      ['Connection refused on port 8080', 3], ['Connection refused on port 9090', 2]]);
  });

  test('unreversed DNAT from several clients to two Services is one node-level cause', () => {
    const rows: TablePacket[] = [];
    for (let i = 0; i < 4; i++) {
      const [service, backend] = i < 3 ? ['10.96.0.10:80', '10.244.0.7:8080'] : ['10.96.0.11:80', '10.244.0.8:8080'];
      const h = natHalves(`10.244.0.${20 + i}:40000`, service, backend, 3000 + i);
      rows.push(...untranslatedSynAck(h, i * 0.01), strayReset(h, i * 0.01 + 0.0003));
    }
    const a = analyze(rows);
    expect(a.report.findings.filter((f) => f.rule === 'unreversed-dnat')).toHaveLength(4);
    expect(a.report.causes).toHaveLength(1);
    expect(a.report.causes[0]!.title).toBe('br_netfilter off on this node: Service replies bridged without reverse NAT — 4 clients, 2 Services, 4 attempts');
    expect(a.report.causes[0]!.servers).toEqual(['10.96.0.10:80', '10.96.0.11:80']);
  });

  test('errors come before warnings whatever the counts', () => {
    // A refusal (error) and, from another client, aborts by the server (warning) on two connections.
    const k = conversation('10.2.0.1:40000', '10.0.0.9:9000');
    const k2 = conversation('10.2.0.1:40001', '10.0.0.9:9000', { ci: 7000 });
    const abort = (x: typeof k, at: number): TablePacket[] => [
      x.c(at, 'S', x.ci), x.s(at + 0.001, 'SA', x.si, x.ci + 1), x.c(at + 0.0011, 'A', x.ci + 1, x.si + 1),
      x.c(at + 0.002, 'PA', x.ci + 1, x.si + 1, { len: 10 }), x.s(at + 0.003, 'PA', x.si + 1, x.ci + 11, { len: 20 }),
      x.s(at + 0.0031, 'RA', x.si + 21, x.ci + 11)];
    const a = analyze([...abort(k, 0), ...abort(k2, 0.1), ...refusals(1, ['10.0.0.3:8080'], 0.2)]);
    expect(a.report.causes.map((c) => [c.rule, c.severity, c.count])).toEqual([
      ['connection-refused', 'error', 1], ['abortive-close', 'warning', 2]]);
  });

  for (const batchSize of [undefined, 7]) {
    test(`more findings than a cause keeps: counts stay exact, the rest is counted as unlisted (batch ${batchSize ?? 'default'})`, () => {
      const a = analyze(refusals(45, ['10.0.0.3:8080', '10.0.0.4:8080']), batchSize);
      const c = a.report.causes[0]!;
      expect(a.report.causes).toHaveLength(1);
      expect(c.findings).toHaveLength(20);
      expect(a.report.findings).toHaveLength(20);
      expect(c).toMatchObject({ count: 45, clients: 45, unlisted: 25, servers: ['10.0.0.3:8080', '10.0.0.4:8080'] });
      expect(a.report.summary.findingsByRule).toEqual({ 'connection-refused': 45 });
      expect(c.title).toContain('45 clients, 2 servers, 45 attempts');
      // The sample is the first clients (by first packet), wherever the batches fell.
      expect(a.report.findings.map((f) => f.client)).toEqual(Array.from({ length: 20 }, (_, i) => `10.1.0.${i + 1}:40000`));
    });
  }
});

describe('every rule declares its roll-up', () => {
  for (const rule of RULES) {
    test(rule.meta.id, () => {
      const { rollUp, messages } = rule.meta;
      for (const id of Object.keys(rollUp.titleFor ?? {})) expect(messages[id], `titleFor names message ${id}`).toBeTypeOf('object');
      const page = rule.meta.docs;
      expect(existsSync(page) && readFileSync(page, 'utf8')).toContain('## How it rolls up');
      // The key depends only on the declared fields: two findings alike in them share a cause.
      const base = { rule: rule.meta.id, severity: rule.meta.severity, messageId: 'x', resetBy: null, server: '10.0.0.1:80', backend: null, data: {} };
      expect(causeKey({ ...base, data: { unrelated: 1 } })).toBe(causeKey({ ...base, data: { unrelated: 2 } }));
    });
  }
});

describe('a filtered report keeps the causes of the findings it shows', () => {
  test('--port: only the matching cause, its findings restricted, its numbers whole', async () => {
    const { filterFindings } = await import('../../src/report/filter.js');
    const a = analyze([...refusals(3, ['10.0.0.3:9090'], 10), ...refusals(4, ['10.0.0.3:8080'])]);
    const f = filterFindings(a, { rules: null, hosts: null, ports: new Set([9090]), top: 2 });
    expect(f.report.causes.map((c) => [c.id, c.findings.length, c.count])).toEqual([['C2', 2, 3]]);
    expect(f.report.causes[0]!.findings.every((id) => f.report.findings.some((x) => x.id === id))).toBe(true);
  });
});

import { describe, expect, test } from 'vitest';
import { relative } from 'node:path';
import { analyze } from '../../src/analysis/analyze.js';
import { admits, Fact } from '../../src/rules/facts.js';
import { RULES } from '../../src/rules/registry.js';
import { ROOT, sampleCaptures } from '../helpers/samples.js';

// Each rule examines only the connections its meta.appliesTo admits. That must never hide a
// connection a rule fires on: every sample's report is the same when every rule sees every
// connection (the RuleTester checks each of its packet tables the same way).
describe('routing rules to their candidates changes no report', () => {
  for (const cap of sampleCaptures()) {
    test(relative(ROOT, cap), async () => {
      const routed = await analyze([cap], { connections: true });
      const everyConnection = await analyze([cap], { connections: true, routeRules: false });
      expect(routed.report).toEqual(everyConnection.report);
    });
  }
});

describe('fact tests', () => {
  test('all, any and none', () => {
    const t = [{ all: Fact.Established, any: Fact.Rst, none: Fact.Linked }];
    expect(admits(t, Fact.Established | Fact.RstResp, 0)).toBe(true);
    expect(admits(t, Fact.Established, 0)).toBe(false);
    expect(admits(t, Fact.RstOrig, 0)).toBe(false);
    expect(admits(t, Fact.Established | Fact.RstOrig | Fact.Linked, 0)).toBe(false);
  });

  test('a peer test needs a linked NAT half that passes it', () => {
    const t = [{ all: Fact.NatOriginal, peer: { any: Fact.Rst } }];
    expect(admits(t, Fact.NatOriginal | Fact.Linked, Fact.RstOrig)).toBe(true);
    expect(admits(t, Fact.NatOriginal | Fact.Linked, Fact.Established)).toBe(false);
    expect(admits(t, Fact.NatOriginal, Fact.RstOrig)).toBe(false);
  });

  test('any of several tests admits', () => {
    expect(admits([{ all: Fact.Icmp }, { all: Fact.Idle }], Fact.Idle, 0)).toBe(true);
    expect(admits([], Fact.Idle, 0)).toBe(false);
  });

  test('every rule declares the connections it examines (only unreversed-dnat starts from the NAT links)', () => {
    for (const r of RULES) expect(r.meta.appliesTo.length === 0, r.meta.id).toBe(r.meta.id === 'unreversed-dnat');
  });
});

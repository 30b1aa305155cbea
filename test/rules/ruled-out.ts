/**
 * ruledOut cases beside a rule's RuleTester table: the tester compares findings field by field but
 * not ruledOut, so these run the same packet tables through analyzeTable and compare, for each
 * finding of the rule (report order), the rule ids it rules out and facts its lines quote.
 */

import { describe, expect, it } from 'vitest';
import { analyzeTable, type TablePacket } from '../helpers/rule-tester.js';
import type { RuleId } from '../../src/rules/types.js';

export interface RuledOutCase {
  name: string;
  packets: TablePacket[];
  serviceCidrs?: string[];
  /** Per finding of the rule, the rule ids of its ruledOut, in order. */
  ruledOut: RuleId[][];
  /** Per finding, per entry: text its "why" must contain (a frame, a TTL…); shorter lists check fewer. */
  why?: string[][];
}

export function ruledOutCases(rule: RuleId, cases: readonly RuledOutCase[]): void {
  describe(`${rule}: ruledOut`, () => {
    for (const c of cases) {
      it(c.name, () => {
        const findings = analyzeTable(c.packets, { serviceCidrs: c.serviceCidrs }).filter((f) => f.rule === rule);
        expect(findings.map((f) => f.ruledOut.map((r) => r.rule))).toEqual(c.ruledOut);
        for (const f of findings) {
          for (const r of f.ruledOut) expect(r.why, 'a rendered line, no template left').toMatch(/^[^{}]+$/);
        }
        (c.why ?? []).forEach((entries, i) => entries.forEach((text, j) => expect(findings[i]!.ruledOut[j]!.why).toContain(text)));
      });
    }
  });
}

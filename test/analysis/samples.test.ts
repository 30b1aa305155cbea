import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { analyze } from '../../src/analysis/analyze.js';
import { expectedOf, type Expectation } from '../../src/cli/check.js';
import { ROOT, sampleCaptures } from '../helpers/samples.js';

// Every real capture in samples/ yields exactly the diagnoses its lab script says it should
// (the expectation files hold the truth from how the capture was made, not the tool's output).
describe('real sample captures', () => {
  const captures = sampleCaptures();
  test('there are samples to check', () => {
    expect(captures.length).toBeGreaterThanOrEqual(20);
  });
  for (const cap of captures) {
    test(relative(ROOT, cap), async () => {
      const expected = (JSON.parse(readFileSync(`${cap}.expected.json`, 'utf8')) as Expectation).findings;
      const a = await analyze([cap]);
      const sortKey = (f: { rule: string; client: string | null; resetBy: string | null }) => `${f.rule}|${f.client}|${f.resetBy}`;
      expect(expectedOf(a.report.findings)).toEqual([...expected].sort((x, y) => sortKey(x).localeCompare(sortKey(y))).map((f) => ({
        rule: f.rule, client: f.client, server: f.server, backend: f.backend, resetBy: f.resetBy, count: f.count,
      })));
      // Healthy captures: nothing at error severity.
      if (expected.length === 0) expect(a.report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    });
  }
});

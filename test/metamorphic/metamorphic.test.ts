/**
 * Metamorphic tests over every sample (issue 14): each sample capture is varied in memory
 * (variants.ts, ipv6.ts) and the diagnosis must stay the same or become weaker (invariant.ts):
 * never a different rule at error, never silence while resets are counted, and for healthy
 * samples never an error. Every packet is dropped in turn in captures of up to 80 packets (a
 * representative subset in larger ones); one `-i any` copy is added and one removed; `npm run
 * sweep` runs every position.
 *
 * Cells that fail today are listed in known-failures.ts and run as `test.fails`.
 */
import { describe, expect, test } from 'vitest';
import { passes } from './invariant.js';
import { KNOWN_FAILURES } from './known-failures.js';
import { keepsMessages, loadSamples, messagesOf, runCase, variantCases } from './matrix.js';

const samples = await loadSamples();
const keys = new Set<string>();

for (const sample of samples) {
  describe(sample.name, () => {
    for (const c of variantCases(sample, false)) {
      const key = `${sample.name} × ${c.label}`;
      keys.add(key);
      const known = KNOWN_FAILURES[key];
      (known === undefined ? test : test.fails)(known === undefined ? c.label : `${c.label} (known: ${known})`, () => {
        const cell = runCase(sample, c);
        expect(passes(cell.outcome), `${cell.outcome}: ${cell.detail}`).toBe(true);
      });
      if (!keepsMessages(c)) continue;
      const messagesKey = `${sample.name} × ${c.label} messages`;
      keys.add(messagesKey);
      const knownMessages = KNOWN_FAILURES[messagesKey];
      (knownMessages === undefined ? test : test.fails)(`${c.label}: the same messages${knownMessages === undefined ? '' : ` (known: ${knownMessages})`}`, () => {
        expect(runCase(sample, c).messages).toEqual(messagesOf(sample.original));
      });
    }
  });
}

test('every known failure names a cell that exists', () => {
  expect(Object.keys(KNOWN_FAILURES).filter((k) => !keys.has(k))).toEqual([]);
});

test('the samples analyse as their expectations say (the baseline the variants are judged against)', () => {
  for (const s of samples) {
    const rules = s.original.findings.filter((f) => f.severity !== 'info').map((f) => f.rule).sort();
    expect(rules, s.name).toEqual(s.expected.map((e) => e.rule).sort());
  }
});

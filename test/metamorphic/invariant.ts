/**
 * The metamorphic invariant: what a variant of a sample may do to the diagnosis.
 *
 *   same             every expected finding's rule is still found, at least at the severity the
 *                    unmodified sample gets (healthy samples: no finding at all)
 *   weaker           not `same`, and no error of another rule: the expected rule at a lower
 *                    severity, a warning of another rule, an info (unexplained-reset), or nothing
 *                    at all when nothing is left to explain (no reset in the variant); healthy
 *                    samples: warnings or infos, no error
 *   silent           no finding at all while the variant's summary counts resets (a sample with
 *                    expected findings): the tool said nothing about a reset it counted
 *   different-error  an `error` finding of a rule the sample does not expect (healthy samples:
 *                    any error): the user is sent after the wrong cause
 *
 * `same` and `weaker` pass; `silent` and `different-error` break the invariant.
 */

import type { RuleId, Severity } from '../../src/rules/types.js';
import type { ExpectedFinding, Result } from './frames.js';

export type Outcome = 'same' | 'weaker' | 'silent' | 'different-error';
export const OUTCOMES: readonly Outcome[] = ['same', 'weaker', 'silent', 'different-error'];

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** The unmodified sample's expectations and the severity it gets for each expected rule. */
export interface Baseline {
  expected: readonly ExpectedFinding[];
  /** The lowest severity the unmodified sample's findings of each expected rule get. */
  severity: ReadonlyMap<RuleId, Severity>;
}

export function baselineOf(expected: readonly ExpectedFinding[], original: Result): Baseline {
  const severity = new Map<RuleId, Severity>();
  for (const e of expected) {
    const got = original.findings.filter((f) => f.rule === e.rule).map((f) => f.severity);
    // A rule the sample itself misses is held to `error` (the expectation files list error/warning findings).
    const lowest = got.length === 0 ? 'error' : got.reduce((a, b) => (RANK[b] < RANK[a] ? b : a));
    severity.set(e.rule, lowest);
  }
  return { expected, severity };
}

export function passes(o: Outcome): boolean {
  return o === 'same' || o === 'weaker';
}

/** The outcome of one variant, and one line saying what was found. */
/**
 * Rules that name one cause seen from different places: synack-rejected is unreversed-dnat seen
 * where the NAT'd half is not linked (DESIGN.md: "NAT asymmetry on the client's side").
 */
const SAME_CAUSE: readonly (readonly RuleId[])[] = [['unreversed-dnat', 'synack-rejected']];

function withSameCause(rules: Set<RuleId>): Set<RuleId> {
  for (const family of SAME_CAUSE) if (family.some((r) => rules.has(r))) for (const r of family) rules.add(r);
  return rules;
}

export function classify(baseline: Baseline, result: Result): { outcome: Outcome; detail: string } {
  const found = result.findings.map((f) => `${f.rule}/${f.severity}`).join(', ') || 'no findings';
  const detail = `${found}; ${result.resets} resets`;
  const expectedRules = withSameCause(new Set(baseline.expected.map((e) => e.rule)));
  const wrong = result.findings.find((f) => f.severity === 'error' && !expectedRules.has(f.rule));
  if (wrong !== undefined) return { outcome: 'different-error', detail };
  if (baseline.expected.length === 0) return { outcome: result.findings.length === 0 ? 'same' : 'weaker', detail };
  const want = new Map<RuleId, number>();
  for (const e of baseline.expected) want.set(e.rule, (want.get(e.rule) ?? 0) + 1);
  const same = [...want].every(([rule, n]) => {
    const floor = RANK[baseline.severity.get(rule) ?? 'error'];
    return result.findings.filter((f) => f.rule === rule && RANK[f.severity] >= floor).length >= n;
  });
  if (same) return { outcome: 'same', detail };
  if (result.findings.length === 0 && result.resets > 0) return { outcome: 'silent', detail };
  return { outcome: 'weaker', detail };
}

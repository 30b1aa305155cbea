import { describe, expect, test } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RULES } from '../../src/rules/registry.js';
import { explainRule } from '../../src/cli/explain.js';
import type { RuleId } from '../../src/rules/types.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The rule ids of DESIGN.md ("Rule ids"): every one has a page, implemented yet or not. */
const DESIGN_RULE_IDS: readonly RuleId[] = [
  'unreversed-dnat',
  'synack-rejected',
  'unreversed-nat-midstream',
  'connection-refused',
  'icmp-rejected',
  'abortive-close',
  'idle-timeout',
  'injected-reset',
  'stale-connection',
  'syn-timeout',
  'unexplained-reset',
  'challenge-ack',
  'accept-queue-overflow',
  'pmtu-blackhole',
  'syn-retry-delay',
  'peer-unresponsive',
];

/** Section headings every page has, in this order (`rstdiag explain` prints the page as is). */
const SECTIONS = ['The packet pattern', 'Why it happens', 'How to confirm', 'The fix', 'Example'];

function checkPage(id: string, page: string): void {
  expect(page.split('\n')[0]).toBe(`# ${id}`);
  const headings = page.split('\n').filter((l) => l.startsWith('## ')).map((l) => l.slice(3));
  let last = -1;
  for (const s of SECTIONS) {
    const at = headings.findIndex((h) => h.startsWith(s));
    expect(at, `${id}: section "${s}"`).toBeGreaterThan(last);
    last = at;
  }
  expect(page).toMatch(/severity/i);
  // Every capture the page points at is in the repository.
  for (const m of page.matchAll(/samples\/[\w./-]+?\.pcap\b/g)) {
    expect(existsSync(ROOT + m[0]), `${id}: ${m[0]} exists`).toBe(true);
  }
}

describe('rstdiag explain <rule>', () => {
  test('the registry has rules', () => {
    expect(RULES.length).toBeGreaterThanOrEqual(8);
  });

  for (const rule of RULES) {
    const id = rule.meta.id;
    test(`${id}: meta.docs names an existing page`, () => {
      expect(rule.meta.docs).toBe(`docs/rules/${id}.md`);
      expect(existsSync(ROOT + rule.meta.docs)).toBe(true);
    });
    test(`${id}: explainRule returns the page with every section`, () => {
      const page = explainRule(id);
      expect(page).not.toBeNull();
      expect(page).toBe(readFileSync(ROOT + rule.meta.docs, 'utf8'));
      checkPage(id, page!);
    });
  }

  test('an unknown rule has no page', () => {
    expect(explainRule('no-such-rule')).toBeNull();
  });
});

describe('docs/rules', () => {
  for (const id of DESIGN_RULE_IDS) {
    test(`${id}: has a page with every section`, () => {
      const path = `${ROOT}docs/rules/${id}.md`;
      expect(existsSync(path)).toBe(true);
      checkPage(id, readFileSync(path, 'utf8'));
    });
  }

  test('every implemented rule is one of the DESIGN.md ids', () => {
    for (const rule of RULES) expect(DESIGN_RULE_IDS).toContain(rule.meta.id);
  });
});

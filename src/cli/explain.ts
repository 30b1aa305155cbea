import { readFileSync } from 'node:fs';
import { RULES, findRule } from '../rules/registry.js';

/** The rule ids, alphabetically. */
export function ruleIds(): string[] {
  return RULES.map((r) => r.meta.id as string).sort();
}

/** One line per rule: id, default severity, title (what `rstdiag explain` alone prints). */
export function ruleIndex(): string {
  const rules = [...RULES].sort((a, b) => a.meta.id.localeCompare(b.meta.id));
  const width = Math.max(...rules.map((r) => r.meta.id.length));
  const lines = rules.map((r) => `  ${r.meta.id.padEnd(width)}  ${r.meta.severity.padEnd(7)}  ${r.meta.title}`);
  return `Rules (rstdiag explain RULE prints one's page):\n${lines.join('\n')}\n`;
}

/** The line for an unknown rule id. */
export function unknownRule(id: string, flag: string): string {
  return `${flag}unknown rule '${id}'; the rules are ${ruleIds().join(', ')}`;
}

/** The rule's documentation page (docs/rules/<id>.md shipped with the package), or null. */
export function explainRule(id: string): string | null {
  const rule = findRule(id);
  if (rule === undefined) return null;
  try {
    return readFileSync(new URL(`../../${rule.meta.docs}`, import.meta.url), 'utf8');
  } catch {
    return `# ${rule.meta.id}\n\n${rule.meta.title}\n\n${rule.meta.description}\n`;
  }
}

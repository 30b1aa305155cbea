import { readFileSync } from 'node:fs';
import { findRule } from '../rules/registry.js';

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

import type { Rule, RuleId } from './types.js';
import { unreversedDnat } from './unreversed-dnat.js';
import { synackRejected } from './synack-rejected.js';

/**
 * Every rule, in evaluation order: the more specific explanations first, so a connection they
 * claim is not explained again by a generic rule (synack-rejected after unreversed-dnat, say).
 */
export const RULES: readonly Rule[] = [
  unreversedDnat,
  synackRejected,
];

export function findRule(id: string): Rule | undefined {
  return RULES.find((r) => r.meta.id === (id as RuleId));
}

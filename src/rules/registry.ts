import type { Rule, RuleId } from './types.js';
import { unreversedDnat } from './unreversed-dnat.js';
import { synackRejected } from './synack-rejected.js';
import { unreversedNatMidstream } from './unreversed-nat-midstream.js';
import { connectionRefused } from './connection-refused.js';
import { icmpRejected } from './icmp-rejected.js';
import { synTimeout } from './syn-timeout.js';
import { staleConnection } from './stale-connection.js';
import { abortiveClose } from './abortive-close.js';
import { injectedReset } from './injected-reset.js';
import { idleTimeout } from './idle-timeout.js';

/**
 * Every rule, in evaluation order: the more specific explanations first, so a connection they
 * claim is not explained again by a generic rule (synack-rejected after unreversed-dnat,
 * abortive-close last).
 */
export const RULES: readonly Rule[] = [
  unreversedDnat,
  synackRejected,
  unreversedNatMidstream,
  injectedReset,
  connectionRefused,
  icmpRejected,
  synTimeout,
  idleTimeout,
  staleConnection,
  abortiveClose,
];

export function findRule(id: string): Rule | undefined {
  return RULES.find((r) => r.meta.id === (id as RuleId));
}

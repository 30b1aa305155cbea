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
import { unexplainedReset } from './unexplained-reset.js';
import { challengeAck } from './challenge-ack.js';
import { acceptQueueOverflow } from './accept-queue-overflow.js';
import { pmtuBlackhole } from './pmtu-blackhole.js';
import { synRetryDelay } from './syn-retry-delay.js';
import { peerUnresponsive } from './peer-unresponsive.js';

const ALL: readonly Rule[] = [
  abortiveClose, acceptQueueOverflow, challengeAck, connectionRefused, icmpRejected, idleTimeout, injectedReset, peerUnresponsive,
  pmtuBlackhole, staleConnection, synRetryDelay, synTimeout, synackRejected, unexplainedReset, unreversedDnat, unreversedNatMidstream,
];

/**
 * The rules in evaluation order, derived from their `yieldsTo` declarations: a rule runs after
 * every rule it yields to, so a connection the more specific explanation claims is not explained
 * again by a generic one. Among rules free to run, the order is by id (file order means nothing).
 * Throws on a cycle.
 */
export function evaluationOrder(rules: readonly Rule[]): Rule[] {
  const byId = new Map(rules.map((r) => [r.meta.id, r]));
  const waitingOn = new Map(rules.map((r) => [r.meta.id, new Set(r.meta.yieldsTo.filter((id) => byId.has(id)))]));
  const order: Rule[] = [];
  while (waitingOn.size > 0) {
    const free = [...waitingOn].filter(([, deps]) => deps.size === 0).map(([id]) => id).sort();
    const next = free[0];
    if (next === undefined) throw new Error(`rule precedence has a cycle among: ${[...waitingOn.keys()].join(', ')}`);
    waitingOn.delete(next);
    for (const deps of waitingOn.values()) deps.delete(next);
    order.push(byId.get(next)!);
  }
  return order;
}

export const RULES: readonly Rule[] = evaluationOrder(ALL);

const RULE_BY_ID = new Map<string, Rule>(RULES.map((r) => [r.meta.id, r]));

export function findRule(id: string): Rule | undefined {
  return RULE_BY_ID.get(id as RuleId);
}

/** The rule of a finding (every finding's rule is registered). */
export function ruleOf(id: RuleId): Rule {
  const rule = RULE_BY_ID.get(id);
  if (rule === undefined) throw new Error(`unknown rule ${id}`);
  return rule;
}

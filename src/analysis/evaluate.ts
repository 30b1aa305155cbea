import type { Connection } from '../flow/types.js';
import type { NatLink } from '../nat/linker.js';
import { RULES } from '../rules/registry.js';
import type { FindingDraft, RuleContext } from '../rules/types.js';
import { RuleRouter } from './route.js';

const ROUTER = new RuleRouter(RULES);

/**
 * Every rule, in the registry's precedence order, over these connections: a connection one rule
 * claims is not explained again by a later one. Each rule walks only the connections its
 * `meta.appliesTo` admits (`routed` false: every connection, as tests compare). `links`: the NAT
 * links whose original half is among the connections (NatLinker.linksAmong).
 */
export function evaluateRules(connections: Connection[], links: readonly NatLink[],
  isServiceAddress: (addr: string) => boolean | null, oneDirection = false, routed = true,
  lastSentBy: (addr: string) => number = () => NaN): FindingDraft[] {
  const claimed = new Set<Connection>();
  const named = new Set<Connection>();
  // Connections by client endpoint: indexed on a rule's first question (few captures need it).
  let byClient: Map<string, Connection[]> | null = null;
  const clientIndex = (): Map<string, Connection[]> => {
    if (byClient !== null) return byClient;
    byClient = new Map();
    for (const c of connections) {
      const list = byClient.get(c.orig.text);
      if (list) list.push(c);
      else byClient.set(c.orig.text, [c]);
    }
    return byClient;
  };
  const ctx: RuleContext = {
    connections,
    candidates: connections,
    links,
    isClaimed: (c) => claimed.has(c),
    claim: (c) => void claimed.add(c),
    isExplained: (c) => claimed.has(c) || named.has(c),
    byClient: (e) => clientIndex().get(e) ?? [],
    isServiceAddress,
    lastSentBy,
    oneDirection,
  };
  const drafts: FindingDraft[] = [];
  const candidates = routed ? ROUTER.route(connections) : null;
  for (let i = 0; i < RULES.length; i++) {
    ctx.candidates = candidates === null ? connections : candidates[i]!;
    for (const d of RULES[i]!.detect(ctx)) {
      drafts.push(d);
      for (const c of d.connections) named.add(c);
    }
  }
  return drafts;
}

import { RULES } from '../rules/registry.js';
import type { FindingDraft, RuleId, Severity } from '../rules/types.js';
import type { ConnectionGroups } from './connections.js';

/** A finding of one input. */
export interface InputDraft {
  input: number;
  draft: FindingDraft;
  /** How many attempts its evidence shows, when fewer than its count (CaptureResult.shownAttempts). */
  shown: number | undefined;
}

/** One cause seen from several inputs: the strongest view, and every view of it. */
export interface MergedFinding {
  best: InputDraft;
  views: InputDraft[];
  /** Connection groups the views cover. */
  groups: Set<number>;
  /** Connections or attempts covered, each counted once. */
  count: number;
}

/** Rules a rule yields to, directly or through others (they are the more specific explanations). */
function yieldClosure(): Map<RuleId, Set<RuleId>> {
  const direct = new Map(RULES.map((r) => [r.meta.id, r.meta.yieldsTo]));
  const closure = new Map<RuleId, Set<RuleId>>();
  for (const r of RULES) {
    const seen = new Set<RuleId>();
    const todo = [...r.meta.yieldsTo];
    while (todo.length > 0) {
      const id = todo.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      todo.push(...(direct.get(id) ?? []));
    }
    closure.set(r.meta.id, seen);
  }
  return closure;
}

const YIELDS = yieldClosure();
const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/**
 * Negative when `a` is the stronger view: the more specific rule (the one the other yields to),
 * then severity, a view that saw the NAT'd half (backend known), more attempts, confidence,
 * more evidence, the earlier input.
 */
function compareViews(a: InputDraft, b: InputDraft): number {
  const x = a.draft;
  const y = b.draft;
  if (YIELDS.get(y.rule)?.has(x.rule)) return -1;
  if (YIELDS.get(x.rule)?.has(y.rule)) return 1;
  return SEVERITY_RANK[x.severity] - SEVERITY_RANK[y.severity]
    || Number(y.backend !== null) - Number(x.backend !== null)
    || y.count - x.count
    || y.confidence - x.confidence
    || y.evidence.length - x.evidence.length
    || a.input - b.input;
}

/**
 * Findings of several inputs that cover one connection (the same group) are one cause: they
 * merge, transitively, into the strongest view. The count is the strongest view's, plus the
 * connections that other views of the same rule cover and it does not.
 */
export function mergeFindings(drafts: readonly InputDraft[], groups: ConnectionGroups): MergedFinding[] {
  const groupsOf = drafts.map((d) => {
    const s = new Set<number>();
    for (const c of d.draft.connections) {
      const g = groups.groupOf(d.input, c.id);
      if (g !== undefined) s.add(g);
    }
    return s;
  });
  const parent = drafts.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const owner = new Map<number, number>();
  groupsOf.forEach((gs, i) => {
    for (const g of gs) {
      const o = owner.get(g);
      if (o === undefined) owner.set(g, i);
      else parent[find(i)] = find(o);
    }
  });
  const clusters = new Map<number, number[]>();
  drafts.forEach((_, i) => {
    const r = find(i);
    const list = clusters.get(r);
    if (list) list.push(i);
    else clusters.set(r, [i]);
  });
  const merged: MergedFinding[] = [];
  for (const members of clusters.values()) {
    const views = members.map((i) => drafts[i]!);
    const best = views.slice().sort(compareViews)[0]!;
    const covered = new Set<number>();
    for (const i of members) for (const g of groupsOf[i]!) covered.add(g);
    const own = groupsOf[drafts.indexOf(best)]!;
    const extra = new Set<number>();
    for (const i of members) {
      if (drafts[i]!.draft.rule !== best.draft.rule || drafts[i] === best) continue;
      for (const g of groupsOf[i]!) if (!own.has(g)) extra.add(g);
    }
    merged.push({ best, views, groups: covered, count: best.draft.count + extra.size });
  }
  return merged;
}

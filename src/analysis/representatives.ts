import type { Connection } from '../flow/types.js';
import { ruleOf } from '../rules/registry.js';
import type { FindingDraft } from '../rules/types.js';

/** Attempts of one diagnosis, as a batch's rules drafted them: kept whole or dropped whole. */
interface Unit {
  conns: Connection[];
  minId: number;
  /** Attempts it stands for (1, or a whole draft when its connections do not split into attempts). */
  weight: number;
}

/** One diagnosis across batches: its first attempts kept as representatives, the rest counted. */
export interface Diagnosis {
  units: Unit[];
  repConns: number;
  /** Attempts whose connections were released (not representatives). */
  dropped: number;
  /** Finding-id lists of released --connections rows this diagnosis covers. */
  rowLists: string[][];
}

/**
 * The diagnosis a draft describes: its rule and message, the endpoints, and the data fields the
 * rule declares as telling its diagnoses apart (ports and counts are not part of a diagnosis).
 */
function diagnosisKey(d: FindingDraft): string {
  const clientAddr = d.client === null ? '' : d.client.slice(0, d.client.lastIndexOf(':'));
  const variant = (ruleOf(d.rule).meta.distinguishBy ?? []).map((k) => String(d.data[k]));
  return [d.rule, d.messageId, clientAddr, d.server, d.backend, d.resetBy, d.resetSender, d.severity,
    (d.detectors ?? []).join(','), ...variant].join('|');
}

/** A draft's connections as attempts: each connection with its NAT peer when the draft holds both. */
function unitsOf(d: FindingDraft): Unit[] {
  const inDraft = new Set(d.connections);
  const seen = new Set<Connection>();
  const units: Unit[] = [];
  for (const c of d.connections) {
    if (seen.has(c)) continue;
    const conns = [c];
    seen.add(c);
    const peer = c.natPeer;
    if (peer !== null && inDraft.has(peer) && !seen.has(peer)) {
      conns.push(peer);
      seen.add(peer);
    }
    units.push({ conns, minId: Math.min(...conns.map((x) => x.id)), weight: 1 });
  }
  if (units.length === d.count) return units;
  // Not one attempt per unit (e.g. a leak across two 4-tuples): keep the draft whole.
  const all = [...seen];
  return [{ conns: all, minId: Math.min(...all.map((x) => x.id)), weight: d.count }];
}

/** What the last evaluation's drafts stand for beyond their own connections. */
export interface Settlement {
  /** Finding-id lists of released --connections rows that a draft covers. */
  releasedFindings: Map<FindingDraft, string[][]>;
  /** Drafts whose count now includes released attempts: how many attempts their evidence shows. */
  shownAttempts: Map<FindingDraft, number>;
}

/**
 * Per diagnosis, the first attempts kept as representatives (up to `limit` connections); the
 * others counted and released. `release` lets go of a connection of an earlier batch that stops
 * being a representative.
 */
export class Representatives {
  private readonly diagnoses = new Map<string, Diagnosis>();
  /** Representative connection → its diagnoses. */
  private readonly repOf = new Map<Connection, Diagnosis[]>();

  constructor(private readonly limit: number, private readonly release: (c: Connection, diagnoses: Diagnosis[]) => void) {}

  has(c: Connection): boolean {
    return this.repOf.has(c);
  }

  connections(): Connection[] {
    return [...this.repOf.keys()];
  }

  /**
   * A batch's drafts: each attempt joins its diagnosis. Returns the diagnoses of each connection
   * the drafts name (for its --connections row); connections of `batch` are released by the caller.
   */
  account(drafts: readonly FindingDraft[], batch: ReadonlySet<Connection>): Map<Connection, Diagnosis[]> {
    const inDiagnosis = new Map<Connection, Diagnosis[]>();
    for (const d of drafts) {
      const key = diagnosisKey(d);
      let diagnosis = this.diagnoses.get(key);
      if (diagnosis === undefined) {
        diagnosis = { units: [], repConns: 0, dropped: 0, rowLists: [] };
        this.diagnoses.set(key, diagnosis);
      }
      for (const c of d.connections) {
        const list = inDiagnosis.get(c);
        if (list === undefined) inDiagnosis.set(c, [diagnosis]);
        else if (!list.includes(diagnosis)) list.push(diagnosis);
      }
      this.addUnits(diagnosis, unitsOf(d), batch);
    }
    return inDiagnosis;
  }

  /** Keep a diagnosis' lowest-id attempts (up to `limit` connections); count and release the rest. */
  private addUnits(diagnosis: Diagnosis, units: Unit[], batch: ReadonlySet<Connection>): void {
    for (const u of units) {
      diagnosis.units.push(u);
      diagnosis.repConns += u.conns.length;
      for (const c of u.conns) {
        const list = this.repOf.get(c);
        if (list === undefined) this.repOf.set(c, [diagnosis]);
        else if (!list.includes(diagnosis)) list.push(diagnosis);
      }
    }
    if (diagnosis.repConns <= this.limit) return;
    diagnosis.units.sort((a, b) => a.minId - b.minId);
    while (diagnosis.units.length > 1 && diagnosis.repConns > this.limit) {
      const u = diagnosis.units.pop()!;
      diagnosis.repConns -= u.conns.length;
      diagnosis.dropped += u.weight;
      for (const c of u.conns) {
        const list = this.repOf.get(c);
        if (list === undefined) continue;
        const rest = list.filter((a) => a !== diagnosis);
        if (rest.length > 0) this.repOf.set(c, rest);
        else {
          this.repOf.delete(c);
          // From an earlier batch: release it now (the current batch releases its own).
          if (!batch.has(c)) this.release(c, [diagnosis]);
        }
      }
    }
  }

  /**
   * The final evaluation's drafts: attempts counted but released are added to the finding their
   * representatives now belong to (its count grows; its evidence shows the representatives).
   */
  settle(drafts: readonly FindingDraft[]): Settlement {
    const releasedFindings = new Map<FindingDraft, string[][]>();
    const shownAttempts = new Map<FindingDraft, number>();
    const used = new Set<Diagnosis>();
    for (const d of drafts) {
      let dropped = 0;
      const lists: string[][] = [];
      for (const c of d.connections) {
        for (const diagnosis of this.repOf.get(c) ?? []) {
          if (used.has(diagnosis)) continue;
          used.add(diagnosis);
          dropped += diagnosis.dropped;
          lists.push(...diagnosis.rowLists);
        }
      }
      if (lists.length > 0) releasedFindings.set(d, lists);
      if (dropped > 0) {
        shownAttempts.set(d, d.count);
        d.count += dropped;
      }
    }
    return { releasedFindings, shownAttempts };
  }
}

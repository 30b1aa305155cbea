import type { Connection } from '../flow/types.js';
import { ruleOf } from '../rules/registry.js';
import { draftCause } from '../rules/roll-up.js';
import type { EvidencePacket, FindingDraft } from '../rules/types.js';
import { AddressSet } from './address-set.js';
import { KeyHashSet } from './key-hash-set.js';

/** Attempts of one diagnosis, as a batch's rules drafted them: kept whole or dropped whole. */
interface Unit {
  conns: Connection[];
  minId: number;
  /** Attempts it stands for (1, or a whole draft when its connections do not split into attempts). */
  weight: number;
}

/** One diagnosis across batches: its first attempts kept as representatives, the rest counted. */
export interface Diagnosis {
  key: string;
  clientAddr: string;
  server: string | null;
  /** Lowest connection id among its attempts (which diagnoses of a cause are kept). */
  minId: number;
  first: EvidencePacket | null;
  last: EvidencePacket | null;
  /** Its first draft, standing for the cause when none of its findings is listed. */
  sample: CauseSample;
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
  // Concatenated, not joined from an array: one per draft (nulls are '').
  let key = `${d.rule}|${d.messageId}|${clientAddr}|${d.server ?? ''}|${d.backend ?? ''}|${d.resetBy ?? ''}|${d.resetSender ?? ''}|${d.severity}|${
    d.detectors === undefined ? '' : d.detectors.join(',')}`;
  for (const k of ruleOf(d.rule).meta.distinguishBy ?? []) key += `|${String(d.data[k])}`;
  return key;
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

/** What a cause's title and fix are rendered from when none of its findings is listed. */
export type CauseSample = Pick<FindingDraft, 'rule' | 'severity' | 'messageId' | 'data' | 'remediation' | 'resetBy' | 'server' | 'backend'>;

/**
 * Findings of one cause that are not listed (their diagnoses were let go, the cause had enough):
 * counted exactly, per client address and server, without their connections.
 */
export interface CauseTally {
  key: string;
  /** Findings (diagnoses) not listed, and the attempts they stand for. */
  findings: number;
  count: number;
  /** Distinct client addresses (compact: a flood of refused spoofed sources may bring millions). */
  clients: AddressSet;
  /** Server endpoint → attempts. */
  servers: Map<string, number>;
  first: EvidencePacket | null;
  last: EvidencePacket | null;
  sample: CauseSample;
}

/** A cause's diagnoses: the first ones kept (each with its representatives), the others tallied. */
interface CauseState {
  kept: Diagnosis[];
  /**
   * Keys of the diagnoses let go: their later attempts are tallied too. Hashed: with a diagnosis
   * per distinct client (a flood refused from spoofed sources), there may be millions.
   */
  evicted: KeyHashSet;
  tally: CauseTally | null;
}

function earlier(a: EvidencePacket | null, b: EvidencePacket | null): EvidencePacket | null {
  if (a === null) return b;
  if (b === null) return a;
  return b.sec < a.sec || (b.sec === a.sec && b.nsec < a.nsec) ? b : a;
}

function later(a: EvidencePacket | null, b: EvidencePacket | null): EvidencePacket | null {
  if (a === null) return b;
  if (b === null) return a;
  return b.sec > a.sec || (b.sec === a.sec && b.nsec > a.nsec) ? b : a;
}

/** The first and last evidence packets of a draft. */
function span(d: FindingDraft): { first: EvidencePacket | null; last: EvidencePacket | null } {
  let first: EvidencePacket | null = null;
  let last: EvidencePacket | null = null;
  for (const e of d.evidence) {
    first = earlier(first, e);
    last = later(last, e);
  }
  return { first, last };
}

function sampleOf(d: FindingDraft): CauseSample {
  return { rule: d.rule, severity: d.severity, messageId: d.messageId, data: d.data, remediation: d.remediation,
    resetBy: d.resetBy, server: d.server, backend: d.backend };
}

/** Attempts of a cause, from one client to one server, over a time span: into its tally (`sample` made if it is new). */
function tallyInto(cause: CauseState, key: string, sample: () => CauseSample, add: {
  findings: number; count: number; clientAddr: string; server: string | null; first: EvidencePacket | null; last: EvidencePacket | null;
}): void {
  const t = cause.tally ??= { key, findings: 0, count: 0, clients: new AddressSet(), servers: new Map(), first: null, last: null, sample: sample() };
  t.findings += add.findings;
  t.count += add.count;
  t.clients.add(add.clientAddr);
  const server = add.server ?? '';
  t.servers.set(server, (t.servers.get(server) ?? 0) + add.count);
  t.first = earlier(t.first, add.first);
  t.last = later(t.last, add.last);
}

/**
 * Takes the diagnosis with the highest first attempt out of `kept`, leaving it sorted by first
 * attempt. An insertion sort (stable, as Array.prototype.sort): `kept` stays sorted between
 * evictions but for the newest diagnosis, so it costs one pass and no allocation (a cause with
 * many distinct clients evicts at each new one).
 */
function latest(kept: Diagnosis[]): Diagnosis {
  for (let i = 1; i < kept.length; i++) {
    const x = kept[i]!;
    let j = i - 1;
    for (; j >= 0 && kept[j]!.minId > x.minId; j--) kept[j + 1] = kept[j]!;
    kept[j + 1] = x;
  }
  return kept.pop()!;
}

/** Each connection of draft `d` stands for `diagnosis` too. */
function inDiagnosisAdd(inDiagnosis: Map<Connection, Diagnosis[]>, d: FindingDraft, diagnosis: Diagnosis): void {
  for (const c of d.connections) {
    const list = inDiagnosis.get(c);
    if (list === undefined) inDiagnosis.set(c, [diagnosis]);
    else if (!list.includes(diagnosis)) list.push(diagnosis);
  }
}

/** What the last evaluation's drafts stand for beyond their own connections. */
export interface Settlement {
  /** Causes with findings not listed: their tallies. */
  unlisted: CauseTally[];
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
  private readonly causes = new Map<string, CauseState>();
  /** Representative connection → its diagnoses. */
  private readonly repOf = new Map<Connection, Diagnosis[]>();

  /**
   * `limit`: connections kept per diagnosis; `perCause`: diagnoses kept per cause (so what is kept
   * does not grow with the number of distinct failing clients).
   */
  constructor(private readonly limit: number, private readonly perCause: number,
    private readonly release: (c: Connection, diagnoses: Diagnosis[]) => void) {}

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
      const { key: causeKey, clientAddr } = draftCause(d);
      let cause = this.causes.get(causeKey);
      if (cause === undefined) {
        cause = { kept: [], evicted: new KeyHashSet(), tally: null };
        this.causes.set(causeKey, cause);
      }
      if (cause.evicted.has(key)) {
        // A diagnosis let go: its attempts are counted, its connections released by the caller.
        tallyInto(cause, causeKey, () => sampleOf(d), { findings: 0, count: d.count, clientAddr, server: d.server, ...span(d) });
        continue;
      }
      let diagnosis = this.diagnoses.get(key);
      const { first, last } = span(d);
      if (diagnosis === undefined) {
        diagnosis = { key, clientAddr, server: d.server, minId: Infinity, first, last, sample: sampleOf(d),
          units: [], repConns: 0, dropped: 0, rowLists: [] };
        if (this.outranked(cause, d)) {
          // Kept, it would be the one let go at once: counted straight into the tally.
          inDiagnosisAdd(inDiagnosis, d, diagnosis);
          cause.evicted.add(key);
          const sample = diagnosis.sample;
          tallyInto(cause, causeKey, () => sample, { findings: 1, count: d.count, clientAddr, server: d.server, first, last });
          continue;
        }
        this.diagnoses.set(key, diagnosis);
        cause.kept.push(diagnosis);
      } else {
        diagnosis.first = earlier(diagnosis.first, first);
        diagnosis.last = later(diagnosis.last, last);
      }
      inDiagnosisAdd(inDiagnosis, d, diagnosis);
      this.addUnits(diagnosis, unitsOf(d), batch);
      if (cause.kept.length > this.perCause) this.evict(causeKey, cause, batch);
    }
    return inDiagnosis;
  }

  /**
   * A new diagnosis from draft `d` that `evict` would take right back out: the cause has all the
   * diagnoses it keeps and each began no later than this one (ties go to the newest, as there).
   */
  private outranked(cause: CauseState, d: FindingDraft): boolean {
    if (cause.kept.length < this.perCause) return false;
    let minId = Infinity;
    for (const c of d.connections) minId = Math.min(minId, c.id);
    for (const k of cause.kept) if (k.minId > minId) return false;
    return true;
  }

  /** Let go of a cause's latest diagnosis (by first attempt): counted in its tally from now on. */
  private evict(causeKey: string, cause: CauseState, batch: ReadonlySet<Connection>): void {
    const gone = latest(cause.kept);
    let count = gone.dropped;
    for (const u of gone.units) {
      count += u.weight;
      this.dropUnit(gone, u, batch);
    }
    gone.units = [];
    this.diagnoses.delete(gone.key);
    cause.evicted.add(gone.key);
    tallyInto(cause, causeKey, () => gone.sample, { findings: 1, count, clientAddr: gone.clientAddr, server: gone.server, first: gone.first, last: gone.last });
  }

  /** A unit's connections stop standing for this diagnosis; one that stands for none is released. */
  private dropUnit(diagnosis: Diagnosis, u: Unit, batch: ReadonlySet<Connection>): void {
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

  /** Keep a diagnosis' lowest-id attempts (up to `limit` connections); count and release the rest. */
  private addUnits(diagnosis: Diagnosis, units: Unit[], batch: ReadonlySet<Connection>): void {
    for (const u of units) {
      diagnosis.units.push(u);
      diagnosis.minId = Math.min(diagnosis.minId, u.minId);
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
      this.dropUnit(diagnosis, u, batch);
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
    const unlisted: CauseTally[] = [];
    for (const cause of this.causes.values()) if (cause.tally !== null) unlisted.push(cause.tally);
    return { unlisted, releasedFindings, shownAttempts };
  }
}

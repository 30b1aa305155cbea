/**
 * Findings → causes: what a person fixes. Findings with the same cause key (their rule's
 * meta.rollUp, src/rules/roll-up.ts) are one cause, with the findings the pipeline counted without
 * listing them (CauseTally); causes are ordered worst first (severity, then attempts).
 */
import { formatIsoTime } from '../capture/time.js';
import type { CauseTally } from '../analysis/representatives.js';
import { AddressSet } from '../analysis/address-set.js';
import { causeTitle } from '../rules/roll-up.js';
import type { EvidencePacket, Severity } from '../rules/types.js';
import type { Analysis, CauseReport, FindingWithEvidence } from './types.js';

/** Servers named per cause (most attempts first); the rest are counted. */
export const CAUSE_SERVERS = 20;

const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

interface Group {
  key: string;
  listed: FindingWithEvidence[];
  tally: CauseTally | null;
}

function addressOf(endpoint: string | null): string {
  return endpoint === null ? '' : endpoint.slice(0, endpoint.lastIndexOf(':'));
}

function isoOf(e: EvidencePacket | null): string {
  return e === null ? '' : formatIsoTime(e.sec, e.nsec);
}

/** ISO-8601 times of one format compare as strings; '' is "none". */
function minTime(a: string, b: string): string {
  return a === '' ? b : b === '' || a <= b ? a : b;
}

function maxTime(a: string, b: string): string {
  return a === '' ? b : b === '' || a >= b ? a : b;
}

function causeOf(g: Group): Omit<CauseReport, 'id'> {
  const listed = [...g.listed].sort((a, b) => b.count - a.count || a.id.localeCompare(b.id, 'en', { numeric: true }));
  // The tally's clients, and the listed findings' that it does not hold (no copy of the tally).
  const listedClients = new Set<string>();
  const servers = new Map<string, number>(g.tally?.servers ?? []);
  let count = g.tally?.count ?? 0;
  let first = isoOf(g.tally?.first ?? null);
  let last = isoOf(g.tally?.last ?? null);
  for (const f of listed) {
    count += f.count;
    const client = addressOf(f.client);
    if (g.tally?.clients.has(client) !== true) listedClients.add(client);
    const server = f.server ?? '';
    servers.set(server, (servers.get(server) ?? 0) + f.count);
    first = minTime(first, f.firstTime);
    last = maxTime(last, f.lastTime);
  }
  servers.delete('');
  const clients = (g.tally?.clients.size ?? 0) + listedClients.size;
  const byFrequency = [...servers].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([s]) => s);
  // The most frequent listed finding speaks for the cause; a tally's sample when none is listed.
  const top = listed[0];
  const sample = top ?? g.tally!.sample;
  return {
    rule: sample.rule, severity: sample.severity,
    title: causeTitle(sample, { count, clients, servers: servers.size }),
    findings: listed.map((f) => f.id), unlisted: g.tally?.findings ?? 0,
    clients, servers: byFrequency.slice(0, CAUSE_SERVERS), moreServers: Math.max(0, byFrequency.length - CAUSE_SERVERS),
    count, firstTime: first, lastTime: last,
    remediation: [...sample.remediation], docs: `docs/rules/${sample.rule}.md`,
  };
}

/** The causes of these findings (each finding's causeId is set), worst first: C1, C2, … */
export function buildCauses(findings: FindingWithEvidence[], tallies: readonly CauseTally[]): CauseReport[] {
  const groups = new Map<string, Group>();
  const group = (key: string): Group => {
    let g = groups.get(key);
    if (g === undefined) {
      g = { key, listed: [], tally: null };
      groups.set(key, g);
    }
    return g;
  };
  for (const f of findings) group(f.causeKey).listed.push(f);
  for (const t of tallies) {
    const g = group(t.key);
    g.tally = g.tally === null ? t : mergeTallies(g.tally, t);
  }
  const causes = [...groups.values()].map((g) => ({ g, cause: causeOf(g) }));
  causes.sort((a, b) => RANK[b.cause.severity] - RANK[a.cause.severity] || b.cause.count - a.cause.count
    || a.cause.firstTime.localeCompare(b.cause.firstTime) || a.g.key.localeCompare(b.g.key));
  return causes.map(({ g, cause }, i) => {
    const id = `C${i + 1}`;
    for (const f of g.listed) f.causeId = id;
    return { id, ...cause };
  });
}

function union(a: AddressSet, b: AddressSet): AddressSet {
  const u = a.copy();
  u.addAll(b);
  return u;
}

/** Two inputs' tallies of one cause. */
function mergeTallies(a: CauseTally, b: CauseTally): CauseTally {
  const servers = new Map(a.servers);
  for (const [s, n] of b.servers) servers.set(s, (servers.get(s) ?? 0) + n);
  const firstA = isoOf(a.first);
  const lastA = isoOf(a.last);
  return {
    key: a.key, findings: a.findings + b.findings, count: a.count + b.count,
    clients: union(a.clients, b.clients), servers,
    first: minTime(firstA, isoOf(b.first)) === firstA ? a.first : b.first,
    last: maxTime(lastA, isoOf(b.last)) === lastA ? a.last : b.last,
    sample: a.sample,
  };
}

/** A cause's listed findings, in its order (most attempts first). */
export function causeFindings(a: Analysis, c: CauseReport): FindingWithEvidence[] {
  const byId = new Map(a.findings.filter((f) => f.causeId === c.id).map((f) => [f.id, f]));
  return c.findings.map((id) => byId.get(id)).filter((f): f is FindingWithEvidence => f !== undefined);
}

/** The same fix, step for step (a finding's fix is then not repeated under its cause's). */
export function sameSteps(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/**
 * The causes of a filtered report: those with a finding the filter keeps, listing only those
 * findings (a cause keeps its id and its whole numbers: what one fix addresses).
 */
export function restrictCauses(causes: readonly CauseReport[], kept: ReadonlySet<string>): CauseReport[] {
  const out: CauseReport[] = [];
  for (const c of causes) {
    const findings = c.findings.filter((id) => kept.has(id));
    if (findings.length > 0) out.push({ ...c, findings });
  }
  return out;
}

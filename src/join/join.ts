import { basename } from 'node:path';
import { formatIsoTime } from '../capture/time.js';
import type { CaptureResult } from '../analysis/pipeline.js';
import { connectionReport, firstEvidence, inputReport, stripEvidence, toFinding } from '../report/build.js';
import type { Analysis, ConnectionReport, EvidenceReport, FindingWithEvidence, Report } from '../report/types.js';
import type { RuleId } from '../rules/types.js';
import { TOOL_VERSION } from '../version.js';
import type { CauseTally } from '../analysis/representatives.js';
import { buildCauses } from '../report/causes.js';
import { estimateOffsets, MAX_CLOCK_OFFSET } from './clock.js';
import { ConnectionGroups } from './connections.js';
import { JointEvidence, ref, type JoinInput } from './evidence.js';
import { repeatedResets } from './resets.js';
import { mergeFindings, type InputDraft, type MergedFinding } from './findings.js';

/** Two sightings of one connection (clocks corrected) start or end at most this far apart (seconds). */
const SLACK = 1;

/**
 * Several captures of one incident into one report: connections seen at several vantage points
 * are one connection, findings about them one finding (the strongest view), evidence names its
 * input and says where a packet vanished between two inputs.
 */
export function joinAnalysis(results: CaptureResult[], options: { connections?: boolean } = {}): Analysis {
  const identities = results.map((r) => r.identities);
  const clocks = estimateOffsets(identities);
  const offsets = clocks.map((c) => c.offset);
  const groups = new ConnectionGroups(identities, offsets, offsets.every((o) => o !== null) ? SLACK : MAX_CLOCK_OFFSET);
  const inputs: JoinInput[] = results.map((r, i) => ({ name: basename(r.info.path), identities: identities[i]!, offset: offsets[i]! }));
  const joint = new JointEvidence(inputs, groups);

  const drafts: InputDraft[] = [];
  results.forEach((r, input) => { for (const draft of r.drafts) drafts.push({ input, draft, shown: r.shownAttempts.get(draft) }); });
  const corrected = (m: MergedFinding): number => firstEvidence(m.best.draft) - (offsets[m.best.input] ?? 0);
  const merged = mergeFindings(drafts, groups).sort((x, y) => corrected(x) - corrected(y));

  const findings: FindingWithEvidence[] = [];
  const findingsByRule: Report['summary']['findingsByRule'] = {};
  const findingsOfGroup = new Map<number, string[]>();
  for (const m of merged) {
    const id = `F${findings.length + 1}`;
    const { best } = m;
    const draft = { ...best.draft, count: m.count };
    // Its text names frames of its input: `frame 12` reads `frame 2#12`.
    const f = toFinding(id, draft, best.shown ?? (m.count > best.draft.count ? best.draft.count : undefined), (n) => ref(best.input, n));
    const { rows, vanished } = joint.annotate(best.input, f.evidence, best.draft.connections.map((c) => c.id));
    f.evidence = rows;
    if (vanished.length > 0) f.explanation += ` ${vanished.join(' ')}`;
    findings.push(f);
    findingsByRule[draft.rule as RuleId] = (findingsByRule[draft.rule as RuleId] ?? 0) + 1;
    for (const g of m.groups) {
      const list = findingsOfGroup.get(g);
      if (list) list.push(id);
      else findingsOfGroup.set(g, [id]);
    }
  }

  const tallies = unlistedOnce(results);
  for (const t of tallies) findingsByRule[t.sample.rule] = (findingsByRule[t.sample.rule] ?? 0) + t.findings;
  const report: Report = {
    schemaVersion: 1,
    tool: { name: 'rstdiag', version: TOOL_VERSION },
    inputs: results.map((r, i) => ({ ...inputReport(r), clockOffset: offsets[i] === null ? null : round6(offsets[i]!) })),
    summary: {
      packets: sum(results, (r) => r.info.packets),
      tcpPackets: sum(results, (r) => r.tcpPackets),
      connections: groups.groups.length,
      resets: sum(results, (r) => r.resets) - repeatedResets(groups, offsets),
      findingsByRule,
    },
    causes: buildCauses(findings, tallies),
    findings: findings.map((f) => ({ ...stripEvidence(f), evidence: evidenceReport(f) })),
  };
  if (options.connections) report.connections = connectionRows(results, groups, findingsOfGroup);
  return { report, findings, translations: translations(results) };
}

/**
 * Findings an input counted without listing them (beyond the few listed per cause): they cannot be
 * matched across inputs, so each cause keeps the largest tally any one input made of it.
 */
function unlistedOnce(results: CaptureResult[]): CauseTally[] {
  const byKey = new Map<string, CauseTally>();
  for (const r of results) {
    for (const t of r.unlisted) {
      const had = byKey.get(t.key);
      if (had === undefined || had.findings < t.findings) byKey.set(t.key, t);
    }
  }
  return [...byKey.values()];
}

function sum(results: CaptureResult[], f: (r: CaptureResult) => number): number {
  return results.reduce((n, r) => n + f(r), 0);
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** The JSON evidence: each row in its input, then the same packet in the other inputs (each frame once). */
function evidenceReport(f: FindingWithEvidence): EvidenceReport[] {
  const out: EvidenceReport[] = [];
  const listed = new Set<string>();
  const add = (row: EvidenceReport): void => {
    const k = `${row.input} ${row.frame}`;
    if (!listed.has(k)) out.push(row);
    listed.add(k);
  };
  for (const e of f.evidence) {
    const input = e.input ?? 0;
    add({ input, frame: e.frame, time: formatIsoTime(e.sec, e.nsec), packet: `${e.from} ─${e.label}→ ${e.to}`, note: e.note });
    for (const s of e.seenAt ?? []) {
      add({ input: s.input, frame: s.frame, time: formatIsoTime(s.sec, s.nsec), packet: `${s.from} ─${e.label}→ ${s.to}`,
        note: `same packet as ${ref(input, e.frame)}` });
    }
  }
  return out;
}

/** One row per connection: the first input's view of it (the original half), with the inputs that saw it. */
function connectionRows(results: CaptureResult[], groups: ConnectionGroups, findingsOfGroup: Map<number, string[]>): ConnectionReport[] {
  const rowsOf = results.map((r) => {
    const m = new Map<number, ConnectionReport>();
    for (const row of r.releasedRows) m.set(row.id, row);
    for (const c of r.connections) m.set(c.id, connectionReport(c));
    return m;
  });
  return groups.groups.map((members, g) => {
    // The view that saw both NAT halves says most; else the first input's.
    const shown = members.find((m) => m.conn.natRole === 'original') ?? members.find((m) => m.conn.natRole === null) ?? members[0]!;
    const row = rowsOf[shown.input]!.get(shown.conn.id);
    const base: ConnectionReport = row ?? {
      id: 0, orig: shown.conn.orig, resp: shown.conn.resp, start: '', duration: 0, origPackets: 0, origBytes: 0, respPackets: 0,
      respBytes: 0, state: 'OTH', history: '', nat: null, findings: [],
    };
    return { ...base, id: g + 1, findings: findingsOfGroup.get(g) ?? [], inputs: [...new Set(members.map((m) => m.input))].sort((a, b) => a - b) };
  });
}

/** Translations seen in any input, each once (the most connections any input saw it for). */
function translations(results: CaptureResult[]): Analysis['translations'] {
  const byKey = new Map<string, Analysis['translations'][number]>();
  for (const r of results) {
    for (const t of r.translations) {
      const k = `${t.kind} ${t.from} ${t.to}`;
      const had = byKey.get(k);
      if (had === undefined || had.connections < t.connections) byKey.set(k, { ...t });
    }
  }
  return [...byKey.values()];
}

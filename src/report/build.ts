import { formatIsoTime } from '../capture/time.js';
import { connState } from '../flow/state.js';
import type { Connection } from '../flow/types.js';
import type { CaptureResult } from '../analysis/pipeline.js';
import { ruleOf } from '../rules/registry.js';
import { renderFinding, type FindingText } from '../rules/render.js';
import type { FrameName } from '../rules/messages.js';
import { causeKey } from '../rules/roll-up.js';
import type { CauseTally } from '../analysis/representatives.js';
import { buildCauses } from './causes.js';
import type { FindingDraft, RuleId } from '../rules/types.js';
import { displayFilter } from './display-filter.js';
import type { Analysis, ConnectionReport, FindingWithEvidence, InputReport, Report } from './types.js';
import { TOOL_VERSION } from '../version.js';

/** Many captures (or a live source's result) into one report model. */
export function buildAnalysis(results: CaptureResult[], options: { connections?: boolean } = {}): Analysis {
  const inputs: InputReport[] = [];
  const findings: FindingWithEvidence[] = [];
  const connections: ConnectionReport[] = [];
  const translations: Analysis['translations'] = [];
  const tallies: CauseTally[] = [];
  const summary: Report['summary'] = { packets: 0, tcpPackets: 0, connections: 0, resets: 0, findingsByRule: {} };
  for (const r of results) {
    inputs.push(inputReport(r));
    summary.packets += r.info.packets;
    summary.tcpPackets += r.tcpPackets;
    summary.connections += r.connectionCount;
    summary.resets += r.resets;
    translations.push(...r.translations);
    const drafts = r.drafts.slice().sort((a, b) => firstEvidence(a) - firstEvidence(b));
    for (const d of drafts) {
      const id = `F${findings.length + 1}`;
      for (const c of d.connections) c.findingIds.push(id);
      for (const list of r.releasedFindings.get(d) ?? []) list.push(id);
      findings.push(toFinding(id, d, r.shownAttempts.get(d)));
      summary.findingsByRule[d.rule as RuleId] = (summary.findingsByRule[d.rule as RuleId] ?? 0) + 1;
    }
    for (const t of r.unlisted) {
      tallies.push(t);
      summary.findingsByRule[t.sample.rule] = (summary.findingsByRule[t.sample.rule] ?? 0) + t.findings;
    }
    if (options.connections) {
      const rows = [...r.releasedRows, ...r.connections.map(connectionReport)].sort((a, b) => a.id - b.id);
      for (const row of rows) connections.push(row);
    }
  }
  const report: Report = {
    schemaVersion: 1,
    tool: { name: 'rstdiag', version: TOOL_VERSION },
    inputs,
    summary,
    causes: buildCauses(findings, tallies),
    findings: findings.map(stripEvidence),
  };
  if (options.connections) report.connections = connections;
  return { report, findings, translations };
}

/** inputs[].warnings of a capture with no packets at all (read to its end): most often the capture itself went wrong. */
export const EMPTY_INPUT_WARNING = 'holds no packets: nothing was captured (wrong interface or capture filter?)';

export function inputReport(r: CaptureResult): InputReport {
  const empty = r.info.packets === 0 && !r.info.truncated ? [`the capture ${EMPTY_INPUT_WARNING}`] : [];
  return {
    path: r.info.path, format: r.info.format, linkTypes: r.info.linkTypes, packets: r.info.packets, bytes: r.info.bytes,
    firstTime: r.firstTime, lastTime: r.lastTime, truncated: r.info.truncated,
    warnings: [...r.info.warnings, ...r.decoderWarnings, ...empty],
  };
}

export function firstEvidence(d: FindingDraft): number {
  let t = Infinity;
  for (const e of d.evidence) t = Math.min(t, e.sec + e.nsec / 1e9);
  return t;
}

/** A finding's text: rendered once, from its message and data, after counting. */
export function findingText(d: FindingDraft, shown?: number, frameName?: FrameName): FindingText {
  return renderFinding(ruleOf(d.rule), d, shown, frameName);
}

/** `frameName`: how its text names frames (a joint report names their input, src/join). */
export function toFinding(id: string, d: FindingDraft, shown: number | undefined, frameName?: FrameName): FindingWithEvidence {
  const { summary, explanation, ruledOut } = findingText(d, shown, frameName);
  const ev = d.evidence;
  let lo = ev[0];
  let hi = ev[0];
  for (const e of ev) {
    if (lo === undefined || e.sec < lo.sec || (e.sec === lo.sec && e.nsec < lo.nsec)) lo = e;
    if (hi === undefined || e.sec > hi.sec || (e.sec === hi.sec && e.nsec > hi.nsec)) hi = e;
  }
  const frames = [...new Set(ev.map((e) => e.frame))].sort((a, b) => a - b);
  return {
    id, rule: d.rule, severity: d.severity, confidence: d.confidence, client: d.client, server: d.server,
    backend: d.backend, resetBy: d.resetBy, resetSender: d.resetSender, count: d.count, frames,
    firstTime: lo ? formatIsoTime(lo.sec, lo.nsec) : '', lastTime: hi ? formatIsoTime(hi.sec, hi.nsec) : '',
    summary, explanation, remediation: d.remediation, docs: `docs/rules/${d.rule}.md`, ruledOut, displayFilter: displayFilter(ev),
    evidence: ev, messageId: d.messageId, detectors: d.detectors ?? [], data: d.data, causeKey: causeKey(d), causeId: '',
  };
}

export function stripEvidence(f: FindingWithEvidence): Report['findings'][number] {
  const { evidence: _evidence, messageId: _messageId, detectors: _detectors, data: _data, causeKey: _key, causeId: _id, ...rest } = f;
  return rest;
}

export function connectionReport(c: Connection): ConnectionReport {
  return {
    id: c.id,
    orig: c.orig.text,
    resp: c.resp.text,
    start: formatIsoTime(c.firstSec, c.firstNsec),
    duration: Math.round((c.lastT - c.firstT) * 1e6) / 1e6,
    origPackets: c.dirs[0].packets,
    origBytes: c.dirs[0].payloadBytes,
    respPackets: c.dirs[1].packets,
    respBytes: c.dirs[1].payloadBytes,
    state: connState(c),
    history: c.history,
    nat: c.natPeer && c.natRole ? { role: c.natRole, peer: `${c.natPeer.orig.text} → ${c.natPeer.resp.text}` } : null,
    findings: c.findingIds,
  };
}

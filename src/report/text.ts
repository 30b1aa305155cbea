import type { Analysis, CauseReport, FindingWithEvidence } from './types.js';
import type { EvidencePacket } from '../rules/types.js';
import { MIN_WIDTH, fitTable, wrap } from './text-layout.js';
import { causeFindings, sameSteps } from './causes.js';
import { clockLine, frameCell, frameRef, linkTypesText } from './frame-ref.js';

/** A short ladder: the first packets in full, the rest by frame number. */
const MAX_LADDER = 12;
/**
 * A short report shows every finding in detail; a longer one the first (most attempts) of each
 * cause, and at most ROWS_PER_CAUSE rows of each cause in the findings table.
 */
const ALL_DETAILS = 8;
const ROWS_PER_CAUSE = 8;
/** Width when standard output is not a terminal and COLUMNS is not set. */
export const DEFAULT_WIDTH = 100;

export interface TextOptions {
  /** Columns to fit (no line is wider). */
  width?: number;
}

/** Time of an evidence packet relative to the finding's first one, in seconds with 6 decimals. */
function relTime(e: EvidencePacket, base: EvidencePacket): string {
  const d = (e.sec - base.sec) + (e.nsec - base.nsec) / 1e9;
  return `+${d.toFixed(6)}`;
}

/** The evidence as a plain-text ladder within `width` columns (also markdown's, where mermaid is not rendered). */
export function ladder(f: FindingWithEvidence, width: number): string {
  const rows = f.evidence;
  if (rows.length === 0) return '';
  const base = rows[0]!;
  const body = rows.slice(0, MAX_LADDER).map((e) => {
    const seqAck = e.relSeq === null ? '' : `${e.relSeq}${e.relAck === null ? '' : `/${e.relAck}`}`;
    const frame = frameCell(e);
    return [frame, relTime(e, base), `${e.from} ─${e.label}→ ${e.to}`, seqAck, e.note];
  });
  let out = fitTable(['frame', 'time', 'packet', 'seq/ack', 'note'], body, width, { compact: true });
  if (rows.length > MAX_LADDER) {
    const rest = rows.slice(MAX_LADDER).map(frameRef);
    out += '\n' + wrap(`… ${rest.length} more evidence packets (frames ${rest.slice(0, 12).join(', ')}${rest.length > 12 ? ', …' : ''})`, width, '');
  }
  return out;
}

function indent(block: string, by: string): string {
  return block.split('\n').map((l) => by + l).join('\n');
}

function steps(remediation: readonly string[], width: number): string[] {
  return remediation.map((step) => wrap(step, width, '    - ', '      '));
}

function causeBlock(a: Analysis, c: CauseReport, width: number): string[] {
  const out: string[] = [];
  const attempts = `${c.count} attempt${c.count === 1 ? '' : 's'}`;
  out.push('', wrap(`${c.id} ${c.severity} · ${c.rule} · ${attempts}, ${c.clients} client${c.clients === 1 ? '' : 's'}`, width, ''));
  out.push(wrap(c.title, width, '  '));
  if (c.servers.length > 0) {
    const more = c.moreServers > 0 ? ` and ${c.moreServers} more` : '';
    out.push(wrap(`Servers (most attempts first): ${c.servers.join(', ')}${more}`, width, '  ', '    '));
  }
  if (c.remediation.length > 0) out.push('  Fix:', ...steps(c.remediation, width));
  const examples = causeFindings(a, c).slice(0, 2);
  for (const f of examples) out.push(wrap(`${f.id}: ${f.summary}`, width, '  e.g. ', '       '));
  const others = c.findings.length - examples.length;
  const notes = [others > 0 ? `${others} more finding${others === 1 ? '' : 's'} listed below` : '',
    c.unlisted > 0 ? `${c.unlisted} more counted, not listed (rstdiag keeps a sample per cause)` : ''].filter(Boolean);
  if (notes.length > 0) out.push(wrap(`${notes.join('; ')}.`, width, '  '));
  out.push(wrap(`Docs: ${c.docs} (rstdiag explain ${c.rule})`, width, '  '));
  return out;
}

function findingDetail(f: FindingWithEvidence, cause: CauseReport | undefined, width: number): string[] {
  const out: string[] = [];
  const of = cause ? `, cause ${cause.id}` : '';
  out.push('', wrap(`${f.id} ${f.rule} (${f.severity}, confidence ${f.confidence.toFixed(2)}${of}): ${f.summary}`, width, ''));
  out.push(wrap(f.explanation, width, '  '));
  out.push('  Evidence:');
  out.push(indent(ladder(f, width - 2), '  '));
  if (f.remediation.length > 0) {
    if (cause && sameSteps(cause.remediation, f.remediation)) out.push(`  Fix: as ${cause.id} above.`);
    else out.push('  Fix:', ...steps(f.remediation, width));
  }
  if (f.ruledOut.length > 0) {
    out.push('  Ruled out:');
    for (const r of f.ruledOut) out.push(wrap(`${r.rule}: ${r.why}`, width, '    '));
  }
  out.push(wrap(`Docs: ${f.docs}  (rstdiag explain ${f.rule})`, width, '  '));
  // With several inputs the filter is for the capture the finding's frames are in.
  const filterInput = f.evidence[0]?.input;
  if (f.displayFilter !== '') out.push(wrap(`Wireshark${filterInput === undefined ? '' : ` (input ${filterInput + 1})`}: ${f.displayFilter}`, width, '  ', '    '));
  return out;
}

/**
 * The human report within `width` columns: summary, the causes (each with its fix once and a few
 * examples), the findings table, then each cause's first findings with their evidence ladders.
 */
export function renderText(a: Analysis, options: TextOptions = {}): string {
  const width = Math.max(MIN_WIDTH, Math.floor(options.width ?? DEFAULT_WIDTH));
  const r = a.report;
  const out: string[] = [];
  out.push(`rstdiag ${r.tool.version}`);
  r.inputs.forEach((i, n) => {
    const links = linkTypesText(i);
    out.push(wrap(`Input${r.inputs.length > 1 ? ` ${n + 1}` : ''}: ${i.path} (${i.format ?? 'unknown'}${links ? `, ${links}` : ''}, ${i.packets} packets, ${i.firstTime ?? '-'} … ${i.lastTime ?? '-'})${i.truncated ? ' TRUNCATED' : ''}`, width, '', '  '));
    for (const w of i.warnings) out.push(wrap(`warning: ${w}`, width, '  ', '    '));
    const clock = clockLine(i, n);
    if (clock !== null) out.push(wrap(clock, width, '  ', '    '));
  });
  const s = r.summary;
  const listed = r.findings.length;
  const total = Object.values(s.findingsByRule).reduce((x, y) => x + (y ?? 0), 0);
  const findings = `${total} finding${total === 1 ? '' : 's'}${total > listed ? ` (${listed} listed)` : ''}`;
  const causes = r.causes.length > 0 ? ` in ${r.causes.length} cause${r.causes.length === 1 ? '' : 's'}` : '';
  out.push(wrap(`Summary: ${s.packets} packets, ${s.tcpPackets} TCP, ${s.connections} connections, ${s.resets} resets, ${findings}${causes}`, width, '', '  '));
  if (a.translations.length > 0) {
    const shown = a.translations.slice(0, 8).map((t) => `${t.from} → ${t.to} (${t.kind.toUpperCase()}, ${t.connections} conn${t.connections > 1 ? 's' : ''})`);
    const more = a.translations.length > shown.length ? `; and ${a.translations.length - shown.length} more` : '';
    out.push(wrap(`NAT seen: ${shown.join('; ')}${more}`, width, '', '  '));
  }
  if (a.findings.length === 0) {
    // Never "nothing to explain" while resets were counted.
    out.push('', wrap(s.resets === 0 ? 'No resets or failed connections to explain.'
      : `${s.resets} reset${s.resets === 1 ? ' was' : 's were'} counted but no finding covers ${s.resets === 1 ? 'it' : 'them'}: list them with rstdiag flows.`, width, ''));
    return out.join('\n') + '\n';
  }
  out.push('', 'Causes, worst first:');
  for (const c of r.causes) out.push(...causeBlock(a, c, width));

  const causeOf = new Map<string, CauseReport>(r.causes.map((c) => [c.id, c]));
  const rows: string[][] = [];
  const detailed: FindingWithEvidence[] = [];
  const withBackend = a.findings.some((f) => f.backend !== null);
  const perCause = a.findings.length <= ALL_DETAILS ? ALL_DETAILS : 1;
  for (const c of r.causes) {
    const fs = causeFindings(a, c);
    detailed.push(...fs.slice(0, perCause));
    for (const f of fs.slice(0, ROWS_PER_CAUSE)) {
      rows.push([f.id, c.id, f.client ?? '', f.server ?? '', ...(withBackend ? [f.backend ?? ''] : []), String(f.count)]);
    }
    const more = Math.max(0, fs.length - ROWS_PER_CAUSE) + c.unlisted;
    if (more > 0) rows.push(['…', c.id, `${more} more`, '', ...(withBackend ? [''] : []), '']);
  }
  const head = ['id', 'cause', 'client', 'server', ...(withBackend ? ['backend'] : []), 'count'];
  out.push('', 'Findings, by cause (rule and severity are the cause\'s):', fitTable(head, rows, width, { compact: true }));
  for (const f of detailed) out.push(...findingDetail(f, causeOf.get(f.causeId), width));
  const notShown = a.findings.length - detailed.length;
  if (notShown > 0) out.push('', wrap(`${notShown} more finding${notShown === 1 ? '' : 's'} not shown in detail: --format json, markdown or html lists them.`, width, ''));
  return out.join('\n') + '\n';
}

/**
 * The ticket report (`--format markdown`): GitHub/GitLab-flavoured markdown that pastes into an
 * issue (under 65,536 characters whatever the capture). The causes first, each with its fix once,
 * a few examples, its top finding's evidence as plain text (it reads where mermaid is not rendered,
 * e.g. Jira) and, for the top causes only, a mermaid sequence diagram; then the findings table and
 * each finding collapsed in <details>, cut with a note when the budget runs out. Every
 * capture-derived string is escaped for where it lands: prose, table cells, code spans, fenced
 * blocks or mermaid text.
 */
import type { Analysis, CauseReport, FindingWithEvidence, InputReport } from './types.js';
import { buildLadder, isShellStep, relTimeText, secondsBetween, type Lane } from './diagram.js';
import { causeFindings, sameSteps } from './causes.js';
import { ladder } from './text.js';
import { clockLine, frameCell, frameRef, linkTypesText } from './frame-ref.js';

const EVIDENCE_ROWS = 60;
const DIAGRAM_STEPS = 40;
const CONNECTION_ROWS = 500;
/** What a GitHub issue or comment takes is 65,536 characters: the report stays under this. */
export const MARKDOWN_BUDGET = 60_000;
/** Causes with a mermaid diagram (of their top finding), and causes written out in full. */
const MERMAID_CAUSES = 3;
const CAUSE_SECTIONS = 12;
/** Rows of the findings table. */
const FINDING_ROWS = 200;
/** Width of the plain-text evidence ladders. */
const LADDER_WIDTH = 100;

/** One line of prose: no line breaks, no HTML, no accidental emphasis, links or code. */
export function mdText(s: string): string {
  return s
    .replace(/\r?\n|\r/g, ' ')
    .replace(/[\\`*[\]<>|]/g, (c) => `\\${c}`)
    // Underscores inside a word (br_netfilter) are literal in GFM; at a word's edge they open emphasis.
    .replace(/(^|[^\p{L}\p{N}])_|_(?=$|[^\p{L}\p{N}])/gu, (m) => m.replace('_', '\\_'))
    .replace(/&/g, '&amp;')
    // A line starting with these would become a heading, list or rule.
    .replace(/^([#+=-])/, '\\$1');
}

/** A table cell: prose escaping, and pipes escaped even where a cell renderer ignores backslashes. */
export function mdCell(s: string): string {
  return mdText(s);
}

/** An inline code span (in a table cell too: GFM needs the pipe escaped even there). */
export function mdCode(s: string, inTable = false): string {
  let t = s.replace(/\r?\n|\r/g, ' ');
  if (inTable) t = t.replace(/\|/g, '\\|');
  const runs = t.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = t.startsWith('`') || t.endsWith('`') || (t.startsWith(' ') && t.endsWith(' ') && t.trim() !== '') ? ' ' : '';
  return t === '' ? '' : `${fence}${pad}${t}${pad}${fence}`;
}

/** A fence longer than any backtick run in the content. */
function fenceFor(content: string): string {
  const runs = content.match(/`{3,}/g) ?? [];
  return '`'.repeat(Math.max(3, ...runs.map((r) => r.length + 1)));
}

/**
 * Text inside a mermaid statement (participant alias, message, note): mermaid splits on `;`
 * and `:`, treats `#…;` as an entity and `<…>` as HTML, so those become entity codes.
 */
export function mermaidText(s: string): string {
  return s
    .replace(/\r?\n|\r/g, ' ')
    .trim()
    .replace(/[#;:<>"`%|{}[\]]/g, (c) => `#${c.charCodeAt(0)};`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function table(head: string[], rows: string[][]): string {
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) out.push(`| ${r.map((c) => c === '' ? ' ' : c).join(' | ')} |`);
  return out.join('\n');
}

function inputLine(i: InputReport, n: number): string {
  const links = linkTypesText(i);
  const what = [i.format ?? 'unknown format', links, plural(i.packets, 'packet'), `${i.bytes} bytes`].filter(Boolean).join(', ');
  const span = i.firstTime ? `, ${mdText(i.firstTime)} … ${mdText(i.lastTime ?? '-')}` : '';
  // Several inputs are numbered: evidence names them (input#frame).
  const bullet = i.clockOffset === undefined ? '-' : `${n + 1}.`;
  const lines = [`${bullet} ${mdCode(i.path)} (${mdText(what)}${span})${i.truncated ? ' — **truncated**: the report covers what was read' : ''}`];
  const clock = clockLine(i, n);
  const indent = ' '.repeat(bullet.length + 1);
  if (clock !== null) lines.push(`${indent}- ${mdText(clock)}`);
  for (const w of i.warnings) lines.push(`${indent}- ⚠️ ${mdText(w)}`);
  return lines.join('\n');
}

function remediation(steps: string[]): string {
  const out: string[] = [];
  let block: string[] = [];
  const flush = (): void => {
    if (block.length === 0) return;
    const body = block.join('\n');
    const fence = fenceFor(body);
    out.push(`${fence}sh\n${body}\n${fence}`);
    block = [];
  };
  for (const s of steps) {
    if (isShellStep(s)) block.push(s.replace(/\r?\n|\r/g, ' '));
    else {
      flush();
      out.push(`- ${mdText(s)}`);
    }
  }
  flush();
  return out.join('\n\n');
}

function evidenceTable(f: FindingWithEvidence): string {
  const rows = f.evidence.slice(0, EVIDENCE_ROWS);
  const base = f.evidence[0];
  if (!base) return '_No evidence packets._';
  const body = rows.map((e) => {
    const seqAck = e.relSeq === null && e.relAck === null ? '' : `${e.relSeq ?? '-'} / ${e.relAck ?? '-'}`;
    const frame = frameCell(e);
    return [frame, relTimeText(secondsBetween(base, e)), `${mdCode(e.from, true)} → ${mdCode(e.to, true)}`, mdCell(e.label), seqAck + (e.len > 0 ? ` (len ${e.len})` : ''), mdCell(e.note)];
  });
  let out = table(['frame', 'time (s)', 'from → to', 'flags', 'rel seq / ack', 'note'], body);
  if (f.evidence.length > rows.length) out += `\n\n… ${f.evidence.length - rows.length} more evidence packets (frames ${f.frames.slice(rows.length, rows.length + 10).join(', ')}${f.frames.length > rows.length + 10 ? ', …' : ''}).`;
  return out;
}

const PARTICIPANT_IDS: Record<Lane['role'], string> = { client: 'C', service: 'S', backend: 'B', node: 'N', peer: 'P' };

/** A mermaid sequenceDiagram of the evidence: one arrow per packet, NAT as notes. */
export function sequenceDiagram(f: FindingWithEvidence): string {
  const ladder = buildLadder(f, DIAGRAM_STEPS);
  const ids: string[] = [];
  const used = new Set<string>();
  for (const l of ladder.lanes) {
    let id = PARTICIPANT_IDS[l.role];
    for (let n = 2; used.has(id); n++) id = `${PARTICIPANT_IDS[l.role]}${n}`;
    used.add(id);
    ids.push(id);
  }
  const lines = ['sequenceDiagram'];
  ladder.lanes.forEach((l, i) => lines.push(`    participant ${ids[i]} as ${mermaidText(`${l.title} ${l.display}`)}`));
  for (const s of ladder.steps) {
    const from = ids[s.from]!;
    const to = ids[s.to]!;
    if (s.nat !== null) {
      const serviceIdx = ladder.lanes.findIndex((l) => l.role === 'service');
      const over = serviceIdx >= 0 && serviceIdx !== s.to ? `${ids[serviceIdx]},${to}` : to;
      lines.push(`    Note over ${over}: ${mermaidText(s.nat)}`);
    }
    if (s.attempt !== null) lines.push(`    Note left of ${ids[0]}: ${mermaidText(s.attempt)}`);
    const tag = s.kind === 'untranslated' ? ' (untranslated)' : '';
    lines.push(`    ${from}->>${to}: ${mermaidText(`#${frameRef(s)} ${s.text}${tag}`)}`);
  }
  if (ladder.omitted > 0) lines.push(`    Note over ${ids[0]}: ${mermaidText(`… ${ladder.omitted} more packets`)}`);
  return lines.join('\n');
}

/** Text inside an HTML element of the markdown (a <summary>): entities, one line. */
function htmlText(s: string): string {
  return s.replace(/\r?\n|\r/g, ' ').replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A part that stays closed until clicked: GitHub renders the markdown inside it. */
function collapsed(summary: string, body: string): string {
  return `<details>\n<summary>${htmlText(summary)}</summary>\n\n${body}\n\n</details>`;
}

function docsLine(rule: string, docs: string): string {
  return `Docs: ${mdCode(docs)} (\`rstdiag explain ${rule}\`)`;
}

function findingSection(f: FindingWithEvidence, cause: CauseReport | undefined): string {
  const parts: string[] = [];
  const of = cause ? `, cause ${cause.id}` : '';
  parts.push(`### ${mdText(f.id)} · ${mdText(f.rule)} (${mdText(f.severity)}, confidence ${f.confidence.toFixed(2)}${of})`);
  parts.push(`**${mdText(f.summary)}**`);
  const who = [
    f.client ? `client ${mdCode(f.client)}` : '',
    f.server ? `${f.backend ? 'Service' : 'server'} ${mdCode(f.server)}` : '',
    f.backend ? `backend ${mdCode(f.backend)}` : '',
    f.resetBy ? `reset by ${mdText(f.resetBy)}${f.resetSender ? ` (${mdCode(f.resetSender)})` : ''}` : '',
    plural(f.count, 'connection'),
    `${mdText(f.firstTime)} … ${mdText(f.lastTime)}`,
  ].filter(Boolean);
  parts.push(who.join(' · '));
  parts.push('#### Why');
  parts.push(mdText(f.explanation));
  if (f.remediation.length > 0) {
    parts.push('#### Fix');
    parts.push(cause && sameSteps(cause.remediation, f.remediation) ? `As ${cause.id} above.` : remediation(f.remediation));
  }
  if (f.ruledOut.length > 0) {
    parts.push('#### Ruled out');
    parts.push(f.ruledOut.map((r) => `- ${mdCode(r.rule)}: ${mdText(r.why)}`).join('\n'));
  }
  parts.push('#### Evidence');
  parts.push(evidenceTable(f));
  parts.push(docsLine(f.rule, f.docs));
  return collapsed(`${f.id} · ${f.rule} · ${f.summary}`, parts.join('\n\n'));
}

/** A fenced block of plain text (a fence longer than any backtick run in it). */
function textBlock(body: string): string {
  const fence = fenceFor(body);
  return `${fence}text\n${body}\n${fence}`;
}

function causeSection(a: Analysis, c: CauseReport, withDiagram: boolean): string {
  const parts: string[] = [];
  parts.push(`### ${mdText(c.id)} · ${mdText(c.severity)} · ${mdCode(c.rule)}`);
  parts.push(`**${mdText(c.title)}**`);
  const servers = c.servers.length === 0 ? '' : ` · servers (most attempts first): ${c.servers.map((x) => mdCode(x)).join(', ')}${c.moreServers > 0 ? ` and ${c.moreServers} more` : ''}`;
  parts.push(`${plural(c.count, 'attempt')} · ${plural(c.clients, 'client')}${servers} · ${mdText(c.firstTime)} … ${mdText(c.lastTime)}`);
  if (c.remediation.length > 0) parts.push('#### Fix', remediation(c.remediation));
  const fs = causeFindings(a, c);
  const examples = fs.slice(0, 3).map((f) => `- ${mdText(f.id)}: ${mdText(f.summary)}`);
  const more = fs.length - Math.min(3, fs.length);
  if (more > 0) examples.push(`- ${plural(more, 'more finding')} listed below`);
  if (c.unlisted > 0) examples.push(`- ${plural(c.unlisted, 'more finding')} counted but not listed (rstdiag keeps a sample per cause; the counts above include them)`);
  if (examples.length > 0) parts.push('#### Examples', examples.join('\n'));
  const top = fs[0];
  if (top !== undefined && top.evidence.length > 0) {
    parts.push(`#### Evidence (${mdText(top.id)})`, textBlock(ladder(top, LADDER_WIDTH)));
    if (withDiagram) parts.push('```mermaid\n' + sequenceDiagram(top) + '\n```');
  }
  parts.push(docsLine(c.rule, c.docs));
  return parts.join('\n\n');
}

function connectionsSection(a: Analysis): string {
  const conns = a.report.connections;
  if (!conns || conns.length === 0) return '';
  const rows = conns.slice(0, CONNECTION_ROWS).map((c) => [
    String(c.id), mdCode(c.orig, true), mdCode(c.resp, true), mdCell(c.state), mdCode(c.history, true),
    `${c.origPackets} / ${c.respPackets}`, `${c.origBytes} / ${c.respBytes}`, c.duration.toFixed(6),
    c.nat ? `${mdCell(c.nat.role)}: ${mdCode(c.nat.peer, true)}` : '', c.findings.map(mdCell).join(', '),
  ]);
  let out = `## Connections\n\n${table(['#', 'orig', 'resp', 'state', 'history', 'packets o/r', 'bytes o/r', 'duration (s)', 'NAT', 'findings'], rows)}`;
  if (conns.length > rows.length) out += `\n\n… ${conns.length - rows.length} more connections (see \`--format json --connections\`).`;
  return out;
}

/** Parts added in order while they fit the budget; what does not fit is counted. */
class Budget {
  private readonly parts: string[] = [];
  private used = 0;

  constructor(private readonly limit: number) {}

  /** Adds the part if it fits (with `reserve` characters left for what must follow). */
  add(part: string, reserve = 0): boolean {
    const cost = part.length + 2;
    if (this.used + cost + reserve > this.limit) return false;
    this.parts.push(part);
    this.used += cost;
    return true;
  }

  /** Adds the part whatever it costs (short notes the budget reserved room for). */
  force(part: string): void {
    this.parts.push(part);
    this.used += part.length + 2;
  }

  text(): string {
    return this.parts.join('\n\n') + '\n';
  }
}

/** Room kept for the closing note and the sections' headings. */
const RESERVE = 1_000;

/** The markdown report: under MARKDOWN_BUDGET characters whatever the capture. */
export function renderMarkdown(a: Analysis): string {
  const r = a.report;
  const s = r.summary;
  // By cause: a cause counts the findings it does not list.
  const bySeverity = (sev: string): number => r.causes.filter((c) => c.severity === sev).reduce((n, c) => n + c.findings.length + c.unlisted, 0);
  const counts = ['error', 'warning', 'info'].map((sev) => [sev, bySeverity(sev)] as const).filter(([, n]) => n > 0)
    .map(([sev, n]) => plural(n, sev)).join(', ');
  const out = new Budget(MARKDOWN_BUDGET);
  const total = Object.values(s.findingsByRule).reduce((x, y) => x + (y ?? 0), 0);
  out.force(`# rstdiag report: ${r.findings.length === 0 ? 'no findings' : `${plural(total, 'finding')} (${counts})`}`);
  out.force(`Generated by rstdiag ${mdText(r.tool.version)} from the capture${r.inputs.length === 1 ? '' : 's'} below; times are capture times (UTC).`);
  out.force('## Inputs');
  out.force(r.inputs.length > 0 ? r.inputs.slice(0, 20).map(inputLine).join('\n').slice(0, 10_000) : '_None._');
  out.force('## Summary');
  const rules = Object.entries(s.findingsByRule).map(([rule, n]) => `${mdCode(rule)} × ${n}`).join(', ');
  const listed = total > r.findings.length ? ` (${r.findings.length} listed)` : '';
  out.force([
    `- ${plural(s.packets, 'packet')}, ${s.tcpPackets} TCP, ${plural(s.connections, 'connection')}, ${plural(s.resets, 'reset')}`,
    `- ${plural(total, 'finding')}${listed}${rules ? `: ${rules}` : ''}${r.causes.length > 0 ? ` — ${plural(r.causes.length, 'cause')}` : ''}`,
  ].join('\n'));
  if (a.translations.length > 0) {
    const rows = a.translations.slice(0, 20).map((t) => [t.kind.toUpperCase(), mdCode(t.from, true), mdCode(t.to, true), String(t.connections)]);
    const more = a.translations.length > rows.length ? `\n\n… ${a.translations.length - rows.length} more translations.` : '';
    out.add(`## NAT translations seen\n\n${table(['kind', 'from', 'to', 'connections'], rows)}${more}`, RESERVE);
  }
  let causesLeft = 0;
  let left = 0;
  if (r.causes.length > 0) {
    out.force('## Causes, worst first');
    r.causes.forEach((c, i) => {
      const full = i < CAUSE_SECTIONS && out.add(causeSection(a, c, i < MERMAID_CAUSES), RESERVE);
      if (!full && !out.add(`- ${mdText(c.id)} · ${mdText(c.severity)} · ${mdCode(c.rule)}: ${mdText(c.title)}`, RESERVE)) causesLeft++;
    });
  }
  out.force('## Findings');
  if (a.findings.length === 0) {
    out.force('No findings: no resets or failed connections to explain in these captures.');
    return out.text();
  }
  const causeOf = new Map(r.causes.map((c) => [c.id, c]));
  const rows = a.findings.slice(0, FINDING_ROWS).map((f) => [
    mdCell(f.id), mdCell(f.severity), mdCode(f.rule, true), f.client ? mdCode(f.client, true) : '', f.server ? mdCode(f.server, true) : '',
    f.backend ? mdCode(f.backend, true) : '', String(f.count), f.confidence.toFixed(2), mdCell(f.summary),
  ]);
  const findingsTable = table(['id', 'severity', 'rule', 'client', 'server', 'backend', 'count', 'confidence', 'summary'], rows);
  if (!out.add(a.findings.length > 3 ? collapsed(`Findings table (${rows.length} of ${r.findings.length} listed)`, findingsTable) : findingsTable, RESERVE)) left += a.findings.length;
  for (const f of a.findings) if (!out.add(findingSection(f, causeOf.get(f.causeId)), RESERVE)) left++;
  const conns = connectionsSection(a);
  if (conns && !out.add(collapsed('Connections', conns), RESERVE)) out.force('_The connection table is left out: see `--format json --connections`._');
  const unlisted = total - r.findings.length;
  if (left > 0 || causesLeft > 0 || unlisted > 0) {
    const cut = [causesLeft > 0 ? plural(causesLeft, 'cause') : '', left > 0 ? plural(left, 'finding') : ''].filter(Boolean).join(' and ');
    const parts = [cut ? `${cut} left out to keep this report under 65,536 characters (what a GitHub issue takes)` : '',
      unlisted > 0 ? `${plural(unlisted, 'finding')} counted in the causes but not listed` : ''].filter(Boolean);
    out.force(`_${parts.join('; ')}: \`rstdiag analyze --format json\` lists every finding the report keeps._`);
  }
  return out.text();
}

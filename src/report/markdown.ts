/**
 * The ticket report (`--format markdown`): GitHub/GitLab-flavoured markdown with a findings
 * table, per finding the explanation, the fix as shell blocks, the evidence table and a mermaid
 * sequence diagram of the evidence. Every capture-derived string is escaped for where it lands:
 * prose, table cells, code spans, fenced blocks or mermaid text.
 */
import type { Analysis, FindingWithEvidence, InputReport } from './types.js';
import { buildLadder, isShellStep, relTimeText, secondsBetween, type Lane } from './diagram.js';

const EVIDENCE_ROWS = 60;
const DIAGRAM_STEPS = 40;
const CONNECTION_ROWS = 500;

const LINK_NAMES: Record<number, string> = {
  0: 'NULL', 1: 'EN10MB', 12: 'RAW', 101: 'RAW', 108: 'LOOP', 113: 'LINUX_SLL', 228: 'IPV4', 229: 'IPV6', 276: 'LINUX_SLL2',
};

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

function inputLine(i: InputReport): string {
  const links = i.linkTypes.map((l) => LINK_NAMES[l] ?? String(l)).join(', ');
  const what = [i.format ?? 'unknown format', links, plural(i.packets, 'packet'), `${i.bytes} bytes`].filter(Boolean).join(', ');
  const span = i.firstTime ? `, ${mdText(i.firstTime)} … ${mdText(i.lastTime ?? '-')}` : '';
  const lines = [`- ${mdCode(i.path)} (${mdText(what)}${span})${i.truncated ? ' — **truncated**: the report covers what was read' : ''}`];
  for (const w of i.warnings) lines.push(`  - ⚠️ ${mdText(w)}`);
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
    const frame = e.copies.length > 0 ? `${e.frame} (+${e.copies.length} cop${e.copies.length === 1 ? 'y' : 'ies'})` : String(e.frame);
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
    lines.push(`    ${from}->>${to}: ${mermaidText(`#${s.frame} ${s.text}${tag}`)}`);
  }
  if (ladder.omitted > 0) lines.push(`    Note over ${ids[0]}: ${mermaidText(`… ${ladder.omitted} more packets`)}`);
  return lines.join('\n');
}

function findingSection(f: FindingWithEvidence): string {
  const parts: string[] = [];
  parts.push(`### ${mdText(f.id)} · ${mdText(f.rule)} (${mdText(f.severity)}, confidence ${f.confidence.toFixed(2)})`);
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
    parts.push(remediation(f.remediation));
  }
  if (f.ruledOut.length > 0) {
    parts.push('#### Ruled out');
    parts.push(f.ruledOut.map((r) => `- ${mdCode(r.rule)}: ${mdText(r.why)}`).join('\n'));
  }
  parts.push('#### Evidence');
  parts.push(evidenceTable(f));
  if (f.evidence.length > 0) {
    parts.push('```mermaid\n' + sequenceDiagram(f) + '\n```');
  }
  parts.push(`Docs: ${mdCode(f.docs)} (\`rstdiag explain ${f.rule}\`)`);
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

/** The markdown report. */
export function renderMarkdown(a: Analysis): string {
  const r = a.report;
  const s = r.summary;
  const bySeverity = (sev: string): number => r.findings.filter((f) => f.severity === sev).length;
  const counts = ['error', 'warning', 'info'].map((sev) => [sev, bySeverity(sev)] as const).filter(([, n]) => n > 0)
    .map(([sev, n]) => plural(n, sev)).join(', ');
  const out: string[] = [];
  out.push(`# rstdiag report: ${r.findings.length === 0 ? 'no findings' : `${plural(r.findings.length, 'finding')} (${counts})`}`);
  out.push(`Generated by rstdiag ${mdText(r.tool.version)} from the capture${r.inputs.length === 1 ? '' : 's'} below; times are capture times (UTC).`);
  out.push('## Inputs');
  out.push(r.inputs.length > 0 ? r.inputs.map(inputLine).join('\n') : '_None._');
  out.push('## Summary');
  const rules = Object.entries(s.findingsByRule).map(([rule, n]) => `${mdCode(rule)} × ${n}`).join(', ');
  out.push([
    `- ${plural(s.packets, 'packet')}, ${s.tcpPackets} TCP, ${plural(s.connections, 'connection')}, ${plural(s.resets, 'reset')}`,
    `- ${plural(r.findings.length, 'finding')}${rules ? `: ${rules}` : ''}`,
  ].join('\n'));
  if (a.translations.length > 0) {
    out.push('## NAT translations seen');
    out.push(table(['kind', 'from', 'to', 'connections'], a.translations.map((t) => [t.kind.toUpperCase(), mdCode(t.from, true), mdCode(t.to, true), String(t.connections)])));
  }
  out.push('## Findings');
  if (a.findings.length === 0) {
    out.push('No findings: no resets or failed connections to explain in these captures.');
  } else {
    out.push(table(['id', 'severity', 'rule', 'client', 'server', 'backend', 'count', 'confidence', 'summary'], a.findings.map((f) => [
      mdCell(f.id), mdCell(f.severity), mdCode(f.rule, true), f.client ? mdCode(f.client, true) : '', f.server ? mdCode(f.server, true) : '',
      f.backend ? mdCode(f.backend, true) : '', String(f.count), f.confidence.toFixed(2), mdCell(f.summary),
    ])));
    for (const f of a.findings) out.push(findingSection(f));
  }
  const conns = connectionsSection(a);
  if (conns) out.push(conns);
  return out.join('\n\n') + '\n';
}

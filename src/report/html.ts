/**
 * The self-contained HTML report (`--format html`): one file, inline CSS, one inline script (the
 * connection-table filter), no network loads; a Content-Security-Policy allows only that script
 * (by hash) and inline style. Every string that can come from a capture goes through escapeHtml,
 * in element text, attributes and SVG text alike.
 */
import { createHash } from 'node:crypto';
import type { Analysis, CauseReport, ConnectionReport, FindingWithEvidence, InputReport } from './types.js';
import { buildLadder, isShellStep, relTimeText, secondsBetween, type Ladder, type StepKind } from './diagram.js';
import { causeFindings, sameSteps } from './causes.js';
import { clockLine, frameCell, frameRef, linkTypesText } from './frame-ref.js';

const EVIDENCE_ROWS = 60;
const DIAGRAM_STEPS = 40;
const CONNECTION_ROWS = 5000;
/** Causes drawn with their top finding's packet ladder. */
const LADDER_CAUSES = 12;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML (and inline SVG) element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A token safe for id/class attributes and SVG marker references. */
function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '_');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const STYLE = `
:root { --fg:#1d232b; --muted:#5b6573; --line:#d8dde4; --bg:#ffffff; --panel:#f6f8fa; --accent:#1f5fa8;
  --err:#b3261e; --warn:#a15c00; --info:#1f5fa8; --nat:#6a3d9a; --icmp:#c45a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 17px; margin: 0 0 8px; display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
h4 { font-size: 14px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 20px 0 6px; }
code, pre, .mono, td.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 13px; }
.sub { color: var(--muted); margin: 0 0 8px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 16px 0 0; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 120px; }
.card b { display: block; font-size: 22px; }
.card span { color: var(--muted); font-size: 13px; }
ul.inputs { padding-left: 20px; margin: 0; }
ul.inputs li { margin: 4px 0; }
.warn { color: var(--warn); }
ul.warnings { margin: 4px 0 8px; padding-left: 20px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; font-size: 14px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.mono { white-space: nowrap; }
.badge { display: inline-block; border-radius: 999px; padding: 1px 10px; font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .04em; color: #fff; }
.badge.error { background: var(--err); } .badge.warning { background: var(--warn); } .badge.info { background: var(--info); }
.rule { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 14px; color: var(--muted); font-weight: 500; }
section.finding { border: 1px solid var(--line); border-left: 5px solid var(--accent); border-radius: 8px; padding: 18px 22px; margin: 18px 0; }
section.finding.error, section.cause.error { border-left-color: var(--err); } section.finding.warning, section.cause.warning { border-left-color: var(--warn); }
section.cause { border: 1px solid var(--line); border-left: 5px solid var(--accent); border-radius: 8px; padding: 18px 22px; margin: 18px 0; background: #fbfcfd; }
section.cause .title { font-size: 17px; font-weight: 600; margin: 0 0 6px; }
details.all { margin: 18px 0; } details.all > summary { cursor: pointer; font-weight: 600; padding: 8px 0; }
.summary { font-weight: 600; margin: 0 0 6px; }
.facts { color: var(--muted); font-size: 14px; margin: 0 0 8px; }
.facts code { color: var(--fg); }
pre { background: #0f1720; color: #e6edf3; border-radius: 6px; padding: 12px 14px; overflow-x: auto; margin: 6px 0; line-height: 1.45; white-space: pre-wrap; overflow-wrap: anywhere; }
.ladder { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; background: #fcfdfe; padding: 6px 0; }
.ladder svg { display: block; margin: 0 auto; }
.legend { font-size: 13px; color: var(--muted); margin: 6px 0 0; }
.legend i { display: inline-block; width: 26px; height: 0; border-top: 2px solid; vertical-align: middle; margin: 0 4px 0 12px; }
.filter { display: flex; gap: 12px; align-items: center; margin: 4px 0 8px; }
.filter input { font: inherit; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; width: 340px; }
.empty { padding: 14px 18px; background: #eef7ee; border: 1px solid #cfe6cf; border-radius: 8px; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
`;

/** The only script: the connection-table filter (also prefilled from "#filter=…"). */
const SCRIPT = `(function () {
  document.documentElement.setAttribute('data-js', 'ready');
  var input = document.getElementById('conn-filter');
  if (!input) return;
  var rows = Array.prototype.slice.call(document.querySelectorAll('#conn-table tbody tr'));
  var count = document.getElementById('conn-count');
  function apply() {
    var terms = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (r) {
      var text = r.textContent.toLowerCase();
      var ok = terms.every(function (t) { return text.indexOf(t) >= 0; });
      r.hidden = !ok;
      if (ok) shown++;
    });
    count.textContent = shown + ' of ' + rows.length + ' connections';
  }
  input.addEventListener('input', apply);
  var m = /^#filter=(.*)$/.exec(location.hash);
  if (m) { try { input.value = decodeURIComponent(m[1]); } catch (e) { input.value = m[1]; } }
  apply();
})();`;

const SCRIPT_HASH = createHash('sha256').update(SCRIPT, 'utf8').digest('base64');

const CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'; img-src data:; base-uri 'none'; form-action 'none'`;

function inputItem(i: InputReport, n: number): string {
  const links = linkTypesText(i);
  const what = [i.format ?? 'unknown format', links, plural(i.packets, 'packet'), `${i.bytes} bytes`].filter(Boolean).join(', ');
  const span = i.firstTime ? `, ${i.firstTime} … ${i.lastTime ?? '-'}` : '';
  let out = `<li><code>${escapeHtml(i.path)}</code> (${escapeHtml(what + span)})`;
  if (i.truncated) out += ' <strong class="warn">truncated: the report covers what was read</strong>';
  const clock = clockLine(i, n);
  if (clock !== null) out += ` — ${escapeHtml(clock)}`;
  if (i.warnings.length > 0) {
    out += `<ul class="warnings">${i.warnings.map((w) => `<li class="warn">⚠ ${escapeHtml(w)}</li>`).join('')}</ul>`;
  }
  return out + '</li>';
}

const KIND_COLOR: Record<StepKind, string> = {
  normal: '#1f5fa8', translated: '#6a3d9a', untranslated: '#b3261e', reset: '#b3261e', icmp: '#c45a00',
};

/** Columns of the vantage markers (several inputs): one per input, this wide (px). */
const VANTAGE_W = 16;

/**
 * An SVG ladder: one vertical lane per participant, time flowing down, one arrow per packet. With
 * several inputs (`vantages`: their names), a column per input marks each packet seen there (●)
 * or not (○), so where a packet stopped shows at a glance.
 */
export function ladderSvg(ladder: Ladder, idPrefix: string, vantages: readonly string[] = []): string {
  const n = ladder.lanes.length;
  if (n === 0) return '';
  const longest = Math.max(...ladder.lanes.map((l) => l.display.length), ...ladder.steps.map((s) => s.text.length + 4));
  const gap = Math.min(420, Math.max(220, Math.ceil(longest * 7.6) + 36));
  const marks = vantages.length > 1 ? vantages.length : 0;
  // input#frame labels are wider than frame numbers: the time and the vantage columns move right.
  const timeX = marks > 0 ? Math.max(52, 20 + Math.max(...ladder.steps.map((s) => frameRef(s).length + 1)) * 9) : 52;
  const marksLeft = timeX + 72;
  const left = marks > 0 ? marksLeft + marks * VANTAGE_W + 8 : 120;
  const width = left + n * gap + 10;
  const headH = 58;
  const top = headH + 34;
  const rowH = 50;
  const height = top + Math.max(1, ladder.steps.length) * rowH + 10;
  const x = (i: number): number => left + i * gap + gap / 2;
  const p = slug(idPrefix);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="packet ladder diagram" font-family="system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif" font-size="13">`);
  out.push('<defs>');
  for (const [kind, color] of Object.entries(KIND_COLOR)) {
    out.push(`<marker id="${p}-ah-${kind}" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker>`);
  }
  out.push('</defs>');
  // Lane heads and lines.
  ladder.lanes.forEach((l, i) => {
    const cx = x(i);
    const boxW = gap - 24;
    out.push(`<rect x="${cx - boxW / 2}" y="6" width="${boxW}" height="${headH - 8}" rx="6" fill="#eef3f9" stroke="#b9c7d8"/>`);
    out.push(`<text x="${cx}" y="26" text-anchor="middle" font-weight="700" fill="#1d232b">${escapeHtml(l.title)}</text>`);
    out.push(`<text x="${cx}" y="45" text-anchor="middle" font-family="ui-monospace, Menlo, Consolas, DejaVu Sans Mono, monospace" font-size="12" fill="#3b4652">${escapeHtml(l.display)}</text>`);
    out.push(`<line x1="${cx}" y1="${headH}" x2="${cx}" y2="${height - 6}" stroke="#9aa7b6" stroke-width="1.5" stroke-dasharray="4 4"/>`);
  });
  out.push(`<text x="12" y="${top - 14}" font-size="11" fill="#5b6573">frame · time (s)</text>`);
  const markX = (input: number): number => marksLeft + input * VANTAGE_W + VANTAGE_W / 2;
  vantages.slice(0, marks).forEach((name, k) => {
    out.push(`<text x="${markX(k)}" y="${top - 14}" text-anchor="middle" font-size="11" font-weight="700" fill="#5b6573"><title>${escapeHtml(`input ${k + 1}: ${name}`)}</title>${k + 1}</text>`);
  });
  ladder.steps.forEach((s, i) => {
    const y = top + i * rowH + 14;
    const color = KIND_COLOR[s.kind];
    const tip = [`frame ${frameRef(s)}${s.copies.length ? ` (copies ${s.copies.join(', ')})` : ''}`, s.text, s.note].filter(Boolean).join(' — ');
    out.push(`<g><title>${escapeHtml(tip)}</title>`);
    if (i % 2 === 0) out.push(`<rect x="0" y="${y - 30}" width="${width}" height="${rowH}" fill="#f4f6f9" opacity="0.6"/>`);
    out.push(`<text x="12" y="${y + 4}" font-weight="600" fill="#1d232b">#${frameRef(s)}</text>`);
    out.push(`<text x="${timeX}" y="${y + 4}" font-size="12" fill="#5b6573">${escapeHtml(relTimeText(s.t))}</text>`);
    if (s.attempt !== null) out.push(`<text x="12" y="${y + 19}" font-size="11" fill="#5b6573">${escapeHtml(s.attempt)}</text>`);
    for (let k = 0; k < marks; k++) {
      const at = s.seen?.find((v) => v.input === k);
      const what = at === undefined ? `not in input ${k + 1} (${vantages[k]!})` : `input ${k + 1} (${vantages[k]!}) frame ${at.frame}`;
      out.push(`<circle cx="${markX(k)}" cy="${y}" r="4.5" fill="${at === undefined ? '#ffffff' : '#1d232b'}" stroke="${at === undefined ? '#9aa7b6' : '#1d232b'}" stroke-width="1.5"><title>${escapeHtml(what)}</title></circle>`);
    }
    const x1 = x(s.from);
    const x2 = x(s.to);
    const dash = s.kind === 'translated' ? ' stroke-dasharray="7 5"' : s.kind === 'icmp' ? ' stroke-dasharray="2 4"' : '';
    if (s.from === s.to) {
      out.push(`<path d="M${x1},${y - 8} h40 v16 h-38" fill="none" stroke="${color}" stroke-width="2"${dash} marker-end="url(#${p}-ah-${s.kind})"/>`);
      out.push(`<text x="${x1 + 48}" y="${y + 4}" fill="${color}">${escapeHtml(s.text)}</text>`);
    } else {
      const dir = x2 > x1 ? 1 : -1;
      out.push(`<line x1="${x1 + dir * 4}" y1="${y}" x2="${x2 - dir * 4}" y2="${y}" stroke="${color}" stroke-width="2"${dash} marker-end="url(#${p}-ah-${s.kind})"/>`);
      const mid = (x1 + x2) / 2;
      out.push(`<text x="${mid}" y="${y - 7}" text-anchor="middle" font-weight="600" fill="${color}">${escapeHtml(s.text)}</text>`);
      const tag = s.kind === 'translated' ? (s.nat ?? 'NAT').split(/\s/)[0]! : s.kind === 'untranslated' ? 'no reverse NAT' : null;
      if (tag !== null) {
        const tw = tag.length * 7 + 14;
        const tx = x1 + dir * 14 + (dir < 0 ? -tw : 0);
        out.push(`<rect x="${tx}" y="${y + 5}" width="${tw}" height="17" rx="8" fill="${color}"/>`);
        out.push(`<text x="${tx + tw / 2}" y="${y + 17}" text-anchor="middle" font-size="11" font-weight="700" fill="#ffffff">${escapeHtml(tag)}</text>`);
      }
      if (s.kind === 'translated' && s.nat) {
        out.push(`<text x="${mid}" y="${y + 17}" text-anchor="middle" font-size="11" fill="${color}">${escapeHtml(s.nat)}</text>`);
      }
    }
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n');
}

function evidenceTable(f: FindingWithEvidence): string {
  const base = f.evidence[0];
  if (!base) return '<p class="sub">No evidence packets.</p>';
  const rows = f.evidence.slice(0, EVIDENCE_ROWS).map((e) => {
    const seqAck = e.relSeq === null && e.relAck === null ? '' : `${e.relSeq ?? '-'} / ${e.relAck ?? '-'}`;
    const frame = frameCell(e, true);
    return `<tr><td class="num">${escapeHtml(frame)}</td><td class="num">${escapeHtml(relTimeText(secondsBetween(base, e)))}</td>` +
      `<td class="mono">${escapeHtml(e.from)} → ${escapeHtml(e.to)}</td><td class="mono">${escapeHtml(e.label)}</td>` +
      `<td class="num">${escapeHtml(seqAck)}${e.len > 0 ? ` (len ${e.len})` : ''}</td><td>${escapeHtml(e.note)}</td></tr>`;
  });
  let out = `<table class="evidence"><thead><tr><th>frame</th><th>time (s)</th><th>from → to</th><th>flags</th><th>rel seq / ack</th><th>note</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  if (f.evidence.length > rows.length) out += `<p class="sub">… ${f.evidence.length - rows.length} more evidence packets.</p>`;
  return out;
}

function fixBlock(steps: readonly string[]): string {
  const lines = steps.map((s) => isShellStep(s) ? s : `# ${s}`);
  return `<h4>Fix</h4><pre class="remediation">${escapeHtml(lines.join('\n'))}</pre>`;
}

/** A finding's packet ladder (SVG) with its legend. */
function ladderFigure(f: FindingWithEvidence, idPrefix: string, vantages: readonly string[]): string {
  const ladder = buildLadder(f, DIAGRAM_STEPS);
  const kinds = new Set(ladder.steps.map((s) => s.kind));
  const legend: string[] = [];
  if (kinds.has('translated')) legend.push(`<i style="border-color:${KIND_COLOR.translated};border-top-style:dashed"></i>translated copy (NAT)`);
  if (kinds.has('untranslated')) legend.push(`<i style="border-color:${KIND_COLOR.untranslated}"></i>reply not translated back`);
  if (kinds.has('reset')) legend.push(`<i style="border-color:${KIND_COLOR.reset}"></i>reset`);
  if (kinds.has('icmp')) legend.push(`<i style="border-color:${KIND_COLOR.icmp};border-top-style:dotted"></i>ICMP error`);
  if (ladder.omitted > 0) legend.push(`… ${ladder.omitted} more packets not drawn`);
  if (vantages.length > 1) legend.push(`columns 1–${vantages.length}: the inputs; ● the packet is in that capture, ○ it is not`);
  return `<h4>Packet ladder</h4><div class="ladder">${ladderSvg(ladder, idPrefix, vantages)}</div>${legend.length > 0 ? `<p class="legend">${legend.join(' ')}</p>` : ''}`;
}

/** The inputs' file names, for the ladders' vantage columns (one input: none). */
function vantagesOf(a: Analysis): string[] {
  return a.report.inputs.length > 1 ? a.report.inputs.map((i) => i.path.replace(/^.*[\\/]/, '')) : [];
}

/** A cause's or finding's section opening: badge, id and rule, its one line, its facts (HTML). */
function sectionHead(kind: 'cause' | 'finding', x: { id: string; severity: string; rule: string }, lineClass: string, line: string, facts: string): string[] {
  return [
    `<section class="${kind} ${escapeHtml(x.severity)}" id="${kind}-${slug(x.id)}">`,
    `<h3><span class="badge ${escapeHtml(x.severity)}">${escapeHtml(x.severity)}</span> ${escapeHtml(x.id)} <span class="rule">${escapeHtml(x.rule)}</span></h3>`,
    `<p class="${lineClass}">${escapeHtml(line)}</p>`,
    `<p class="facts">${facts}</p>`,
  ];
}

function causeSection(a: Analysis, c: CauseReport, withLadder: boolean): string {
  const fs = causeFindings(a, c);
  const more = c.moreServers > 0 ? ` and ${c.moreServers} more` : '';
  const facts = [
    escapeHtml(plural(c.count, 'attempt')), escapeHtml(plural(c.clients, 'client')),
    c.servers.length > 0 ? `servers (most attempts first): ${c.servers.map((x) => `<code>${escapeHtml(x)}</code>`).join(', ')}${more}` : '',
    escapeHtml(`${c.firstTime} … ${c.lastTime}`),
  ].filter(Boolean).join(' · ');
  const parts = sectionHead('cause', c, 'title', c.title, facts);
  if (c.remediation.length > 0) parts.push(fixBlock(c.remediation));
  const examples = fs.slice(0, 3).map((f) => `<li><a href="#finding-${slug(f.id)}">${escapeHtml(f.id)}</a>: ${escapeHtml(f.summary)}</li>`);
  if (fs.length > 3) examples.push(`<li>${escapeHtml(plural(fs.length - 3, 'more finding'))} in the list below</li>`);
  if (c.unlisted > 0) examples.push(`<li>${escapeHtml(plural(c.unlisted, 'more finding'))} counted but not listed (rstdiag keeps a sample per cause; the numbers above include them)</li>`);
  if (examples.length > 0) parts.push(`<h4>Examples</h4><ul class="examples">${examples.join('')}</ul>`);
  const top = fs[0];
  if (withLadder && top !== undefined && top.evidence.length > 0) parts.push(ladderFigure(top, `c-${slug(c.id)}`, vantagesOf(a)));
  parts.push(`<p class="sub">Docs: <code>${escapeHtml(c.docs)}</code> · <code>rstdiag explain ${escapeHtml(c.rule)}</code></p>`);
  parts.push('</section>');
  return parts.join('\n');
}

function findingSection(f: FindingWithEvidence, cause: CauseReport | undefined, vantages: readonly string[]): string {
  const id = slug(f.id);
  const facts = [
    f.client ? `client <code>${escapeHtml(f.client)}</code>` : '',
    f.server ? `${f.backend ? 'Service' : 'server'} <code>${escapeHtml(f.server)}</code>` : '',
    f.backend ? `backend <code>${escapeHtml(f.backend)}</code>` : '',
    f.resetBy ? `reset by ${escapeHtml(f.resetBy)}${f.resetSender ? ` (<code>${escapeHtml(f.resetSender)}</code>)` : ''}` : '',
    escapeHtml(plural(f.count, 'connection')),
    `confidence ${f.confidence.toFixed(2)}`,
    escapeHtml(`${f.firstTime} … ${f.lastTime}`),
  ].filter(Boolean).join(' · ');
  const parts = sectionHead('finding', f, 'summary', f.summary, facts);
  parts.push(`<h4>Why</h4><p class="explanation">${escapeHtml(f.explanation)}</p>`);
  if (f.remediation.length > 0) {
    parts.push(cause && sameSteps(cause.remediation, f.remediation)
      ? `<h4>Fix</h4><p>As <a href="#cause-${slug(cause.id)}">${escapeHtml(cause.id)}</a> above.</p>` : fixBlock(f.remediation));
  }
  if (f.ruledOut.length > 0) {
    const items = f.ruledOut.map((r) => `<li><code>${escapeHtml(r.rule)}</code>: ${escapeHtml(r.why)}</li>`).join('');
    parts.push(`<h4>Ruled out</h4><ul class="ruled-out">${items}</ul>`);
  }
  if (f.evidence.length > 0) parts.push(ladderFigure(f, `f-${id}`, vantages));
  parts.push(`<h4>Evidence</h4>${evidenceTable(f)}`);
  parts.push(`<p class="sub">Docs: <code>${escapeHtml(f.docs)}</code> · <code>rstdiag explain ${escapeHtml(f.rule)}</code></p>`);
  parts.push('</section>');
  return parts.join('\n');
}

function connectionRow(c: ConnectionReport): string {
  const nat = c.nat ? `${c.nat.role}: ${c.nat.peer}` : '';
  return `<tr><td class="num">${c.id}</td><td class="mono">${escapeHtml(c.orig)}</td><td class="mono">${escapeHtml(c.resp)}</td>` +
    `<td class="mono">${escapeHtml(c.start)}</td><td class="num">${c.duration.toFixed(6)}</td>` +
    `<td class="num">${c.origPackets} / ${c.respPackets}</td><td class="num">${c.origBytes} / ${c.respBytes}</td>` +
    `<td class="mono">${escapeHtml(c.state)}</td><td class="mono">${escapeHtml(c.history)}</td><td class="mono">${escapeHtml(nat)}</td>` +
    `<td>${escapeHtml(c.findings.join(', '))}</td></tr>`;
}

function connectionsSection(a: Analysis): string {
  const conns = a.report.connections;
  if (!conns || conns.length === 0) return '';
  const shown = conns.slice(0, CONNECTION_ROWS);
  return `<h2 id="connections">Connections</h2>
<div class="filter"><input id="conn-filter" type="search" placeholder="filter: address, port, state, history, finding…" aria-label="filter connections" autocomplete="off"><span id="conn-count" class="sub">${shown.length} of ${shown.length} connections</span></div>
<table id="conn-table"><thead><tr><th>#</th><th>orig</th><th>resp</th><th>start</th><th>duration (s)</th><th>packets o/r</th><th>bytes o/r</th><th>state</th><th>history</th><th>NAT</th><th>findings</th></tr></thead>
<tbody>${shown.map(connectionRow).join('\n')}</tbody></table>${conns.length > shown.length ? `<p class="sub">… ${conns.length - shown.length} more connections (see --format json --connections).</p>` : ''}`;
}

/** The HTML report: one self-contained file. */
export function renderHtml(a: Analysis): string {
  const r = a.report;
  const s = r.summary;
  const total = Object.values(s.findingsByRule).reduce((x, y) => x + (y ?? 0), 0);
  const title = total === 0 ? 'rstdiag report: no findings' : `rstdiag report: ${plural(total, 'finding')}`;
  const body: string[] = [];
  body.push(`<h1>${escapeHtml(title)}</h1>`);
  body.push(`<p class="sub">rstdiag ${escapeHtml(r.tool.version)} · times are capture times (UTC)</p>`);
  const cards: [string, number][] = [['packets', s.packets], ['TCP packets', s.tcpPackets], ['connections', s.connections], ['resets', s.resets],
    ['causes', r.causes.length], ['findings', total]];
  body.push(`<div class="cards">${cards.map(([k, v]) => `<div class="card"><b>${v}</b><span>${escapeHtml(k)}</span></div>`).join('')}</div>`);
  // Several inputs are numbered: evidence names them (input#frame).
  const list = r.inputs.length > 1 ? 'ol' : 'ul';
  body.push(`<h2>Inputs</h2><${list} class="inputs">${r.inputs.map(inputItem).join('\n')}</${list}>`);
  if (a.translations.length > 0) {
    body.push(`<h2>NAT translations seen</h2><table><thead><tr><th>kind</th><th>from</th><th>to</th><th>connections</th></tr></thead><tbody>${a.translations.map((t) =>
      `<tr><td>${escapeHtml(t.kind.toUpperCase())}</td><td class="mono">${escapeHtml(t.from)}</td><td class="mono">${escapeHtml(t.to)}</td><td class="num">${t.connections}</td></tr>`).join('')}</tbody></table>`);
  }
  if (r.causes.length > 0) {
    body.push('<h2>Causes, worst first</h2>');
    r.causes.forEach((c, i) => body.push(causeSection(a, c, i < LADDER_CAUSES)));
  }
  body.push('<h2>Findings</h2>');
  if (a.findings.length === 0) {
    body.push('<p class="empty">No findings: no resets or failed connections to explain in these captures.</p>');
  } else {
    const causeOf = new Map(r.causes.map((c) => [c.id, c]));
    const table = `<table class="findings"><thead><tr><th>id</th><th>cause</th><th>severity</th><th>rule</th><th>client</th><th>server</th><th>backend</th><th>count</th><th>summary</th></tr></thead><tbody>${a.findings.map((f) =>
      `<tr><td><a href="#finding-${slug(f.id)}">${escapeHtml(f.id)}</a></td><td><a href="#cause-${slug(f.causeId)}">${escapeHtml(f.causeId)}</a></td><td><span class="badge ${escapeHtml(f.severity)}">${escapeHtml(f.severity)}</span></td><td class="mono">${escapeHtml(f.rule)}</td>` +
      `<td class="mono">${escapeHtml(f.client ?? '')}</td><td class="mono">${escapeHtml(f.server ?? '')}</td><td class="mono">${escapeHtml(f.backend ?? '')}</td><td class="num">${f.count}</td><td>${escapeHtml(f.summary)}</td></tr>`).join('')}</tbody></table>`;
    const unlisted = total - r.findings.length;
    const label = `All ${plural(r.findings.length, 'listed finding')}${unlisted > 0 ? ` (${unlisted} more counted in the causes, not listed)` : ''}: table and evidence`;
    body.push(`<details class="all"><summary>${escapeHtml(label)}</summary>\n${table}\n${a.findings.map((f) => findingSection(f, causeOf.get(f.causeId), vantagesOf(a))).join('\n')}\n</details>`);
  }
  const conns = connectionsSection(a);
  if (conns) body.push(conns);
  body.push(`<footer>Generated by rstdiag ${escapeHtml(r.tool.version)} (${escapeHtml(r.inputs.map((i) => i.path).join(', '))}).</footer>`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body.join('\n')}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

import { describe, expect, test } from 'vitest';
import { renderMarkdown, mermaidText, mdText, mdCode } from '../../src/report/markdown.js';
import { brnfAnalysis, emptyAnalysis, hostileAnalysis, ipv6Analysis } from './fixture.js';

/** The body of every ```lang fenced block. */
function blocks(md: string, lang: string): string[] {
  const out: string[] = [];
  const re = new RegExp('^(`{3,})' + lang + '\\n([\\s\\S]*?)\\n\\1$', 'gm');
  for (let m = re.exec(md); m; m = re.exec(md)) out.push(m[2]!);
  return out;
}

/** Lines of a markdown table whose header row starts with `| first |`. */
function tableAfter(md: string, first: string): string[] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  if (start < 0) return [];
  const rows: string[] = [];
  for (let i = start; i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(lines[i]!);
  return rows;
}

/** Cells of a table row, honouring `\|`. */
function cells(row: string): string[] {
  return row.replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim());
}

describe('markdown report', () => {
  const md = renderMarkdown(brnfAnalysis());

  test('has a title, inputs, summary, NAT translations and a findings table', () => {
    expect(md.startsWith('# rstdiag report: 1 finding (1 error)\n')).toBe(true);
    expect(md).toContain('## Inputs');
    expect(md).toContain('`samples/brnf-off/node-any.pcap`');
    expect(md).toContain('## Summary');
    expect(md).toContain('## NAT translations seen');
    expect(md).toMatch(/\| DNAT \| `10\.96\.0\.10:80` \| `10\.244\.0\.3:8080` \| 1 \|/);
    const findings = tableAfter(md, 'id');
    expect(findings).toHaveLength(3);
    expect(findings[1]).toMatch(/^\|(---\|){9}$/);
    expect(cells(findings[2]!).slice(0, 8)).toEqual(['F1', 'error', '`unreversed-dnat`', '`10.244.0.2:41234`', '`10.96.0.10:80`', '`10.244.0.3:8080`', '1', '0.98']);
  });

  test('remediation commands are in sh code blocks', () => {
    const sh = blocks(md, 'sh');
    expect(sh).toHaveLength(1);
    expect(sh[0]!.split('\n')).toEqual(brnfAnalysis().findings[0]!.remediation);
  });

  test('prose remediation steps become list items, commands stay in sh blocks', () => {
    const md6 = renderMarkdown(ipv6Analysis());
    expect(blocks(md6, 'sh')).toEqual(['kubectl get endpointslices -A | grep my-svc']);
    expect(md6).toContain("- Check the Service selector matches the pods' labels.");
  });

  test('evidence table: one row per packet, relative times, from → to, flags, seq/ack, note', () => {
    const rows = tableAfter(md, 'frame');
    expect(cells(rows[0]!)).toEqual(['frame', 'time (s)', 'from → to', 'flags', 'rel seq / ack', 'note']);
    expect(rows).toHaveLength(2 + 5);
    expect(cells(rows[2]!)).toEqual(['1', '+0.000000', '`10.244.0.2:41234` → `10.96.0.10:80`', 'SYN', '0 / -', 'client dials the Service address']);
    expect(cells(rows[4]!)).toEqual(['3', '+0.000097', '`10.244.0.3:8080` → `10.244.0.2:41234`', 'SYN,ACK', '0 / 1', 'from the backend, not 10.96.0.10:80: reverse NAT skipped']);
    expect(cells(rows[6]!)[1]).toBe('+1.012000');
  });

  test('mermaid sequenceDiagram: participants declared, one arrow per evidence packet, NAT as a note', () => {
    const diagrams = blocks(md, 'mermaid');
    expect(diagrams).toHaveLength(1);
    // (Checked by hand against mermaid 11 in headless Chromium: all golden diagrams render,
    // entity codes come out as ':' '#' '[' in the SVG text.)
    const lines = diagrams[0]!.split('\n');
    expect(lines[0]).toBe('sequenceDiagram');
    const participants = lines.filter((l) => /^\s+participant /.test(l));
    expect(participants).toEqual([
      '    participant C as client 10.244.0.2#58;41234',
      '    participant S as Service 10.96.0.10#58;80',
      '    participant B as backend 10.244.0.3#58;8080',
    ]);
    const declared = new Set(participants.map((p) => p.trim().split(' ')[1]));
    const arrows = lines.filter((l) => l.includes('->>'));
    expect(arrows).toHaveLength(brnfAnalysis().findings[0]!.evidence.length);
    for (const a of arrows) {
      const m = /^\s+(\w+)->>(\w+): (.+)$/.exec(a);
      expect(m, a).not.toBeNull();
      expect(declared.has(m![1]!)).toBe(true);
      expect(declared.has(m![2]!)).toBe(true);
      // Only the separator colon: the message itself is entity-escaped.
      expect(m![3]!.replace(/#\d+;/g, '')).not.toMatch(/[:;#]/);
    }
    expect(arrows[0]).toBe('    C->>S: #35;1 SYN seq=0');
    expect(arrows[2]).toBe('    B->>C: #35;3 SYN,ACK seq=0 ack=1 (untranslated)');
    const noteIdx = lines.findIndex((l) => l.includes('Note over'));
    expect(lines[noteIdx]).toBe('    Note over S,B: DNAT 10.96.0.10#58;80 → 10.244.0.3#58;8080');
    expect(lines[noteIdx + 1]).toBe('    C->>B: #35;2 SYN seq=0');
  });

  test('IPv6 and ICMP from the node: a node participant, no raw colons or # in mermaid text', () => {
    const md6 = renderMarkdown(ipv6Analysis());
    const d = blocks(md6, 'mermaid')[0]!;
    expect(d).toContain('participant C as client #91;fd00#58;10#58;244#58;#58;2#93;#58;41234');
    expect(d).toContain('participant N as node fd00#58;10#58;244#58;#58;1');
    expect(d).toContain('N->>C: #35;2 ICMP port-unreachable');
    for (const line of d.split('\n').slice(1)) {
      const text = line.includes(' as ') ? line.slice(line.indexOf(' as ') + 4) : line.slice(line.indexOf(': ') + 2);
      // After escaping, '#' only opens an entity and ';' only closes one; no ':' remains.
      expect(text.replace(/#\d+;|#[a-z]+;/g, ''), line).not.toMatch(/[#;:]/);
    }
  });

  test('escapes table pipes, HTML and mermaid separators from hostile strings', () => {
    const h = renderMarkdown(hostileAnalysis());
    // Outside code (where markdown shows text literally) no raw HTML survives.
    // (<details> and <summary> are the report's own tags; their text is entity-escaped.)
    const prose = h.replace(/^(`{3,})\w*\n[\s\S]*?\n\1$/gm, '').replace(/(`+)[^`]*?\1/g, '').replace(/<\/?(details|summary)>/g, '');
    expect(prose).not.toMatch(/(?<!\\)</);
    expect(h).toContain('\\<script\\>');
    expect(h).toContain('\\| pipes; #hash');
    // Every table row keeps its column count despite pipes in the data.
    const rows = tableAfter(h, 'frame');
    for (const r of rows) expect(cells(r)).toHaveLength(6);
    const d = blocks(h, 'mermaid')[0]!;
    expect(d.replace(/->>/g, '')).not.toMatch(/[<>"]/);
    // The remediation shell block carries the command verbatim (it is code, not HTML).
    expect(blocks(h, 'sh')[0]).toContain("echo '<script>");
  });

  test('empty report says there are no findings', () => {
    const e = renderMarkdown(emptyAnalysis());
    expect(e.startsWith('# rstdiag report: no findings\n')).toBe(true);
    expect(e).toContain('No findings: no resets or failed connections to explain');
    expect(e).not.toContain('```mermaid');
  });

  test('connection table appears when the report has connections', () => {
    const rows = tableAfter(md, '#');
    expect(rows).toHaveLength(2 + 3);
    expect(cells(rows[3]!)[3]).toBe('RSTOS0');
    expect(renderMarkdown(ipv6Analysis())).not.toContain('## Connections');
  });

  test('escape helpers', () => {
    expect(mermaidText('a:b;c#d<e>[f]')).toBe('a#58;b#59;c#35;d#60;e#62;#91;f#93;');
    expect(mdText('br_netfilter _x_ a|b <i>')).toBe('br_netfilter \\_x\\_ a\\|b \\<i\\>');
    expect(mdText('# not a heading')).toBe('\\# not a heading');
    expect(mdCode('a`b')).toBe('``a`b``');
    expect(mdCode('a|b', true)).toBe('`a\\|b`');
  });
});

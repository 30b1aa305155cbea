import Table from 'cli-table3';
import type { Analysis, FindingWithEvidence } from './types.js';
import type { EvidencePacket } from '../rules/types.js';

const LINK_NAMES: Record<number, string> = {
  0: 'NULL', 1: 'EN10MB', 12: 'RAW', 101: 'RAW', 108: 'LOOP', 113: 'LINUX_SLL', 228: 'IPV4', 229: 'IPV6', 276: 'LINUX_SLL2',
};

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line.length + w.length + 1 > width && line.length > 0) {
      lines.push(indent + line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(indent + line);
  return lines.join('\n');
}

/** A short ladder: the first packets in full, the rest by frame number. */
const MAX_LADDER = 12;

/** Time of an evidence packet relative to the finding's first one, in seconds with 6 decimals. */
function relTime(e: EvidencePacket, base: EvidencePacket): string {
  const d = (e.sec - base.sec) + (e.nsec - base.nsec) / 1e9;
  return `+${d.toFixed(6)}`;
}

function ladder(f: FindingWithEvidence): string {
  const rows = f.evidence;
  if (rows.length === 0) return '';
  const base = rows[0]!;
  const table = new Table({
    head: ['frame', 'time', 'packet', 'seq/ack', 'note'],
    style: { head: [], border: [], compact: true },
    wordWrap: true,
    colWidths: [10, 11, 52, 9, 50],
  });
  for (const e of rows.slice(0, MAX_LADDER)) {
    const seqAck = e.relSeq === null ? '' : `${e.relSeq}${e.relAck === null ? '' : `/${e.relAck}`}`;
    const frame = e.copies.length > 0 ? `${e.frame} (+${e.copies.length})` : String(e.frame);
    table.push([frame, relTime(e, base), `${e.from} ─${e.label}→ ${e.to}`, seqAck, e.note]);
  }
  let out = table.toString();
  if (rows.length > MAX_LADDER) {
    const rest = rows.slice(MAX_LADDER).map((e) => e.frame);
    out += `\n… ${rest.length} more evidence packets (frames ${rest.slice(0, 12).join(', ')}${rest.length > 12 ? ', …' : ''})`;
  }
  return out;
}

/** The human report: summary, findings table, then each finding with its evidence ladder and fix. */
export function renderText(a: Analysis): string {
  const r = a.report;
  const out: string[] = [];
  out.push(`rstdiag ${r.tool.version}`);
  for (const i of r.inputs) {
    const links = i.linkTypes.map((l) => LINK_NAMES[l] ?? String(l)).join(', ');
    out.push(`Input: ${i.path} (${i.format ?? 'unknown'}${links ? `, ${links}` : ''}, ${i.packets} packets, ${i.firstTime ?? '-'} … ${i.lastTime ?? '-'})${i.truncated ? ' TRUNCATED' : ''}`);
    for (const w of i.warnings) out.push(`  warning: ${w}`);
  }
  const s = r.summary;
  out.push(`Summary: ${s.packets} packets, ${s.tcpPackets} TCP, ${s.connections} connections, ${s.resets} resets, ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}`);
  if (a.translations.length > 0) {
    out.push('NAT seen: ' + a.translations.map((t) => `${t.from} → ${t.to} (${t.kind.toUpperCase()}, ${t.connections} conn${t.connections > 1 ? 's' : ''})`).join('; '));
  }
  if (a.findings.length === 0) {
    // Never "nothing to explain" while resets were counted.
    out.push('', s.resets === 0 ? 'No resets or failed connections to explain.'
      : `${s.resets} reset${s.resets === 1 ? ' was' : 's were'} counted but no finding covers ${s.resets === 1 ? 'it' : 'them'}: list them with rstdiag flows.`);
    return out.join('\n') + '\n';
  }
  const table = new Table({
    head: ['id', 'severity', 'rule', 'client', 'server', 'backend', 'count', 'conf'],
    style: { head: [], border: [] },
  });
  for (const f of a.findings) {
    table.push([f.id, f.severity, f.rule, f.client ?? '', f.server ?? '', f.backend ?? '', String(f.count), f.confidence.toFixed(2)]);
  }
  out.push('', table.toString());
  for (const f of a.findings) {
    out.push('', `${f.id} ${f.rule} (${f.severity}, confidence ${f.confidence.toFixed(2)}): ${f.summary}`);
    out.push(wrap(f.explanation, 100, '  '));
    out.push('  Evidence:');
    out.push(ladder(f).split('\n').map((l) => '  ' + l).join('\n'));
    if (f.remediation.length > 0) {
      out.push('  Fix:');
      for (const step of f.remediation) out.push(`    ${step}`);
    }
    if (f.ruledOut.length > 0) {
      out.push('  Ruled out:');
      for (const r of f.ruledOut) out.push(wrap(`${r.rule}: ${r.why}`, 100, '    '));
    }
    out.push(`  Docs: ${f.docs}  (rstdiag explain ${f.rule})`);
    if (f.displayFilter !== '') out.push(`  Wireshark: ${f.displayFilter}`);
  }
  return out.join('\n') + '\n';
}

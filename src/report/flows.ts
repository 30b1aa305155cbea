import type { Analysis, ConnectionReport } from './types.js';

export type FlowsFormat = 'text' | 'json' | 'csv';

const COLUMNS: (keyof ConnectionReport)[] = ['id', 'orig', 'resp', 'start', 'duration', 'origPackets', 'origBytes',
  'respPackets', 'respBytes', 'state', 'history', 'nat', 'findings'];

function cell(c: ConnectionReport, k: keyof ConnectionReport): string {
  const v = c[k];
  // Inputs numbered from 1, as the reports name them (input#frame).
  if (k === 'inputs') return (c.inputs ?? []).map((i) => i + 1).join(' ');
  if (k === 'nat') return c.nat ? `${c.nat.role} of ${c.nat.peer}` : '';
  if (Array.isArray(v)) return v.join(' ');
  return String(v);
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** `rstdiag flows`: one row per TCP connection. */
export function renderFlows(a: Analysis, format: FlowsFormat): string {
  const rows = a.report.connections ?? [];
  if (format === 'json') return JSON.stringify(rows, null, 2) + '\n';
  // Several inputs: which of them saw each connection.
  const joint = a.report.inputs.length > 1;
  const columns: (keyof ConnectionReport)[] = joint ? [...COLUMNS, 'inputs'] : COLUMNS;
  if (format === 'csv') {
    return [columns.join(','), ...rows.map((r) => columns.map((k) => csvField(cell(r, k))).join(','))].join('\n') + '\n';
  }
  // A plain aligned table, laid out in one pass: cli-table3's layout grows about quadratically
  // with the rows, and a node capture has hundreds of thousands of connections.
  const head = ['id', 'orig', 'resp', 'start', 'dur(s)', 'pkts o/r', 'bytes o/r', 'state', 'history', 'nat', ...(joint ? ['seen in'] : []), 'findings'];
  const body = rows.map((r) => [String(r.id), r.orig, r.resp, r.start, r.duration.toFixed(3), `${r.origPackets}/${r.respPackets}`,
    `${r.origBytes}/${r.respBytes}`, r.state, r.history, cell(r, 'nat'), ...(joint ? [cell(r, 'inputs')] : []), r.findings.join(' ')]);
  const widths = head.map((h) => h.length);
  for (const row of body) for (let i = 0; i < row.length; i++) widths[i] = Math.max(widths[i]!, row[i]!.length);
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(head), line(widths.map((w) => '-'.repeat(w)))];
  for (const row of body) out.push(line(row));
  return out.join('\n') + '\n';
}

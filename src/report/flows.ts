import Table from 'cli-table3';
import type { Analysis, ConnectionReport } from './types.js';

export type FlowsFormat = 'text' | 'json' | 'csv';

const COLUMNS: (keyof ConnectionReport)[] = ['id', 'orig', 'resp', 'start', 'duration', 'origPackets', 'origBytes',
  'respPackets', 'respBytes', 'state', 'history', 'nat', 'findings'];

function cell(c: ConnectionReport, k: keyof ConnectionReport): string {
  const v = c[k];
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
  if (format === 'csv') {
    return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((k) => csvField(cell(r, k))).join(','))].join('\n') + '\n';
  }
  const table = new Table({
    head: ['id', 'orig', 'resp', 'start', 'dur(s)', 'pkts o/r', 'bytes o/r', 'state', 'history', 'nat', 'findings'],
    style: { head: [], border: [] },
  });
  for (const r of rows) {
    table.push([String(r.id), r.orig, r.resp, r.start, r.duration.toFixed(3), `${r.origPackets}/${r.respPackets}`,
      `${r.origBytes}/${r.respBytes}`, r.state, r.history, cell(r, 'nat'), r.findings.join(' ')]);
  }
  return table.toString() + '\n';
}

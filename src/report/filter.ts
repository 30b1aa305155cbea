/**
 * The analyze / flows filters (--rule, --host, --port, --top): which findings or connection rows
 * a report shows. Within one option any value matches; the options combine (all must match).
 * Finding ids stay those of the whole capture, so a filtered report names findings as the full
 * one does.
 */
import ipaddr from 'ipaddr.js';
import { SEVERITY_RANK } from '../rules/types.js';
import type { Analysis, ConnectionReport, FindingReport } from './types.js';
import { restrictCauses } from './causes.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

export interface ReportFilter {
  rules: ReadonlySet<string> | null;
  hosts: readonly Range[] | null;
  ports: ReadonlySet<number> | null;
  top: number | null;
}

/** `ip`, `ip:port` or `[v6]:port` → address and port (null when absent or unparsable). */
function splitEndpoint(text: string): { ip: ipaddr.IPv4 | ipaddr.IPv6 | null; port: number | null } {
  const m = /^\[(.+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const host = m ? m[1]! : text;
  const port = m ? Number(m[2]) : null;
  return { ip: ipaddr.isValid(host) ? ipaddr.process(host) : null, port };
}

/** `10.0.0.1`, `10.0.0.0/8`, `fd00::/64`; null when it is neither an address nor a CIDR. */
export function parseHost(text: string): Range | null {
  const [addr, bits, extra] = text.split('/');
  if (addr === undefined || extra !== undefined) return null;
  const plain = ipaddr.IPv4.isValidFourPartDecimal(addr) || ipaddr.IPv6.isValid(addr);
  if (!plain) return null;
  if (bits === undefined) {
    const ip = ipaddr.process(addr);
    return [ip, ip.kind() === 'ipv4' ? 32 : 128];
  }
  try {
    const [ip, prefix] = ipaddr.parseCIDR(text);
    return [ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() ? (ip as ipaddr.IPv6).toIPv4Address() : ip, prefix];
  } catch {
    return null;
  }
}

function inRange(ip: ipaddr.IPv4 | ipaddr.IPv6, [net, bits]: Range): boolean {
  return ip.kind() === net.kind() && ip.match(net, bits);
}

/** Whether the endpoints (ip:port texts, nulls ignored) pass the --host and --port filters. */
function endpointsMatch(f: ReportFilter, endpoints: (string | null)[]): boolean {
  if (f.hosts === null && f.ports === null) return true;
  const parsed = endpoints.filter((e): e is string => e !== null).map(splitEndpoint);
  const hosts = f.hosts;
  const ports = f.ports;
  if (hosts !== null && !parsed.some((p) => p.ip !== null && hosts.some((r) => inRange(p.ip!, r)))) return false;
  if (ports !== null && !parsed.some((p) => p.port !== null && ports.has(p.port))) return false;
  return true;
}

export function isEmptyFilter(f: ReportFilter): boolean {
  return f.rules === null && f.hosts === null && f.ports === null && f.top === null;
}

/** The `top` items by `better` (first is best), returned in their original order. */
function topN<T>(items: T[], n: number | null, better: (a: T, b: T) => number): T[] {
  if (n === null || items.length <= n) return items;
  const keep = new Set(items.map((item, i) => ({ item, i })).sort((a, b) => better(a.item, b.item) || a.i - b.i).slice(0, n).map((x) => x.item));
  return items.filter((item) => keep.has(item));
}

function findingMatches(f: ReportFilter, x: FindingReport): boolean {
  if (f.rules !== null && !f.rules.has(x.rule)) return false;
  return endpointsMatch(f, [x.client, x.server, x.backend, x.resetSender]);
}

/** analyze: the findings that pass; --top keeps the worst (severity, then connections covered). */
export function filterFindings(a: Analysis, f: ReportFilter): Analysis {
  if (isEmptyFilter(f)) return a;
  const worse = (x: FindingReport, y: FindingReport): number => SEVERITY_RANK[y.severity] - SEVERITY_RANK[x.severity] || y.count - x.count;
  const findings = topN(a.findings.filter((x) => findingMatches(f, x)), f.top, worse);
  const kept = new Set(findings.map((x) => x.id));
  const findingsByRule: Analysis['report']['summary']['findingsByRule'] = {};
  for (const x of findings) findingsByRule[x.rule] = (findingsByRule[x.rule] ?? 0) + 1;
  const report = {
    ...a.report,
    summary: { ...a.report.summary, findingsByRule },
    causes: restrictCauses(a.report.causes, kept),
    findings: a.report.findings.filter((x) => kept.has(x.id)),
  };
  return { ...a, report, findings };
}

/** flows: the connection rows that pass; --top keeps those with the most packets. */
export function filterConnections(a: Analysis, f: ReportFilter): Analysis {
  const rows = a.report.connections;
  if (isEmptyFilter(f) || rows === undefined) return a;
  const ruleOf = new Map(a.report.findings.map((x) => [x.id, x.rule]));
  const rules = f.rules;
  const matches = (c: ConnectionReport): boolean => {
    if (rules !== null && !c.findings.some((id) => rules.has(ruleOf.get(id) ?? ''))) return false;
    return endpointsMatch(f, [c.orig, c.resp, ...(c.nat ? c.nat.peer.split(' → ') : [])]);
  };
  const packets = (c: ConnectionReport): number => c.origPackets + c.respPackets;
  const connections = topN(rows.filter(matches), f.top, (x, y) => packets(y) - packets(x));
  return { ...a, report: { ...a.report, connections } };
}

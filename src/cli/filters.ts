/** The analyze / flows filter options (declared in schema.ts), validated into a ReportFilter. */
import { parseHost, type ReportFilter } from '../report/filter.js';
import { UsageError } from './usage.js';

/** Values given as repeats and/or comma lists, flattened. */
function values(v: unknown): string[] | null {
  if (v === undefined) return null;
  return (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

function wholeNumber(text: string, flag: string, min: number, max: number, range: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`${flag}: '${text}' is not ${range}`);
  return n;
}

/** The filter the options describe; a bad value is a UsageError naming it. */
export async function readFilter(args: { rule?: unknown; host?: unknown; port?: unknown; top?: unknown }): Promise<ReportFilter> {
  const rules = values(args.rule);
  if (rules !== null) {
    // The registry (every rule module) loads only when a rule is named.
    const { ruleIds, unknownRule } = await import('./explain.js');
    const known = ruleIds();
    const bad = rules.find((r) => !known.includes(r));
    if (bad !== undefined || rules.length === 0) throw new UsageError(unknownRule(bad ?? '', '--rule: '));
  }
  const hostTexts = values(args.host);
  const hosts = hostTexts?.map((h) => {
    const range = parseHost(h);
    if (range === null) throw new UsageError(`--host: '${h}' is not an IP address or CIDR (like 10.244.0.7 or 10.96.0.0/12)`);
    return range;
  }) ?? null;
  const ports = values(args.port)?.map((p) => wholeNumber(p, '--port', 0, 65535, 'a port number (0 to 65535)')) ?? null;
  const top = args.top === undefined ? null : wholeNumber(String(args.top), '--top', 1, Number.MAX_SAFE_INTEGER, 'a count of 1 or more');
  return { rules: rules && new Set(rules), hosts, ports: ports && new Set(ports), top };
}

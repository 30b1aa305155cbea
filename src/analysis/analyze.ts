import ipaddr from 'ipaddr.js';
import { readCapture } from '../capture/reader.js';
import type { CaptureInfo, Frame } from '../capture/types.js';
import { formatIsoTime } from '../capture/time.js';
import { Decoder } from '../decode/decoder.js';
import { Packet } from '../decode/packet.js';
import { FlowTable } from '../flow/table.js';
import { connState } from '../flow/state.js';
import type { Connection } from '../flow/types.js';
import { NatLinker } from '../nat/linker.js';
import { RULES } from '../rules/registry.js';
import type { FindingDraft, RuleContext, RuleId } from '../rules/types.js';
import type { Analysis, ConnectionReport, FindingWithEvidence, InputReport, Report } from '../report/types.js';
import { TOOL_VERSION } from '../version.js';

export interface AnalyzeOptions {
  /** Include the connection table in the report. */
  connections?: boolean;
  onProgress?: (bytesRead: number, totalBytes: number | null, packets: number) => void;
  /** Upper bound on connections held in the flow table at once. */
  maxConnections?: number;
  /** Service CIDRs (--service-cidr); without them, Service addresses are inferred from observed DNAT. */
  serviceCidrs?: string[];
}

/** Service-address test from the --service-cidr hints (parsed once; validated by the CLI). */
function serviceMatcher(cidrs: string[] | undefined): (addr: string) => boolean | null {
  if (!cidrs || cidrs.length === 0) return () => null;
  const ranges = cidrs.map((c) => ipaddr.parseCIDR(c));
  return (addr) => {
    if (!ipaddr.isValid(addr)) return false;
    const a = ipaddr.parse(addr);
    return ranges.some(([net, bits]) => net.kind() === a.kind() && a.match([net, bits]));
  };
}

/** Healthy, finished connections beyond this many are counted but not kept (bounded memory). */
const KEEP_HEALTHY = 100_000;

function isHealthy(c: Connection): boolean {
  return c.established && !c.dirs[0].rstSeen && !c.dirs[1].rstSeen && c.natPeer === null &&
    c.dirs[0].synRetransmits === 0 && !c.history.includes('u');
}

export interface CaptureResult {
  info: CaptureInfo;
  drafts: FindingDraft[];
  connections: Connection[];
  tcpPackets: number;
  resets: number;
  connectionCount: number;
  translations: Analysis['translations'];
  firstTime: string | null;
  lastTime: string | null;
  decoderWarnings: string[];
}

/**
 * frames → packets → connections → NAT links → findings, for one frame source. `onFrame` takes
 * frames from any source (a capture file, a live interface); `finish` runs the rules.
 */
export class Pipeline {
  private readonly decoder = new Decoder();
  private readonly packet = new Packet();
  readonly linker = new NatLinker();
  private readonly kept: Connection[] = [];
  readonly table: FlowTable;
  private first: [number, number] | null = null;
  private last: [number, number] = [0, 0];
  packets = 0;

  private readonly isServiceAddress: (addr: string) => boolean | null;

  constructor(options: AnalyzeOptions = {}) {
    this.isServiceAddress = serviceMatcher(options.serviceCidrs);
    this.table = new FlowTable({
      maxConnections: options.maxConnections,
      onHandshake: this.linker.onHandshake,
      onSweep: this.linker.onSweep,
      onRetire: (c) => {
        if (this.kept.length < KEEP_HEALTHY || !isHealthy(c)) this.kept.push(c);
      },
    });
  }

  readonly onFrame = (frame: Frame): void => {
    this.packets++;
    if (this.first === null) this.first = [frame.tsSec, frame.tsNsec];
    this.last = [frame.tsSec, frame.tsNsec];
    this.decoder.decode(frame, this.packet);
    this.table.observe(this.packet, frame);
  };

  /** Rules over the connections seen so far (retired and live), without ending the capture. */
  evaluate(connections: Connection[]): FindingDraft[] {
    const claimed = new Set<Connection>();
    const byClient = new Map<string, Connection[]>();
    for (const c of connections) {
      const list = byClient.get(c.orig.text);
      if (list) list.push(c);
      else byClient.set(c.orig.text, [c]);
    }
    const ctx: RuleContext = {
      connections,
      links: this.linker.links,
      isClaimed: (c) => claimed.has(c),
      claim: (c) => void claimed.add(c),
      byClient: (e) => byClient.get(e) ?? [],
      isServiceAddress: this.isServiceAddress,
    };
    const drafts: FindingDraft[] = [];
    for (const rule of RULES) drafts.push(...rule.detect(ctx));
    return drafts;
  }

  /** Connections seen so far, in order of first packet. */
  snapshot(): Connection[] {
    return [...this.kept, ...this.table.connections()].sort((a, b) => a.id - b.id);
  }

  finish(info: CaptureInfo): CaptureResult {
    this.table.finish();
    this.kept.sort((a, b) => a.id - b.id);
    const drafts = this.evaluate(this.kept);
    const decoderWarnings: string[] = [];
    for (const [lt, n] of this.decoder.unknownLinkTypes) {
      decoderWarnings.push(`${n} frame${n > 1 ? 's' : ''} of unsupported link type ${lt} not decoded`);
    }
    if (this.table.evictions > 0) {
      decoderWarnings.push(`connection table limit (${this.table.maxConnections}) reached: ${this.table.evictions} connections were closed early; findings about them may be incomplete`);
    }
    return {
      info, drafts, connections: this.kept, tcpPackets: this.table.tcpPackets, resets: this.table.resets,
      connectionCount: this.table.total - this.linker.links.length,
      translations: this.linker.observedTranslations(),
      firstTime: this.first ? formatIsoTime(this.first[0], this.first[1]) : null,
      lastTime: this.packets > 0 ? formatIsoTime(this.last[0], this.last[1]) : null,
      decoderWarnings,
    };
  }
}

/** One capture file through the whole pipeline. */
export async function analyzeCapture(path: string, options: AnalyzeOptions = {}): Promise<CaptureResult> {
  const pipeline = new Pipeline(options);
  const progress = options.onProgress;
  const info = await readCapture(path, pipeline.onFrame, {
    onProgress: progress ? (b, t) => progress(b, t, pipeline.packets) : undefined,
  });
  return pipeline.finish(info);
}

/** Many captures (or a live source's result) into one report. */
export function buildAnalysis(results: CaptureResult[], options: AnalyzeOptions = {}): Analysis {
  const inputs: InputReport[] = [];
  const findings: FindingWithEvidence[] = [];
  const connections: ConnectionReport[] = [];
  const translations: Analysis['translations'] = [];
  const summary: Report['summary'] = { packets: 0, tcpPackets: 0, connections: 0, resets: 0, findingsByRule: {} };
  for (const r of results) {
    inputs.push({
      path: r.info.path, format: r.info.format, linkTypes: r.info.linkTypes, packets: r.info.packets, bytes: r.info.bytes,
      firstTime: r.firstTime, lastTime: r.lastTime, truncated: r.info.truncated,
      warnings: [...r.info.warnings, ...r.decoderWarnings],
    });
    summary.packets += r.info.packets;
    summary.tcpPackets += r.tcpPackets;
    summary.connections += r.connectionCount;
    summary.resets += r.resets;
    translations.push(...r.translations);
    const drafts = r.drafts.slice().sort((a, b) => firstEvidence(a) - firstEvidence(b));
    for (const d of drafts) {
      const id = `F${findings.length + 1}`;
      for (const c of d.connections) c.findingIds.push(id);
      findings.push(toFinding(id, d));
      summary.findingsByRule[d.rule as RuleId] = (summary.findingsByRule[d.rule as RuleId] ?? 0) + 1;
    }
    if (options.connections) for (const c of r.connections) connections.push(connectionReport(c));
  }
  const report: Report = {
    schemaVersion: 1,
    tool: { name: 'rstdiag', version: TOOL_VERSION },
    inputs,
    summary,
    findings: findings.map(stripEvidence),
  };
  if (options.connections) report.connections = connections;
  return { report, findings, translations };
}

export async function analyze(paths: string[], options: AnalyzeOptions = {}): Promise<Analysis> {
  const results: CaptureResult[] = [];
  for (const path of paths) results.push(await analyzeCapture(path, options));
  return buildAnalysis(results, options);
}

function firstEvidence(d: FindingDraft): number {
  let t = Infinity;
  for (const e of d.evidence) t = Math.min(t, e.sec + e.nsec / 1e9);
  return t;
}

function toFinding(id: string, d: FindingDraft): FindingWithEvidence {
  const ev = d.evidence;
  let lo = ev[0];
  let hi = ev[0];
  for (const e of ev) {
    if (lo === undefined || e.sec < lo.sec || (e.sec === lo.sec && e.nsec < lo.nsec)) lo = e;
    if (hi === undefined || e.sec > hi.sec || (e.sec === hi.sec && e.nsec > hi.nsec)) hi = e;
  }
  const frames = [...new Set(ev.map((e) => e.frame))].sort((a, b) => a - b);
  return {
    id, rule: d.rule, severity: d.severity, confidence: d.confidence, client: d.client, server: d.server,
    backend: d.backend, resetBy: d.resetBy, resetSender: d.resetSender, count: d.count, frames,
    firstTime: lo ? formatIsoTime(lo.sec, lo.nsec) : '', lastTime: hi ? formatIsoTime(hi.sec, hi.nsec) : '',
    summary: d.summary, explanation: d.explanation, remediation: d.remediation, docs: `docs/rules/${d.rule}.md`,
    evidence: ev,
  };
}

function stripEvidence(f: FindingWithEvidence): Report['findings'][number] {
  const { evidence: _evidence, ...rest } = f;
  return rest;
}

export function connectionReport(c: Connection): ConnectionReport {
  return {
    id: c.id,
    orig: c.orig.text,
    resp: c.resp.text,
    start: formatIsoTime(c.firstSec, c.firstNsec),
    duration: Math.round((c.lastT - c.firstT) * 1e6) / 1e6,
    origPackets: c.dirs[0].packets,
    origBytes: c.dirs[0].payloadBytes,
    respPackets: c.dirs[1].packets,
    respBytes: c.dirs[1].payloadBytes,
    state: connState(c),
    history: c.history,
    nat: c.natPeer && c.natRole ? { role: c.natRole, peer: `${c.natPeer.orig.text} → ${c.natPeer.resp.text}` } : null,
    findings: c.findingIds,
  };
}

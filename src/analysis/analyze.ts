import ipaddr from 'ipaddr.js';
import { readCapture } from '../capture/reader.js';
import type { CaptureInfo, Frame } from '../capture/types.js';
import { formatIsoTime } from '../capture/time.js';
import { Decoder } from '../decode/decoder.js';
import { Packet } from '../decode/packet.js';
import { FlowTable, type ConnectionRecord } from '../flow/table.js';
import { connectionStub } from '../flow/connection.js';
import { EndpointCounts } from '../flow/endpoint-counts.js';
import { WitnessIndex, witnessHash } from './witnesses.js';
import type { DecodedStream } from './decode-thread.js';
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
  /** Retired connections evaluated at once before they are summarised and released (default 4096). */
  batchSize?: number;
  /** Take the captures' packets from a decoding thread (analysis-thread.ts) instead of reading them here. */
  decoded?: DecodedStream;
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

/** Retired connections evaluated together (then summarised and released). */
const BATCH_SIZE = 4096;
/** Connections kept per diagnosis to re-render it at the end (its first attempts, with NAT peers). */
const REPRESENTATIVES = 16;
/** Established connections kept (as light stubs) as context for rules that cite them. */
const WITNESSES = 5000;

export interface CaptureResult {
  info: CaptureInfo;
  drafts: FindingDraft[];
  /** Connections still held at the end (for --connections rows), in order of first packet. */
  connections: Connection[];
  /** Rows of connections released during the capture (only with --connections), by id. */
  releasedRows: ConnectionReport[];
  /** Finding-id lists of released rows that a draft covers: buildAnalysis fills them. */
  releasedFindings: Map<FindingDraft, string[][]>;
  tcpPackets: number;
  resets: number;
  connectionCount: number;
  translations: Analysis['translations'];
  firstTime: string | null;
  lastTime: string | null;
  decoderWarnings: string[];
}

/** Attempts of one diagnosis, as a batch's rules drafted them: kept whole or dropped whole. */
interface Unit {
  conns: Connection[];
  minId: number;
  /** Attempts it stands for (1, or a whole draft when its connections do not split into attempts). */
  weight: number;
}

/** One diagnosis across batches: its first attempts kept as representatives, the rest counted. */
interface Accumulator {
  units: Unit[];
  repConns: number;
  /** Attempts whose connections were released (not representatives). */
  dropped: number;
  /** Finding-id lists of released --connections rows this diagnosis covers. */
  rowLists: string[][];
}

/**
 * No rule fires on it: established, no RST or ICMP error either way, no NAT link, no SYN
 * retransmission, no long silence. Rules only cite such connections as context (witnesses). The
 * flow table makes the same test on a slot's numbers (FlowTable.plainlyHealthy): change both together.
 */
function plainlyHealthy(c: Connection): boolean {
  return c.established && c.natPeer === null && !c.dirs[0].rstSeen && !c.dirs[1].rstSeen &&
    c.dirs[0].synRetransmits === 0 && c.maxIdle < 10 && !c.history.includes('u') && !c.history.includes('U');
}

/** The diagnosis a draft describes: the rules' own grouping keys, as far as a draft shows them. */
function diagnosisKey(d: FindingDraft): string {
  const clientAddr = d.client === null ? '' : d.client.replace(/:\d+$/, '');
  // The summary tells apart variants a rule groups separately (abortive-close's reason, ICMP kind,
  // hairpin); numbers in it (ports, counts) are not part of the diagnosis.
  return [d.rule, clientAddr, d.server, d.backend, d.resetBy, d.resetSender, d.severity, d.summary.replace(/\d+/g, '#')].join('|');
}

/** A draft's connections as attempts: each connection with its NAT peer when the draft holds both. */
function unitsOf(d: FindingDraft): Unit[] {
  const inDraft = new Set(d.connections);
  const seen = new Set<Connection>();
  const units: Unit[] = [];
  for (const c of d.connections) {
    if (seen.has(c)) continue;
    const conns = [c];
    seen.add(c);
    const peer = c.natPeer;
    if (peer !== null && inDraft.has(peer) && !seen.has(peer)) {
      conns.push(peer);
      seen.add(peer);
    }
    units.push({ conns, minId: Math.min(...conns.map((x) => x.id)), weight: 1 });
  }
  if (units.length === d.count) return units;
  // Not one attempt per unit (e.g. a leak across two 4-tuples): keep the draft whole.
  const all = [...seen];
  return [{ conns: all, minId: Math.min(...all.map((x) => x.id)), weight: d.count }];
}

/** `n attempts` / `n separate connection attempts` / `n connections` in a rule's text, renumbered. */
function renumber(text: string, from: number, to: number): string {
  return text.replace(new RegExp(`\\b${from}( separate)?( connection)? (attempt|connection)s?\\b`, 'g'),
    (_m, sep: string | undefined, conn: string | undefined, word: string) => `${to}${sep ?? ''}${conn ?? ''} ${word}${to === 1 ? '' : 's'}`);
}

/**
 * frames → packets → connections → NAT links → findings, for one frame source. `onFrame` takes
 * frames from any source (a capture file, a live interface); `finish` runs the rules.
 *
 * Memory stays bounded: the flow table retires finished connections; retired ones are evaluated
 * in batches (`batchSize`), a connection waiting while its NAT peer, or a connection sharing its
 * client endpoint, is still held. A batch's findings are grouped by diagnosis; per diagnosis the
 * first attempts are kept as representatives and the others are counted and released. `finish`
 * runs the rules once more over the representatives and what is still held, so every finding is
 * rendered as one evaluation of the whole capture would render it, with the counted attempts
 * added to its `count`.
 */
export class Pipeline {
  private readonly decoder = new Decoder();
  private readonly packet = new Packet();
  readonly linker: NatLinker;
  readonly table: FlowTable;
  private firstSec = -1;
  private firstNsec = 0;
  private lastSec = 0;
  private lastNsec = 0;
  packets = 0;

  private readonly isServiceAddress: (addr: string) => boolean | null;
  private readonly batchSize: number;
  private readonly keepRows: boolean;
  /** Retired, not yet evaluated (or waiting for a related connection). */
  private pending: Connection[] = [];
  private retiredSinceBatch = 0;
  private readonly accumulators = new Map<string, Accumulator>();
  /** Representative connection → its diagnoses. */
  private readonly repOf = new Map<Connection, Accumulator[]>();
  /**
   * Established connections released, as stubs without events, one per client address and server
   * (keyed by ConnectionRecord.clientKey, then serverKey: numbers for IPv4, so the table can look
   * a connection up before any record of it exists).
   */
  private readonly witnesses = new WitnessIndex(WITNESSES);
  private readonly releasedRows: ConnectionReport[] = [];
  /** The batch being evaluated (its connections are released after its drafts are accounted). */
  private inBatch = new Set<Connection>();
  /**
   * Endpoint keys (ConnectionRecord.origKey / respKey) of the pending connections that are not
   * plainly healthy, counted: a healthy connection sharing one is evaluated with them.
   */
  private readonly suspectKeys = new EndpointCounts();

  constructor(options: AnalyzeOptions = {}) {
    this.isServiceAddress = serviceMatcher(options.serviceCidrs);
    this.batchSize = Math.max(1, options.batchSize ?? BATCH_SIZE);
    this.keepRows = options.connections === true;
    this.table = new FlowTable({
      maxConnections: options.maxConnections,
      onHandshake: (slot, dir, p, t, frame) => this.linker.onHandshake(slot, dir, p, t, frame),
      releaseHealthy: this.releaseHealthy,
      onRetire: (c) => {
        this.pending.push(c);
        if (!plainlyHealthy(c)) this.countSuspect(c as ConnectionRecord, 1);
        if (++this.retiredSinceBatch >= this.batchSize) this.runBatch();
      },
    });
    this.linker = new NatLinker(this.table);
  }

  private countSuspect(c: ConnectionRecord, delta: 1 | -1): void {
    if (delta > 0) {
      this.suspectKeys.add(c.origKey);
      this.suspectKeys.add(c.respKey);
    } else {
      this.suspectKeys.remove(c.origKey);
      this.suspectKeys.remove(c.respKey);
    }
  }

  /**
   * The flow table offers a plainly healthy connection before making a record of it: it needs
   * none when nothing could cite it — no held or pending connection shares its endpoints and no
   * --connections row is wanted; when it becomes a witness, the table makes the stub. (Keys are hashes: a collision
   * only sends a connection the slow way.)
   */
  private readonly releaseHealthy = (slot: number): boolean => {
    if (this.keepRows) return false;
    const t = this.table;
    const origKey = t.origKeyAt(slot);
    const respKey = t.respKeyAt(slot);
    if (t.holdsEndpointKey(origKey) || (!t.originKnownAt(slot) && t.holdsEndpointKey(respKey))) return false;
    if (this.suspectKeys.has(origKey) || this.suspectKeys.has(respKey)) return false;
    const clientKey = t.clientKeyAt(slot);
    const serverKey = t.serverKeyAt(slot);
    if (clientKey === undefined || serverKey === undefined) return false;
    // Kept as a witness: a stub straight from the table's numbers (no evidence, no record).
    const hash = t.witnessHashAt(slot);
    if (this.witnesses.wants(hash, clientKey, serverKey, t.idAt(slot))) this.witnesses.keep(hash, clientKey, serverKey, t.stubOf(slot));
    return true;
  };

  readonly onFrame = (frame: Frame): void => {
    this.decoder.decode(frame, this.packet);
    this.onDecoded(frame, this.packet);
  };

  /** A frame already decoded (by the decoding thread): everything onFrame does after decoding. */
  readonly onDecoded = (frame: Frame, packet: Packet): void => {
    this.packets++;
    if (this.firstSec < 0) {
      this.firstSec = frame.tsSec;
      this.firstNsec = frame.tsNsec;
    }
    this.lastSec = frame.tsSec;
    this.lastNsec = frame.tsNsec;
    this.table.observe(packet, frame);
  };

  /** Unsupported link types the decoding thread met (merged into this pipeline's decoder counts). */
  addUnknownLinkTypes(counts: [number, number][]): void {
    const m = this.decoder.unknownLinkTypes;
    for (const [lt, n] of counts) m.set(lt, (m.get(lt) ?? 0) + n);
  }

  /** Rules over the given connections (retired and live), without ending the capture. */
  evaluate(connections: Connection[]): FindingDraft[] {
    const claimed = new Set<Connection>();
    const byClient = new Map<string, Connection[]>();
    const present = new Set<Connection>();
    for (const c of connections) {
      present.add(c);
      const list = byClient.get(c.orig.text);
      if (list) list.push(c);
      else byClient.set(c.orig.text, [c]);
    }
    const ctx: RuleContext = {
      connections,
      links: this.linker.links.filter((l) => present.has(l.original)),
      isClaimed: (c) => claimed.has(c),
      claim: (c) => void claimed.add(c),
      byClient: (e) => byClient.get(e) ?? [],
      isServiceAddress: this.isServiceAddress,
    };
    const drafts: FindingDraft[] = [];
    for (const rule of RULES) drafts.push(...rule.detect(ctx));
    return drafts;
  }

  /** Connections seen so far (held, retired and representatives), in order of first packet. */
  snapshot(): Connection[] {
    return [...new Set([...this.pending, ...this.repOf.keys(), ...this.table.connections()])].sort((a, b) => a.id - b.id);
  }

  /** Evaluate the retired connections that can be, keep representatives, release the rest. */
  private runBatch(): void {
    this.retiredSinceBatch = 0;
    // Wait for related connections still held: the NAT peer, and (for a leak seen on another
    // 4-tuple) any held connection on the same client endpoint.
    const retired = new Set(this.pending);
    const batch: Connection[] = [];
    const wait: Connection[] = [];
    const waiting = new Set<Connection>();
    for (const c of this.pending) {
      const peerHeld = c.natPeer !== null && !retired.has(c.natPeer) && !this.repOf.has(c.natPeer);
      if (peerHeld || this.table.holdsEndpoint(c, 'orig') || (!c.originKnown && this.table.holdsEndpoint(c, 'resp'))) waiting.add(c);
    }
    // NAT halves go together.
    for (const c of this.pending) if (c.natPeer !== null && waiting.has(c.natPeer)) waiting.add(c);
    for (const c of this.pending) {
      if (waiting.has(c)) wait.push(c);
      else {
        batch.push(c);
        if (!plainlyHealthy(c)) this.countSuspect(c as ConnectionRecord, -1);
      }
    }
    this.pending = wait;
    if (batch.length === 0) return;
    batch.sort((a, b) => a.id - b.id);
    // Most connections are plainly healthy: no rule can fire on them. They are released at once
    // (as witnesses), unless a suspicious connection shares their client endpoint (a leaked
    // segment on another 4-tuple is judged against the healthy-looking original).
    const suspectEndpoints = new Set<string>();
    for (const c of batch) {
      if (!plainlyHealthy(c)) {
        suspectEndpoints.add(c.orig.text);
        suspectEndpoints.add(c.resp.text);
      }
    }
    const evaluated: Connection[] = [];
    for (const c of batch) {
      if (plainlyHealthy(c) && !suspectEndpoints.has(c.orig.text) && !suspectEndpoints.has(c.resp.text)) this.release(c, undefined);
      else evaluated.push(c);
    }
    if (evaluated.length === 0) return;
    batch.length = 0;
    batch.push(...evaluated);
    this.inBatch = new Set(batch);
    const inDiagnosis = new Map<Connection, Accumulator[]>();
    for (const d of this.evaluate(batch)) {
      const key = diagnosisKey(d);
      let acc = this.accumulators.get(key);
      if (acc === undefined) {
        acc = { units: [], repConns: 0, dropped: 0, rowLists: [] };
        this.accumulators.set(key, acc);
      }
      for (const c of d.connections) {
        const list = inDiagnosis.get(c);
        if (list === undefined) inDiagnosis.set(c, [acc]);
        else if (!list.includes(acc)) list.push(acc);
      }
      this.addUnits(acc, unitsOf(d));
    }
    for (const c of batch) {
      if (!this.repOf.has(c)) this.release(c, inDiagnosis.get(c));
    }
    this.inBatch = new Set();
  }

  /** Keep a diagnosis' lowest-id attempts (up to REPRESENTATIVES connections); count and release the rest. */
  private addUnits(acc: Accumulator, units: Unit[]): void {
    for (const u of units) {
      acc.units.push(u);
      acc.repConns += u.conns.length;
      for (const c of u.conns) {
        const list = this.repOf.get(c);
        if (list === undefined) this.repOf.set(c, [acc]);
        else if (!list.includes(acc)) list.push(acc);
      }
    }
    if (acc.repConns <= REPRESENTATIVES) return;
    acc.units.sort((a, b) => a.minId - b.minId);
    while (acc.units.length > 1 && acc.repConns > REPRESENTATIVES) {
      const u = acc.units.pop()!;
      acc.repConns -= u.conns.length;
      acc.dropped += u.weight;
      for (const c of u.conns) {
        const list = this.repOf.get(c);
        if (list === undefined) continue;
        const rest = list.filter((a) => a !== acc);
        if (rest.length > 0) this.repOf.set(c, rest);
        else {
          this.repOf.delete(c);
          // From an earlier batch: release it now (the current batch releases its own).
          if (!this.inBatch.has(c)) this.release(c, [acc]);
        }
      }
    }
  }

  /** Let a connection go: a --connections row, a context stub, and its NAT link forgotten. */
  private release(c: Connection, accs: Accumulator[] | undefined): void {
    this.linker.release(c);
    if (this.keepRows) {
      const row = connectionReport(c);
      row.findings = [];
      if (accs !== undefined) for (const a of accs) a.rowLists.push(row.findings);
      this.releasedRows.push(row);
    }
    if (c.established && c.natRole !== 'translated' && accs === undefined && !c.dirs[0].rstSeen && !c.dirs[1].rstSeen) {
      const rec = c as ConnectionRecord;
      const hash = witnessHash(rec.clientKey, rec.serverKey);
      if (this.witnesses.wants(hash, rec.clientKey, rec.serverKey, c.id)) this.witnesses.keep(hash, rec.clientKey, rec.serverKey, connectionStub(c));
    }
  }

  finish(info: CaptureInfo): CaptureResult {
    this.table.finish();
    // The last retirements go through a batch like the others: which attempts a finding shows
    // does not depend on where the capture ended in the batch cycle.
    if (this.pending.length > 0) this.runBatch();
    // Everything still pending, the representatives, and the context stubs: one evaluation.
    const reps = [...this.repOf.keys()];
    const held = [...new Set([...this.pending, ...reps])].sort((a, b) => a.id - b.id);
    const stubs: Connection[] = [];
    for (const w of this.witnesses.connections()) stubs.push(w);
    const all = stubs.length > 0 ? [...held, ...stubs].sort((a, b) => a.id - b.id) : held;
    const drafts = this.evaluate(all);
    // Attempts counted but released: added to the finding their representatives now belong to.
    const releasedFindings = new Map<FindingDraft, string[][]>();
    const used = new Set<Accumulator>();
    for (const d of drafts) {
      let dropped = 0;
      const lists: string[][] = [];
      for (const c of d.connections) {
        for (const acc of this.repOf.get(c) ?? []) {
          if (used.has(acc)) continue;
          used.add(acc);
          dropped += acc.dropped;
          lists.push(...acc.rowLists);
        }
      }
      if (lists.length > 0) releasedFindings.set(d, lists);
      if (dropped > 0) {
        const shown = d.count;
        d.count += dropped;
        d.summary = renumber(d.summary, shown, d.count);
        d.explanation = `${renumber(d.explanation, shown, d.count)} (${plural(d.count, 'attempt')} in all; the evidence shows the first ${shown}.)`;
      }
    }
    const decoderWarnings: string[] = [];
    for (const [lt, n] of this.decoder.unknownLinkTypes) {
      decoderWarnings.push(`${n} frame${n > 1 ? 's' : ''} of unsupported link type ${lt} not decoded`);
    }
    if (this.table.evictions > 0) {
      decoderWarnings.push(`connection table limit (${this.table.maxConnections}) reached: ${this.table.evictions} connections were closed early; findings about them may be incomplete`);
    }
    return {
      info, drafts, connections: held, releasedRows: this.releasedRows, releasedFindings,
      tcpPackets: this.table.tcpPackets, resets: this.table.resets,
      connectionCount: this.table.total - this.linker.linkCount,
      translations: this.linker.observedTranslations(),
      firstTime: this.firstSec >= 0 ? formatIsoTime(this.firstSec, this.firstNsec) : null,
      lastTime: this.packets > 0 ? formatIsoTime(this.lastSec, this.lastNsec) : null,
      decoderWarnings,
    };
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One capture file through the whole pipeline. */
export async function analyzeCapture(path: string, options: AnalyzeOptions = {}): Promise<CaptureResult> {
  const pipeline = new Pipeline(options);
  const progress = options.onProgress;
  const onProgress = progress ? (b: number, t: number | null) => progress(b, t, pipeline.packets) : undefined;
  if (options.decoded !== undefined) {
    options.decoded.onProgress = onProgress;
    const decoded = await options.decoded.next(path, pipeline.onDecoded);
    pipeline.addUnknownLinkTypes(decoded.unknownLinkTypes);
    return pipeline.finish(decoded.info);
  }
  const info = await readCapture(path, pipeline.onFrame, { onProgress });
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
      for (const list of r.releasedFindings.get(d) ?? []) list.push(id);
      findings.push(toFinding(id, d));
      summary.findingsByRule[d.rule as RuleId] = (summary.findingsByRule[d.rule as RuleId] ?? 0) + 1;
    }
    if (options.connections) {
      const rows = [...r.releasedRows, ...r.connections.map(connectionReport)].sort((a, b) => a.id - b.id);
      for (const row of rows) connections.push(row);
    }
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

import ipaddr from 'ipaddr.js';
import type { CaptureInfo, Frame } from '../capture/types.js';
import { formatIsoTime } from '../capture/time.js';
import { Decoder } from '../decode/decoder.js';
import type { DecoderCounts } from '../decode/undecoded.js';
import { Packet } from '../decode/packet.js';
import { FlowTable, ConnectionRecord } from '../flow/table.js';
import { connectionStub } from '../flow/connection.js';
import { EndpointCounts } from '../flow/endpoint-counts.js';
import { CopyPrefilter } from '../flow/copy-prefilter.js';
import { SynTwinPrefilter } from '../nat/syn-prefilter.js';
import type { Connection } from '../flow/types.js';
import { NatLinker } from '../nat/linker.js';
import type { FindingDraft } from '../rules/types.js';
import type { Analysis, ConnectionReport } from '../report/types.js';
import { connectionReport } from '../report/build.js';
import { WitnessIndex, witnessHash } from './witnesses.js';
import type { DecodedStream } from './decode-thread.js';
import { evaluateRules } from './evaluate.js';
import { Representatives, type CauseTally, type Diagnosis } from './representatives.js';
import { identityOf, type ConnIdentity } from '../join/identity.js';

export interface AnalyzeOptions {
  /** Include the connection table in the report. */
  connections?: boolean;
  onProgress?: (bytesRead: number, totalBytes: number | null, packets: number) => void;
  /** Upper bound on connections held in the flow table at once. */
  maxConnections?: number;
  /** Service CIDRs (--service-cidr); without them, Service addresses are inferred from observed DNAT. */
  serviceCidrs?: string[];
  /**
   * Retired connections evaluated at once before they are summarised and released (default 4096;
   * a batch comes sooner when a quarter of that many are suspicious).
   */
  batchSize?: number;
  /** Take the captures' packets from a decoding thread (analysis-thread.ts) instead of reading them here. */
  decoded?: DecodedStream;
  /** Keep every connection's identity (src/join: several captures analysed as one incident). */
  identities?: boolean;
  /** false: every rule examines every connection, not only those its meta.appliesTo admits (tests compare). */
  routeRules?: boolean;
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
/**
 * A batch comes sooner, at BATCH_SIZE / SUSPECT_SHARE suspicious (not plainly healthy) retirements:
 * each of those becomes findings and evidence that live until the batch is accounted, so a capture
 * whose failures each come from another client (bench/ distinct-clients) would otherwise hold
 * thousands of drafted findings at once (peak RSS 210 → 173 MB there; output unchanged).
 */
const SUSPECT_SHARE = 4;
/**
 * When a batch's suspicious connections came out as about as many drafts as connections (each its
 * own diagnosis: bench/ distinct-clients), the next batch comes after SPREAD_SHARE times fewer of
 * them: a draft per connection leaves a larger batch nothing to group, and its records and drafts
 * living until it is accounted is what each young-generation scavenge copies (3.5 % of that
 * shape's wall time). Where they group (few drafts), batches stay large: each draft is accounted
 * once per batch. The report does not depend on where batches end (test/analysis/batching.test.ts).
 */
const SPREAD_SHARE = 16;
/** Connections kept per diagnosis to re-render it at the end (its first attempts, with NAT peers). */
const REPRESENTATIVES = 16;
/**
 * Diagnoses kept per cause (their findings listed); a cause's other diagnoses are only counted, so
 * memory and time do not grow with the number of distinct failing clients.
 */
const DIAGNOSES_PER_CAUSE = 20;
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
  /** Drafts whose count includes released attempts: how many attempts their evidence shows. */
  shownAttempts: Map<FindingDraft, number>;
  /** Causes with findings not listed (beyond DIAGNOSES_PER_CAUSE): counted per cause. */
  unlisted: CauseTally[];
  tcpPackets: number;
  resets: number;
  connectionCount: number;
  translations: Analysis['translations'];
  firstTime: string | null;
  lastTime: string | null;
  decoderWarnings: string[];
  /** Every connection's identity, with `identities` (else empty), by connection id. */
  identities: ConnIdentity[];
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
  private readonly prefilter = new CopyPrefilter();
  private readonly synPrefilter = new SynTwinPrefilter();
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
  /** Suspicious retirements that start a batch: large, or small after a batch that did not group (SPREAD_SHARE). */
  private suspectBatchSize: number;
  private readonly groupedBatchSize: number;
  private readonly keepRows: boolean;
  private readonly routeRules: boolean;
  /** Retired, not yet evaluated (or waiting for a related connection). */
  private pending: ConnectionRecord[] = [];
  private retiredSinceBatch = 0;
  private suspectsSinceBatch = 0;
  /** Per diagnosis, its first attempts kept to render it at the end; the others counted. */
  private readonly representatives = new Representatives(REPRESENTATIVES, DIAGNOSES_PER_CAUSE, (c, diagnoses) => this.release(c, diagnoses));
  /**
   * Established connections released, as stubs without events, one per client address and server
   * (keyed by ConnectionRecord.clientKey, then serverKey: numbers for IPv4, so the table can look
   * a connection up before any record of it exists).
   */
  private readonly witnesses = new WitnessIndex(WITNESSES);
  private readonly releasedRows: ConnectionReport[] = [];
  /**
   * Endpoint keys (ConnectionRecord.origKey / respKey) of the pending connections that are not
   * plainly healthy, counted: a healthy connection sharing one is evaluated with them.
   */
  private readonly suspectKeys = new EndpointCounts();
  /** Identities of released connections (only with the `identities` option). */
  private readonly identities: ConnIdentity[] | null;

  constructor(options: AnalyzeOptions = {}) {
    this.isServiceAddress = serviceMatcher(options.serviceCidrs);
    this.batchSize = Math.max(1, options.batchSize ?? BATCH_SIZE);
    this.groupedBatchSize = Math.max(1, Math.floor(this.batchSize / SUSPECT_SHARE));
    this.suspectBatchSize = this.groupedBatchSize;
    this.keepRows = options.connections === true;
    this.identities = options.identities === true ? [] : null;
    this.routeRules = options.routeRules !== false;
    this.table = new FlowTable({
      maxConnections: options.maxConnections,
      onHandshake: (slot, dir, p, t, frame) => this.linker.onHandshake(slot, dir, p, t, frame),
      releaseHealthy: this.releaseHealthy,
      releaseLoneSyn: this.releaseLoneSyn,
      onRetire: (c) => {
        this.pending.push(c);
        if (!c.plainlyHealthy) {
          this.countSuspect(c, 1);
          this.suspectsSinceBatch++;
        }
        if (++this.retiredSinceBatch >= this.batchSize || this.suspectsSinceBatch >= this.suspectBatchSize) this.runBatch();
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
    // A joint analysis needs every connection's identity: each gets a record.
    if (this.keepRows || this.identities !== null) return false;
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

  /**
   * A lone SYN (FlowTable: one SYN, answered at most by a SYN-ACK) needs no record when no held
   * or pending suspicious connection shares its client endpoint: rules cite such a SYN only from
   * there (a SYN-ACK or RST that reached that port on another 4-tuple). Its server endpoint is
   * not looked at: a flood's target is shared by everything that talks to it. Not a witness.
   */
  private readonly releaseLoneSyn = (slot: number): boolean => {
    if (this.keepRows || this.identities !== null) return false;
    const origKey = this.table.origKeyAt(slot);
    return !this.table.holdsEndpointKey(origKey) && !this.suspectKeys.has(origKey);
  };

  readonly onFrame = (frame: Frame): void => {
    this.decoder.decode(frame, this.packet);
    this.prefilter.mark(frame, this.packet);
    this.synPrefilter.mark(frame, this.packet);
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

  /** What the decoding thread could not decode (merged into this pipeline's decoder counts). */
  addDecoderCounts(counts: DecoderCounts): void {
    this.decoder.addCounts(counts);
  }

  /** Rules over the given connections (retired and live), without ending the capture. */
  evaluate(connections: Connection[]): FindingDraft[] {
    const t = this.table;
    return evaluateRules(connections, this.linker.linksAmong(connections), this.isServiceAddress, t.responderPackets === 0 && t.originatorAcks > 0,
      this.routeRules, this.lastSentBy);
  }

  /** RuleContext.lastSentBy: when the address last sent a packet so far (FlowTable.lastSentBy; NaN: never, or not an address). */
  private readonly lastSentBy = (addr: string): number => {
    if (!ipaddr.isValid(addr)) return NaN;
    const a = ipaddr.parse(addr);
    return this.table.lastSentBy(a.kind() === 'ipv4' ? 4 : 6, Uint8Array.from(a.toByteArray()));
  };

  /** Connections seen so far (held, retired and representatives), in order of first packet. */
  snapshot(): Connection[] {
    return [...new Set([...this.pending, ...this.representatives.connections(), ...this.table.connections()])].sort((a, b) => a.id - b.id);
  }

  /** Evaluate the retired connections that can be, keep representatives, release the rest. */
  private runBatch(): void {
    this.retiredSinceBatch = 0;
    this.suspectsSinceBatch = 0;
    // Wait for related connections still held: the NAT peer, and (for a leak seen on another
    // 4-tuple) any held connection on the same client endpoint.
    const retired = new Set<Connection>(this.pending);
    const batch: ConnectionRecord[] = [];
    const wait: ConnectionRecord[] = [];
    const waiting = new Set<Connection>();
    for (const c of this.pending) {
      const peerHeld = c.natPeer !== null && !retired.has(c.natPeer) && !this.representatives.has(c.natPeer);
      if (peerHeld || this.table.holdsEndpoint(c, 'orig') || (!c.originKnown && this.table.holdsEndpoint(c, 'resp'))) waiting.add(c);
    }
    // NAT halves go together.
    for (const c of this.pending) if (c.natPeer !== null && waiting.has(c.natPeer)) waiting.add(c);
    for (const c of this.pending) {
      if (waiting.has(c)) wait.push(c);
      else {
        batch.push(c);
        if (!c.plainlyHealthy) this.countSuspect(c, -1);
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
      if (!c.plainlyHealthy) {
        suspectEndpoints.add(c.orig.text);
        suspectEndpoints.add(c.resp.text);
      }
    }
    const evaluated: ConnectionRecord[] = [];
    for (const c of batch) {
      if (c.plainlyHealthy && !suspectEndpoints.has(c.orig.text) && !suspectEndpoints.has(c.resp.text)) this.release(c, undefined);
      else evaluated.push(c);
    }
    if (evaluated.length === 0) return;
    batch.length = 0;
    batch.push(...evaluated);
    const drafts = this.evaluate(batch);
    let suspects = 0;
    for (const c of batch) if (!c.plainlyHealthy) suspects++;
    this.suspectBatchSize = drafts.length * 2 > suspects ? Math.max(1, Math.floor(this.groupedBatchSize / SPREAD_SHARE)) : this.groupedBatchSize;
    const inDiagnosis = this.representatives.account(drafts, new Set(batch));
    for (const c of batch) {
      if (!this.representatives.has(c)) this.release(c, inDiagnosis.get(c));
    }
  }

  /** Let a connection go: a --connections row, a context stub, and its NAT link forgotten. */
  private release(c: Connection, diagnoses: Diagnosis[] | undefined): void {
    this.linker.release(c);
    this.identities?.push(identityOf(c, false));
    if (this.keepRows) {
      const row = connectionReport(c);
      row.findings = [];
      if (diagnoses !== undefined) for (const d of diagnoses) d.rowLists.push(row.findings);
      this.releasedRows.push(row);
    }
    // Every connection a batch holds is a table record (it alone has the witness keys).
    if (c instanceof ConnectionRecord && c.established && c.natRole !== 'translated' && diagnoses === undefined &&
      !c.dirs[0].rstSeen && !c.dirs[1].rstSeen) {
      const hash = witnessHash(c.clientKey, c.serverKey);
      if (this.witnesses.wants(hash, c.clientKey, c.serverKey, c.id)) this.witnesses.keep(hash, c.clientKey, c.serverKey, connectionStub(c));
    }
  }

  finish(info: CaptureInfo): CaptureResult {
    this.table.finish();
    // The last retirements go through a batch like the others: which attempts a finding shows
    // does not depend on where the capture ended in the batch cycle.
    if (this.pending.length > 0) this.runBatch();
    // Everything still pending, the representatives, and the context stubs: one evaluation.
    const reps = [...this.representatives.connections()];
    const held = [...new Set([...this.pending, ...reps])].sort((a, b) => a.id - b.id);
    const stubs: Connection[] = [];
    for (const w of this.witnesses.connections()) stubs.push(w);
    const all = stubs.length > 0 ? [...held, ...stubs].sort((a, b) => a.id - b.id) : held;
    const drafts = this.evaluate(all);
    const { releasedFindings, shownAttempts, unlisted } = this.representatives.settle(drafts);
    const decoderWarnings = this.decoder.warnings();
    if (this.table.evictions > 0) {
      decoderWarnings.push(`connection table limit (${this.table.maxConnections}) reached: ${this.table.evictions} connections were closed early; findings about them may be incomplete`);
    }
    return {
      info, drafts, connections: held, releasedRows: this.releasedRows, releasedFindings, shownAttempts, unlisted,
      tcpPackets: this.table.tcpPackets, resets: this.table.resets,
      connectionCount: this.table.total - this.linker.linkCount,
      translations: this.linker.observedTranslations(),
      firstTime: this.firstSec >= 0 ? formatIsoTime(this.firstSec, this.firstNsec) : null,
      lastTime: this.packets > 0 ? formatIsoTime(this.lastSec, this.lastNsec) : null,
      decoderWarnings,
      identities: this.identities === null ? [] : [...this.identities, ...held.map((c) => identityOf(c, true))].sort((a, b) => a.id - b.id),
    };
  }
}


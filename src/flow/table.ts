import { Packet, TcpFlag, Transport } from '../decode/packet.js';
import { formatAddress } from '../decode/address.js';
import type { Frame } from '../capture/types.js';
import type { Connection, Dir } from './types.js';
import { EndpointCounts } from './endpoint-counts.js';
import { ConnectionRecord } from './connection.js';
import { ConnFlag } from './slots.js';
import { DirFlag } from './dir-layout.js';
import { HeldSlots } from './held-slots.js';
import { LastSentByAddress } from './address-seen.js';
import { TupleIndex } from './tuple-index.js';
import { RecencyLists } from './recency.js';
import { CopyWindow } from './copies.js';
import { HistoryLetter } from './history.js';
import { TcpState } from './tcp-state.js';
import { loneSyn, plainlyHealthy } from './verdicts.js';

export { ConnectionRecord } from './connection.js';
export { DEFAULT_MAX_CONNECTIONS, type FlowTableOptions, type HandshakeHook } from './options.js';
import { DEFAULT_MAX_CONNECTIONS, type FlowTableOptions } from './options.js';

/** Capture seconds between sweeps (each looks only at the connections it retires). */
const SWEEP_EVERY = 5;
const INITIAL_SLOTS = 4096;
/** Past this many, capacity grows by doubling again (a bound on the memory reserved at once). */
const MAX_RESERVED_SLOTS = 1 << 20;

/** The capacity a table outgrowing INITIAL_SLOTS takes at once: room for maxConnections. */
function reservedSlots(maxConnections: number): number {
  let n = INITIAL_SLOTS;
  while (n < maxConnections && n < MAX_RESERVED_SLOTS) n *= 2;
  return n;
}

/**
 * The connection table: one entry per TCP 4-tuple, per-direction sequence state, copies of one
 * packet (several interfaces of `-i any`) counted once, Zeek-style history.
 *
 * The facade over named parts, one slot per held connection: slot storage (src/flow/slots.ts),
 * the tuple index, recency lists, copy window, history and evidence buffer. Here, the slots'
 * lifecycle (create, retire, free, sweep, evict) and capacity; what is read of a held slot, and
 * the records made of it (only for connections something reads), in HeldSlots (held-slots.ts).
 */
export class FlowTable extends HeldSlots {
  /**
   * Slot capacity. It starts at INITIAL_SLOTS; outgrown, it jumps to `reserved` (maxConnections,
   * rounded up to a power of two), past which it never needs to grow: doubling step by step would
   * touch every earlier size's memory again, and a page first touched is costly (rows a capacity
   * reserves but no connection uses are never touched: the arrays' pages stay unbacked).
   */
  private capacity = 0;
  private readonly reserved: number;
  /** Slots the tuple index is sized for (growIndex). */
  private indexed = 0;
  private readonly index = new TupleIndex(this.conns);
  private readonly recency = new RecencyLists(this.conns);
  private readonly copies = new CopyWindow(this.conns);
  /** Freed slots, reused last-freed first. */
  private readonly freeSlots: number[] = [];
  /** Slots never used yet start here. */
  private fresh = 0;
  /**
   * The current packet's capture time, seconds. A field, not an argument: a double passed to a
   * method that is not inlined is boxed (allocated) at each call, several times a packet.
   */
  private now = 0.5;
  private nextId = 1;
  private lastSweepT = 0;
  private readonly heldEndpoints = new EndpointCounts();
  /** Per address, when it last sent (see lastSentBy). */
  private readonly lastSent = new LastSentByAddress(this.conns, this.dirs);
  readonly maxConnections: number;
  readonly retireAfter: number;
  readonly idleRetireAfter: number;
  private readonly onRetire: ((conn: ConnectionRecord) => void) | undefined;
  private readonly releaseHealthy: ((slot: number) => boolean) | undefined;
  private readonly releaseLoneSyn: ((slot: number) => boolean) | undefined;
  /** Connections ever seen. */
  total = 0;
  /** Times the table hit maxConnections and retired a connection early. */
  evictions = 0;
  tcpPackets = 0;
  /**
   * Packets from a responder, and ACK-bearing packets from an originator: none of the first and
   * some of the second is a capture that shows one direction only.
   */
  responderPackets = 0;
  originatorAcks = 0;
  icmpErrors = 0;
  icmpUntied = 0;
  /** Connections retired as plainly healthy without a record (releaseHealthy said so). */
  releasedHealthy = 0;
  /** Lone SYNs retired without a record (releaseLoneSyn said so). */
  releasedLoneSyns = 0;
  private readonly tcp: TcpState;

  /** RST packets seen (copies excluded). */
  get resets(): number {
    return this.tcp.resets;
  }

  constructor(options: FlowTableOptions = {}) {
    super();
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.reserved = reservedSlots(this.maxConnections);
    this.retireAfter = options.retireAfter ?? 60;
    this.idleRetireAfter = options.idleRetireAfter ?? 3600;
    this.onRetire = options.onRetire;
    this.releaseHealthy = options.releaseHealthy;
    this.releaseLoneSyn = options.releaseLoneSyn;
    this.tcp = new TcpState(this.conns, this.dirs, this.copies, this.history, this.evidence, this.handles, options.onHandshake, this.resetIpIds);
    this.grow(INITIAL_SLOTS);
    this.growIndex(INITIAL_SLOTS);
  }

  private grow(capacity: number): void {
    this.conns.grow(capacity);
    this.capacity = capacity;
  }

  /**
   * The tuple index is sized for the slots in use, not the capacity: its buckets are touched at
   * random, and a reserved capacity's worth of them would not stay in cache.
   */
  private growIndex(slots: number): void {
    this.index.grow(slots, this.fresh);
    this.indexed = slots;
  }

  /** Held slots, longest-quiet list first (idle, then active). */
  private heldSlots(): number[] {
    const out: number[] = [];
    for (let s = this.recency.firstIdle(); s >= 0; s = this.recency.after(s)) out.push(s);
    for (let s = this.recency.firstActive(); s >= 0; s = this.recency.after(s)) out.push(s);
    return out;
  }

  /** The last capture time this address (IP version 4 or 6, its bytes) sent, in any connection; NaN when never (LastSentByAddress). */
  lastSentBy(version: number, bytes: Uint8Array): number {
    return this.lastSent.lastSent(version, bytes, this.heldSlots());
  }

  /** Connections currently held (not yet retired), in order of first packet, as records. */
  connections(): Connection[] {
    return this.heldSlots().map((s) => this.handleOf(s)).sort((a, b) => a.id - b.id);
  }

  /**
   * Some held connection has this endpoint ("ip:port") as its originator, or as its responder when
   * its originator is not known from a SYN. Kept as counts, so the check costs no walk of the table.
   */
  holdsEndpoint(c: ConnectionRecord, which: 'orig' | 'resp'): boolean {
    const key = which === 'orig' ? c.origKey : c.respKey;
    // Counts by hashed key: a collision can only make a connection wait longer, never lose it.
    return this.heldEndpoints.has(key);
  }

  holdsEndpointKey(key: number): boolean {
    return this.heldEndpoints.has(key);
  }

  /** Connections held now. */
  get size(): number {
    return this.recency.size;
  }

  /** Feed one decoded packet. */
  observe(p: Packet, frame: Frame): void {
    if (p.ipVersion === 0) return;
    if (p.transport === Transport.Tcp) this.observeTcp(p, frame);
    else if (p.transport === Transport.IcmpError) this.observeIcmp(p, frame);
  }

  /** Retire everything still held (end of capture), each with a record, in order of first packet. */
  finish(): void {
    const c = this.conns;
    const all = this.heldSlots().sort((a, b) => c.id(a) - c.id(b));
    for (const s of all) this.retire(s, true);
    this.startOver();
  }

  /**
   * The table is empty: its storage, sized for the most connections it held, goes (the evaluation
   * and the report that follow need the memory more: a SYN flood's is tens of MB), and a small one
   * takes its place.
   */
  private startOver(): void {
    this.conns.grow(0);
    this.copies.clear();
    this.evidence.clear();
    this.resetIpIds.clear();
    this.handles.length = 0;
    this.freeSlots.length = 0;
    this.fresh = 0;
    this.grow(INITIAL_SLOTS);
    this.growIndex(INITIAL_SLOTS);
  }

  private retire(slot: number, mayRelease: boolean): void {
    const c = this.conns;
    this.lastSent.noteRetiring(slot);
    this.index.remove(slot);
    this.heldEndpoints.remove(c.origKey(slot));
    if ((c.bits(slot) & ConnFlag.CountedResp) !== 0) this.heldEndpoints.remove(c.respKey(slot));
    this.recency.remove(slot);
    const healthy = plainlyHealthy(this.conns, this.dirs, this.history, slot);
    if (mayRelease && this.handles[slot] === undefined && this.releasedWithoutRecord(slot, healthy)) {
      this.free(slot);
      return;
    }
    const rec = this.handleOf(slot);
    rec.plainlyHealthy = healthy;
    this.free(slot);
    this.onRetire?.(rec);
  }

  /** Offered to the owner before a record is made: a plainly healthy connection, or a lone SYN. */
  private releasedWithoutRecord(slot: number, healthy: boolean): boolean {
    if (healthy) {
      if (this.releaseHealthy === undefined || !this.releaseHealthy(slot)) return false;
      this.releasedHealthy++;
      return true;
    }
    if (this.releaseLoneSyn === undefined || !loneSyn(this.conns, this.dirs, this.history, slot) || !this.releaseLoneSyn(slot)) return false;
    this.releasedLoneSyns++;
    return true;
  }

  private free(slot: number): void {
    this.conns.setId(slot, 0);
    this.handles[slot] = undefined;
    this.evidence.release(slot);
    this.resetIpIds.release(slot);
    this.freeSlots.push(slot);
  }

  private allocate(): number {
    if (this.freeSlots.length > 0) return this.freeSlots.pop()!;
    if (this.fresh === this.capacity) this.grow(this.capacity < this.reserved ? this.reserved : this.capacity * 2);
    if (this.fresh === this.indexed) this.growIndex(this.indexed * 2);
    return this.fresh++;
  }

  private create(p: Packet, frame: Frame, hash: number): number {
    const t = this.now;
    const slot = this.allocate();
    const c = this.conns;
    c.reset(slot);
    this.dirs.reset(slot);
    const version = p.ipVersion as 4 | 6;
    // A SYN-ACK seen first means the responder spoke first in the capture: the originator is
    // the SYN-ACK's destination.
    const srcIsA = (p.flags & (TcpFlag.SYN | TcpFlag.ACK)) !== (TcpFlag.SYN | TcpFlag.ACK);
    this.index.writeAddresses(slot, version, srcIsA);
    const portA = srcIsA ? p.srcPort : p.dstPort;
    const portB = srcIsA ? p.dstPort : p.srcPort;
    c.setId(slot, this.nextId++);
    c.setPortA(slot, portA);
    c.setPortB(slot, portB);
    c.setVersion(slot, version);
    c.setFirstFrame(slot, frame.frameNumber);
    c.setFirstNsec(slot, frame.tsNsec);
    c.setFirstSec(slot, frame.tsSec);
    c.setFirstT(slot, t);
    c.setLastPacket(slot, t, frame);
    const origKey = c.endpointKey(slot, true);
    const respKey = c.endpointKey(slot, false);
    c.setOrigKey(slot, origKey);
    c.setRespKey(slot, respKey);
    this.index.insert(slot, hash);
    this.recency.add(slot);
    this.total++;
    this.heldEndpoints.add(origKey);
    let bits = 0;
    if ((p.flags & TcpFlag.SYN) !== 0) bits |= srcIsA ? ConnFlag.OriginKnown : ConnFlag.OriginKnown | ConnFlag.Flipped;
    // Both endpoints are counted for a connection whose originator is a guess (no SYN seen).
    else {
      bits |= ConnFlag.CountedResp;
      this.heldEndpoints.add(respKey);
    }
    c.setBits(slot, bits);
    return slot;
  }

  private sweep(t: number): void {
    // Retire finished or long-quiet connections so memory stays bounded on long captures. The
    // recency lists are ordered by last packet: stop at the first connection not yet due.
    this.lastSweepT = t;
    const r = this.recency;
    for (let s = r.firstActive(); s >= 0 && t - this.conns.lastT(s) > this.retireAfter; s = r.firstActive()) {
      const d = this.dirs;
      const b0 = d.bits(d.at(s, 0));
      const b1 = d.bits(d.at(s, 1));
      const done = ((b0 | b1) & DirFlag.RstSeen) !== 0 || ((b0 & b1 & DirFlag.FinSeen) !== 0);
      // A connection attempt that never got anywhere (no SYN-ACK, no data) is over once quiet:
      // a SYN flood must not stay held for the idle hour.
      const deadAttempt = (b1 & DirFlag.SynAckSeen) === 0 && d.payloadBytes(s, 0) === 0 && d.payloadBytes(s, 1) === 0;
      if (done || deadAttempt) this.retire(s, true);
      else r.makeIdle(s);
    }
    for (let s = r.firstIdle(); s >= 0 && t - this.conns.lastT(s) > this.idleRetireAfter; s = r.firstIdle()) {
      this.retire(s, true);
    }
  }

  private evictOldest(): void {
    // Past the bound: retire the longest-quiet connection still held.
    const a = this.recency.firstIdle();
    const b = this.recency.firstActive();
    const c = this.conns;
    const oldest = a < 0 ? b : b < 0 ? a : c.lastT(a) <= c.lastT(b) ? a : b;
    if (oldest >= 0) {
      this.evictions++;
      this.retire(oldest, true);
    }
  }

  private observeTcp(p: Packet, frame: Frame): void {
    this.tcpPackets++;
    const t = frame.tsSec + frame.tsNsec / 1e9;
    this.now = t;
    this.copies.now = t;
    this.tcp.now = t;
    if (t - this.lastSweepT > SWEEP_EVERY) this.sweep(t);
    this.index.load(p.ipVersion, p.src, p.dst);
    // Computed where the packet was decoded (src/flow/copy-prefilter.ts), when it was.
    const hash = p.tupleHash !== 0 ? p.tupleHash : this.index.hash(p.ipVersion, p.srcPort, p.dstPort);
    let slot = this.index.find(p.ipVersion, p.srcPort, p.dstPort, hash);
    let srcIsA = this.index.srcIsA;
    const isSyn = (p.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN;
    if (slot >= 0 && isSyn && srcIsA) {
      // A new SYN with a different ISN on a finished tuple is a new connection (port reuse).
      const d = this.dirs;
      const b0 = d.bits(d.at(slot, 0));
      const b1 = d.bits(d.at(slot, 1));
      const finished = ((b0 | b1) & DirFlag.RstSeen) !== 0 || ((b0 & b1 & DirFlag.FinSeen) !== 0);
      if ((b0 & DirFlag.SynSeen) !== 0 && d.isn(d.at(slot, 0)) !== p.seq &&
        (finished || (this.conns.bits(slot) & ConnFlag.Established) !== 0)) {
        this.retire(slot, true);
        slot = -1;
      }
    }
    if (slot < 0) {
      if (this.size >= this.maxConnections) {
        this.sweep(t);
        if (this.size >= this.maxConnections) this.evictOldest();
      }
      slot = this.create(p, frame, hash);
      srcIsA = !((p.flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK));
    } else this.recency.touch(slot);
    if (!srcIsA) this.responderPackets++;
    else if ((p.flags & (TcpFlag.ACK | TcpFlag.SYN)) === TcpFlag.ACK) this.originatorAcks++;
    this.tcp.update(slot, srcIsA ? 0 : 1, p, frame);
  }

  private observeIcmp(p: Packet, frame: Frame): void {
    this.icmpErrors++;
    if (p.innerProtocol !== 6 || p.innerSrcPort < 0 || p.innerIpVersion === 0) {
      this.icmpUntied++;
      return;
    }
    // The embedded header is the offending packet: inner src → inner dst. Look it up.
    this.index.load(p.innerIpVersion, p.innerSrc, p.innerDst);
    const slot = this.index.find(p.innerIpVersion, p.innerSrcPort, p.innerDstPort,
      this.index.hash(p.innerIpVersion, p.innerSrcPort, p.innerDstPort));
    if (slot < 0) {
      this.icmpUntied++;
      return;
    }
    const t = frame.tsSec + frame.tsNsec / 1e9;
    // The error travels against the offending packet's direction.
    const dir: Dir = this.index.srcIsA ? 1 : 0;
    this.recency.touch(slot);
    const sender = formatAddress(p.src, p.ipVersion as 4 | 6);
    if (!this.evidence.addIcmpError(slot, frame, t, dir, p, sender)) return;
    this.history.add(slot, dir, HistoryLetter.IcmpError);
    const c = this.conns;
    c.setLastPacket(slot, t, frame);
  }
}

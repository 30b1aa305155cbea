import { Packet, TcpFlag, Transport } from '../decode/packet.js';
import { formatAddress } from '../decode/address.js';
import type { Frame } from '../capture/types.js';
import type { Connection, ConnEvent, Dir, DirState, Endpoint } from './types.js';
import { EventLog } from './events.js';

/** A connection record whose evidence lives in an EventLog, read as objects only on demand. */
class ConnectionRecord implements Connection {
  declare id: number;
  declare orig: Connection['orig'];
  declare resp: Connection['resp'];
  declare originKnown: boolean;
  declare firstFrame: number;
  declare lastFrame: number;
  declare firstSec: number;
  declare firstNsec: number;
  declare lastSec: number;
  declare lastNsec: number;
  declare firstT: number;
  declare lastT: number;
  declare dirs: Connection['dirs'];
  declare history: string;
  declare droppedEvents: number;
  declare maxIdle: number;
  declare maxIdleFrame: number;
  declare established: boolean;
  declare establishedT: number;
  declare natPeer: Connection | null;
  declare natRole: Connection['natRole'];
  declare findingIds: string[];
  declare readonly log: EventLog;
  /** Numeric keys of the endpoints (hashes of address and port) for the held-endpoint counts. */
  declare origKey: number;
  declare respKey: number;

  // Fields assigned one by one, in declaration order (`declare`: no define-then-assign), not
  // Object.assign from a literal: that is slow and leaves the literal as garbage.
  constructor(id: number, orig: Endpoint, resp: Endpoint, originKnown: boolean, frame: Frame, t: number,
    origKey: number, respKey: number) {
    this.id = id;
    this.orig = orig;
    this.resp = resp;
    this.originKnown = originKnown;
    this.firstFrame = frame.frameNumber;
    this.lastFrame = frame.frameNumber;
    this.firstSec = frame.tsSec;
    this.firstNsec = frame.tsNsec;
    this.lastSec = frame.tsSec;
    this.lastNsec = frame.tsNsec;
    this.firstT = t;
    this.lastT = t;
    this.dirs = [newDir(), newDir()];
    this.history = '';
    this.droppedEvents = 0;
    this.maxIdle = 0;
    this.maxIdleFrame = 0;
    this.established = false;
    this.establishedT = NaN;
    this.natPeer = null;
    this.natRole = null;
    this.findingIds = [];
    this.log = new EventLog();
    this.origKey = origKey;
    this.respKey = respKey;
  }

  get events(): ConnEvent[] {
    return this.log.events;
  }
}

function logOf(c: Connection): EventLog {
  return (c as ConnectionRecord).log;
}

/** Evidence kept per connection: the first ones, plus every SYN/RST/FIN/ICMP up to the hard cap. */
const MAX_EVENTS = 64;
const MAX_ROUTINE_EVENTS = 24;
/** A copy of a packet on another interface of `-i any` arrives within this many seconds. */
const COPY_WINDOW = 0.05;
/** How many recent packets per direction are remembered for copy detection. */
const RECENT = 6;

const enum Sig {
  Seq = 0,
  Ack,
  Flags,
  Len,
  IpId,
  TsVal,
  Event,
  Time,
  Size,
}
/** One direction's ring in ConnSlot.recent. */
const RING = RECENT * Sig.Size;

/** History letters as bits: one per letter and direction (upper case = originator). */
const HISTORY_LETTERS = 'shadfrtu';
const HISTORY_UPPER = HISTORY_LETTERS.toUpperCase();
/** Indexes into HISTORY_LETTERS. */
const enum H {
  S = 0,
  H,
  A,
  D,
  F,
  R,
  T,
  U,
}
/**
 * History strings by letter sequence (ConnSlot.historyCode), shared between connections: a few
 * histories repeat across a capture, so a new letter need not build a new string each time.
 */
const historyCache = new Map<number, string>();
const HISTORY_CACHE_MAX = 4096;
/** Past this the next code would not be exact (10 letters); longer histories are built as before. */
const HISTORY_CODE_MAX = 2 ** 40;

export interface FlowTableOptions {
  /** Upper bound on connections held at once; past it the oldest idle ones are retired. */
  maxConnections?: number;
  /** Called for a connection the table releases (finished and quiet), in retirement order. */
  onRetire?: (conn: Connection) => void;
  /**
   * Seconds of capture time after its last packet before a finished (FIN both ways, or RST)
   * connection is retired: 60, Linux's TIME_WAIT. Unfinished connections are retired after
   * `idleRetireAfter` (3600) of silence.
   */
  retireAfter?: number;
  idleRetireAfter?: number;
  /** Called for each new (not copied, not retransmitted) SYN or SYN-ACK: the NAT linker's feed. */
  onHandshake?: HandshakeHook;
  /** Called on each sweep with the capture time, so hooks can prune their own indexes. */
  onSweep?: (t: number) => void;
}

/**
 * Connections held at once by default. Past it the longest-quiet one is retired early (and a
 * warning says so): a SYN flood or a scan cannot exhaust memory (about 4 KB of heap each, so
 * some 400 MB at the limit). A node's capture rarely has more than a few thousand concurrent
 * connections: the 200k-connection benchmark holds about 12k at once.
 */
export const DEFAULT_MAX_CONNECTIONS = 100_000;

export type HandshakeHook = (conn: Connection, dir: Dir, p: Packet, t: number, frame: number) => void;

/** Per-connection private state the table needs but the rules do not. */
interface ConnSlot {
  conn: Connection;
  /** Address bytes (4 or 16) as plain arrays: per-connection typed arrays are costly to allocate. */
  addrA: number[];
  addrB: number[];
  portA: number;
  portB: number;
  version: 4 | 6;
  hash: number;
  /** Recent packet signatures: direction 0's ring (RECENT × Sig.Size numbers), then direction 1's. */
  recent: number[];
  recentPos0: number;
  recentPos1: number;
  /** HISTORY_LETTERS bits already in the history: direction 0 in bits 0..7, direction 1 in 8..15. */
  historyBits: number;
  /** The history's letters as base-17 digits (bit index + 1), or -1 when too long to be exact. */
  historyCode: number;
  retired: boolean;
  /** Neighbours in the table's recency list (`idle`: the list of quiet unfinished connections). */
  prev: ConnSlot | null;
  next: ConnSlot | null;
  idle: boolean;
  /** The responder endpoint is counted in heldEndpoints (originator unknown at creation). */
  countedResp: boolean;
}

/** A doubly linked list of slots, least recently active first. */
class SlotList {
  head: ConnSlot | null = null;
  tail: ConnSlot | null = null;
  size = 0;

  push(s: ConnSlot): void {
    s.prev = this.tail;
    s.next = null;
    if (this.tail !== null) this.tail.next = s;
    else this.head = s;
    this.tail = s;
    this.size++;
  }

  remove(s: ConnSlot): void {
    if (s.prev !== null) s.prev.next = s.next;
    else this.head = s.next;
    if (s.next !== null) s.next.prev = s.prev;
    else this.tail = s.prev;
    s.prev = null;
    s.next = null;
    this.size--;
  }
}

/** Capture seconds between sweeps (each looks only at the connections it retires). */
const SWEEP_EVERY = 5;

const RING_POOL = 4096;
const ringPool: number[][] = [];

/** A fresh ring: copied (slice) from a packed double array, so it is allocated once, at its size. */
const RING_TEMPLATE: number[] = [];
for (let i = 0; i < 2 * RING; i++) RING_TEMPLATE.push(i % Sig.Size === Sig.Time ? -Infinity : 0);

function newRing(): number[] {
  const ring = ringPool.pop();
  if (ring === undefined) return RING_TEMPLATE.slice();
  for (let o = Sig.Time; o < ring.length; o += Sig.Size) ring[o] = -Infinity;
  return ring;
}

function newDir(): DirState {
  return {
    packets: 0, payloadBytes: 0, ipBytes: 0, synSeen: false, isn: -1, synTsVal: 0, synHasTs: false,
    synAckSeen: false, synAckAck: -1, synAckTsEcr: -1, synFrame: 0, finSeen: false, rstSeen: false, nextSeq: -1, lastAck: -1, retransmits: 0,
    duplicates: 0, synRetransmits: 0, minTtl: 256, maxTtl: -1, lastT: 0, lastDataT: 0,
  };
}

function hashTuple(p: Packet, aIsSrc: boolean, len: number): number {
  // Symmetric: the same for both directions, so one lookup finds the connection either way.
  let h1 = 0x811c9dc5;
  let h2 = 0x811c9dc5;
  const a = aIsSrc ? p.src : p.dst;
  const b = aIsSrc ? p.dst : p.src;
  for (let i = 0; i < len; i++) {
    h1 = Math.imul(h1 ^ a[i]!, 0x01000193);
    h2 = Math.imul(h2 ^ b[i]!, 0x01000193);
  }
  h1 = Math.imul(h1 ^ (aIsSrc ? p.srcPort : p.dstPort), 0x01000193);
  h2 = Math.imul(h2 ^ (aIsSrc ? p.dstPort : p.srcPort), 0x01000193);
  return smallHash(h1 ^ h2);
}

/**
 * The low 31 bits as a signed small integer: a Map key V8 keeps unboxed. A 32-bit key above 2^30
 * is a heap number, boxed (allocated) at each Map call and slower to hash.
 */
function smallHash(h: number): number {
  return (h << 1) >> 1;
}

/** A 32-bit hash of an endpoint's address bytes and port. */
function endpointKey(addr: readonly number[], port: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < addr.length; i++) h = Math.imul(h ^ addr[i]!, 0x01000193);
  return smallHash(Math.imul(h ^ port, 0x01000193));
}

function bytesEqual(a: ArrayLike<number>, b: ArrayLike<number>, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** IPv4 address strings by address, bounded: a capture's clients and servers recur. */
const v4Names = new Map<number, string>();
const V4_NAMES_MAX = 65536;

function addressName(bytes: Uint8Array, version: 4 | 6): string {
  if (version !== 4) return formatAddress(bytes, version);
  const key = (bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!;
  let name = v4Names.get(key);
  if (name === undefined) {
    if (v4Names.size >= V4_NAMES_MAX) v4Names.clear();
    name = formatAddress(bytes, 4);
    v4Names.set(key, name);
  }
  return name;
}

/**
 * Responder ("ip:port") strings of IPv4 endpoints, bounded: a capture's servers recur, and one
 * shared string is hashed once for the pipeline's endpoint sets and maps (client ports do not recur).
 */
const v4RespTexts = new Map<number, string>();

function endpoint(bytes: Uint8Array, version: 4 | 6, port: number, shared = false): Endpoint {
  const addr = addressName(bytes, version);
  if (version === 4 && shared) {
    const key = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) * 65536 + port;
    let text = v4RespTexts.get(key);
    if (text === undefined) {
      if (v4RespTexts.size >= V4_NAMES_MAX) v4RespTexts.clear();
      text = `${addr}:${port}`;
      v4RespTexts.set(key, text);
    }
    return { version, addr, port, text };
  }
  return { version, addr, port, text: version === 6 ? `[${addr}]:${port}` : `${addr}:${port}` };
}

/** seq comparison in 32-bit modular space: a - b as a signed number. */
export function seqDiff(a: number, b: number): number {
  return ((a - b) | 0);
}

export interface IcmpTie {
  conn: Connection;
  event: ConnEvent;
}

/**
 * The connection table: one record per TCP 4-tuple, per-direction sequence state, copies of one
 * packet (several interfaces of `-i any`) counted once, Zeek-style history. Keys are hashes of
 * the address bytes (no strings built per packet); records are created only for new tuples.
 */
export class FlowTable {
  private readonly buckets = new Map<number, ConnSlot | ConnSlot[]>();
  /**
   * Held connections by recency of their last packet (a packet moves its slot to the tail), so
   * a sweep looks only at the connections it retires: O(retired), not O(held). Unfinished
   * connections quiet for `retireAfter` wait in `idleList` until `idleRetireAfter`.
   */
  private readonly active = new SlotList();
  private readonly idleList = new SlotList();
  /** find()'s second result: the packet's source is the slot's side A (the originator). */
  private srcIsA = true;
  private nextId = 1;
  private lastSweepT = 0;
  readonly maxConnections: number;
  readonly retireAfter: number;
  readonly idleRetireAfter: number;
  private readonly onRetire: ((conn: Connection) => void) | undefined;
  private readonly onHandshake: HandshakeHook | undefined;
  private readonly onSweep: ((t: number) => void) | undefined;
  /** Connections ever seen. */
  total = 0;
  /** Times the table hit maxConnections and retired a connection early. */
  evictions = 0;
  tcpPackets = 0;
  resets = 0;
  icmpErrors = 0;
  icmpUntied = 0;

  constructor(options: FlowTableOptions = {}) {
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.retireAfter = options.retireAfter ?? 60;
    this.idleRetireAfter = options.idleRetireAfter ?? 3600;
    this.onRetire = options.onRetire;
    this.onHandshake = options.onHandshake;
    this.onSweep = options.onSweep;
  }

  /** Connections currently held (not yet retired), in order of first packet. */
  connections(): Connection[] {
    const out: Connection[] = [];
    for (let s = this.idleList.head; s !== null; s = s.next) out.push(s.conn);
    for (let s = this.active.head; s !== null; s = s.next) out.push(s.conn);
    return out.sort((a, b) => a.id - b.id);
  }

  /** Calls fn for every connection held, in no particular order. */
  forEach(fn: (c: Connection) => void): void {
    for (let s = this.idleList.head; s !== null; s = s.next) fn(s.conn);
    for (let s = this.active.head; s !== null; s = s.next) fn(s.conn);
  }

  /**
   * Some held connection has this endpoint ("ip:port") as its originator, or as its responder when
   * its originator is not known from a SYN. Kept as counts, so the check costs no walk of the table.
   */
  holdsEndpoint(c: Connection, which: 'orig' | 'resp'): boolean {
    const rec = c as ConnectionRecord;
    const key = which === 'orig' ? rec.origKey : rec.respKey;
    // Keys are hashes: a collision can only make a connection wait longer, never lose it.
    return key !== undefined && this.heldEndpoints.has(key);
  }

  private readonly heldEndpoints = new Map<number, number>();

  private countEndpoint(key: number, delta: 1 | -1): void {
    const n = (this.heldEndpoints.get(key) ?? 0) + delta;
    if (n > 0) this.heldEndpoints.set(key, n);
    else this.heldEndpoints.delete(key);
  }

  /** Connections held now. */
  get size(): number {
    return this.active.size + this.idleList.size;
  }

  /** Feed one decoded packet. */
  observe(p: Packet, frame: Frame): void {
    if (p.ipVersion === 0) return;
    if (p.transport === Transport.Tcp) this.observeTcp(p, frame);
    else if (p.transport === Transport.IcmpError) this.observeIcmp(p, frame);
  }

  /** Retire everything still held (end of capture). */
  finish(): void {
    const all: ConnSlot[] = [];
    for (let s = this.idleList.head; s !== null; s = s.next) all.push(s);
    for (let s = this.active.head; s !== null; s = s.next) all.push(s);
    all.sort((a, b) => a.conn.id - b.conn.id);
    for (const s of all) this.retire(s);
    this.buckets.clear();
  }

  /** The held slot of p's 4-tuple, either way round; sets `srcIsA`. */
  private find(p: Packet, hash: number): ConnSlot | undefined {
    const entry = this.buckets.get(hash);
    if (entry === undefined) return undefined;
    if (!Array.isArray(entry)) return this.matches(entry, p) ? entry : undefined;
    for (let i = entry.length - 1; i >= 0; i--) if (this.matches(entry[i]!, p)) return entry[i];
    return undefined;
  }

  private matches(s: ConnSlot, p: Packet): boolean {
    if (s.version !== p.ipVersion || s.retired) return false;
    const len = p.ipVersion === 4 ? 4 : 16;
    if (s.portA === p.srcPort && s.portB === p.dstPort && bytesEqual(s.addrA, p.src, len) && bytesEqual(s.addrB, p.dst, len)) {
      this.srcIsA = true;
      return true;
    }
    if (s.portA === p.dstPort && s.portB === p.srcPort && bytesEqual(s.addrA, p.dst, len) && bytesEqual(s.addrB, p.src, len)) {
      this.srcIsA = false;
      return true;
    }
    return false;
  }

  private insert(slot: ConnSlot): void {
    const entry = this.buckets.get(slot.hash);
    if (entry === undefined) this.buckets.set(slot.hash, slot);
    else if (Array.isArray(entry)) entry.push(slot);
    else this.buckets.set(slot.hash, [entry, slot]);
    this.active.push(slot);
    this.total++;
    const rec = slot.conn as ConnectionRecord;
    this.countEndpoint(rec.origKey, 1);
    // Both endpoints are counted for a connection whose originator is a guess (no SYN seen).
    slot.countedResp = !rec.originKnown;
    if (slot.countedResp) this.countEndpoint(rec.respKey, 1);
  }

  private unlink(slot: ConnSlot): void {
    const entry = this.buckets.get(slot.hash);
    if (entry === slot) this.buckets.delete(slot.hash);
    else if (Array.isArray(entry)) {
      const i = entry.indexOf(slot);
      if (i >= 0) entry.splice(i, 1);
      if (entry.length === 1) this.buckets.set(slot.hash, entry[0]!);
      else if (entry.length === 0) this.buckets.delete(slot.hash);
    }
  }

  private retire(slot: ConnSlot): void {
    if (slot.retired) return;
    slot.retired = true;
    this.unlink(slot);
    const rec = slot.conn as ConnectionRecord;
    this.countEndpoint(rec.origKey, -1);
    if (slot.countedResp) this.countEndpoint(rec.respKey, -1);
    (slot.idle ? this.idleList : this.active).remove(slot);
    // The copy-detection ring goes back to the pool for the next connection.
    if (ringPool.length < RING_POOL) ringPool.push(slot.recent);
    this.onRetire?.(slot.conn);
  }

  private create(p: Packet, frame: Frame, t: number): ConnSlot {
    const len = p.ipVersion === 4 ? 4 : 16;
    const version = p.ipVersion as 4 | 6;
    // A SYN-ACK seen first means the responder spoke first in the capture: the originator is
    // the SYN-ACK's destination.
    const synAck = (p.flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK);
    const srcIsA = !synAck;
    const a = srcIsA ? p.src : p.dst;
    const b = srcIsA ? p.dst : p.src;
    // Literals for IPv4: pushing from empty allocates room for 17.
    const addrA: number[] = len === 4 ? [a[0]!, a[1]!, a[2]!, a[3]!] : Array.from(a.subarray(0, 16));
    const addrB: number[] = len === 4 ? [b[0]!, b[1]!, b[2]!, b[3]!] : Array.from(b.subarray(0, 16));
    const portA = srcIsA ? p.srcPort : p.dstPort;
    const portB = srcIsA ? p.dstPort : p.srcPort;
    const conn = new ConnectionRecord(this.nextId++, endpoint(a, version, portA), endpoint(b, version, portB, true),
      (p.flags & (TcpFlag.SYN)) !== 0, frame, t, endpointKey(addrA, portA), endpointKey(addrB, portB));
    const slot: ConnSlot = {
      conn, addrA, addrB, portA, portB, version,
      hash: hashTuple(p, true, len),
      recent: newRing(),
      recentPos0: 0,
      recentPos1: 0,
      historyBits: 0,
      historyCode: 0,
      retired: false,
      prev: null,
      next: null,
      idle: false,
      countedResp: false,
    };
    this.insert(slot);
    return slot;
  }

  private sweep(t: number): void {
    // Retire finished or long-quiet connections so memory stays bounded on long captures. The
    // recency lists are ordered by last packet: stop at the first connection not yet due.
    this.lastSweepT = t;
    this.onSweep?.(t);
    for (let s = this.active.head; s !== null && t - s.conn.lastT > this.retireAfter; s = this.active.head) {
      const c = s.conn;
      const done = c.dirs[0].rstSeen || c.dirs[1].rstSeen || (c.dirs[0].finSeen && c.dirs[1].finSeen);
      // A connection attempt that never got anywhere (no SYN-ACK, no data) is over once quiet:
      // a SYN flood must not stay held for the idle hour.
      const deadAttempt = !c.dirs[1].synAckSeen && c.dirs[0].payloadBytes === 0 && c.dirs[1].payloadBytes === 0;
      if (done || deadAttempt) this.retire(s);
      else {
        this.active.remove(s);
        s.idle = true;
        this.idleList.push(s);
      }
    }
    for (let s = this.idleList.head; s !== null && t - s.conn.lastT > this.idleRetireAfter; s = this.idleList.head) this.retire(s);
  }

  private evictOldest(): void {
    // Past the bound: retire the longest-quiet connection still held.
    const a = this.idleList.head;
    const b = this.active.head;
    const oldest = a === null ? b : b === null ? a : a.conn.lastT <= b.conn.lastT ? a : b;
    if (oldest !== null) {
      this.evictions++;
      this.retire(oldest);
    }
  }

  /** A packet for the slot: it becomes the most recently active. */
  private touch(slot: ConnSlot): void {
    if (slot.idle) {
      this.idleList.remove(slot);
      slot.idle = false;
      this.active.push(slot);
    } else if (this.active.tail !== slot) {
      this.active.remove(slot);
      this.active.push(slot);
    }
  }

  private observeTcp(p: Packet, frame: Frame): void {
    this.tcpPackets++;
    const t = frame.tsSec + frame.tsNsec / 1e9;
    if (t - this.lastSweepT > SWEEP_EVERY) this.sweep(t);
    const len = p.ipVersion === 4 ? 4 : 16;
    let slot = this.find(p, hashTuple(p, true, len));
    let srcIsA = this.srcIsA;
    const isSyn = (p.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN;
    if (slot !== undefined && isSyn && srcIsA) {
      // A new SYN with a different ISN on a finished tuple is a new connection (port reuse).
      const d = slot.conn.dirs[0];
      const finished = slot.conn.dirs[0].rstSeen || slot.conn.dirs[1].rstSeen || (slot.conn.dirs[0].finSeen && slot.conn.dirs[1].finSeen);
      if (d.isn !== -1 && d.isn !== p.seq && (finished || slot.conn.established)) {
        this.retire(slot);
        slot = undefined;
      }
    }
    if (slot === undefined) {
      if (this.size >= this.maxConnections) {
        this.sweep(t);
        if (this.size >= this.maxConnections) this.evictOldest();
      }
      slot = this.create(p, frame, t);
      srcIsA = !((p.flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK));
    } else this.touch(slot);
    const dir: Dir = srcIsA ? 0 : 1;
    this.update(slot, dir, p, frame, t);
  }

  private isCopy(slot: ConnSlot, dir: Dir, p: Packet, t: number): number {
    // The same packet seen again on another interface: identical TCP header fields and IP ID
    // (or TSval for IPv6) within a few milliseconds. Returns the ring index matched, or -1.
    const ring = slot.recent;
    const base = dir * RING;
    const tsVal = p.hasTimestamps ? p.tsVal : -1;
    for (let i = 0; i < RECENT; i++) {
      const o = base + i * Sig.Size;
      if (t - ring[o + Sig.Time]! > COPY_WINDOW) continue;
      if (ring[o + Sig.Seq] === p.seq && ring[o + Sig.Ack] === p.ack && ring[o + Sig.Flags] === p.flags &&
        ring[o + Sig.Len] === p.payloadLength && ring[o + Sig.IpId] === p.ipId && ring[o + Sig.TsVal] === tsVal) {
        return i;
      }
    }
    return -1;
  }

  private remember(slot: ConnSlot, dir: Dir, p: Packet, t: number, eventIndex: number): void {
    const pos = dir === 0 ? slot.recentPos0 : slot.recentPos1;
    const o = dir * RING + pos * Sig.Size;
    const ring = slot.recent;
    ring[o + Sig.Seq] = p.seq;
    ring[o + Sig.Ack] = p.ack;
    ring[o + Sig.Flags] = p.flags;
    ring[o + Sig.Len] = p.payloadLength;
    ring[o + Sig.IpId] = p.ipId;
    ring[o + Sig.TsVal] = p.hasTimestamps ? p.tsVal : -1;
    ring[o + Sig.Event] = eventIndex;
    ring[o + Sig.Time] = t;
    const next = pos + 1 === RECENT ? 0 : pos + 1;
    if (dir === 0) slot.recentPos0 = next;
    else slot.recentPos1 = next;
  }

  private addHistory(slot: ConnSlot, dir: Dir, letter: H): void {
    const k = letter + (dir === 0 ? 0 : 8);
    const bit = 1 << k;
    if ((slot.historyBits & bit) !== 0) return;
    slot.historyBits |= bit;
    const prev = slot.historyCode;
    const code = prev >= 0 && prev < HISTORY_CODE_MAX ? prev * 17 + k + 1 : -1;
    slot.historyCode = code;
    let h = code >= 0 ? historyCache.get(code) : undefined;
    if (h === undefined) {
      h = slot.conn.history + (dir === 0 ? HISTORY_UPPER[letter]! : HISTORY_LETTERS[letter]!);
      if (code >= 0 && historyCache.size < HISTORY_CACHE_MAX) historyCache.set(code, h);
    }
    slot.conn.history = h;
  }

  private update(slot: ConnSlot, dir: Dir, p: Packet, frame: Frame, t: number): void {
    const c = slot.conn;
    const d = c.dirs[dir];
    const flags = p.flags;
    const copyAt = this.isCopy(slot, dir, p, t);
    if (copyAt >= 0) {
      d.duplicates++;
      const evIndex = slot.recent[dir * RING + copyAt * Sig.Size + Sig.Event]!;
      if (evIndex >= 0 && evIndex < logOf(c).length) logOf(c).addCopy(evIndex, frame.frameNumber);
      c.lastFrame = frame.frameNumber;
      return;
    }

    const syn = (flags & TcpFlag.SYN) !== 0;
    const ackf = (flags & TcpFlag.ACK) !== 0;
    const rst = (flags & TcpFlag.RST) !== 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const len = p.payloadLength;

    // Idle gap (after establishment): the silence before this packet.
    if (c.established && c.lastT > 0) {
      const gap = t - c.lastT;
      if (gap > c.maxIdle) {
        c.maxIdle = gap;
        c.maxIdleFrame = frame.frameNumber;
      }
    }

    let retransmit = false;
    if (syn) {
      if (d.synSeen && d.isn === p.seq) {
        retransmit = true;
        d.synRetransmits++;
        d.retransmits++;
      } else if (!d.synSeen) {
        d.synSeen = true;
        d.isn = p.seq;
        d.synHasTs = p.hasTimestamps;
        d.synTsVal = p.tsVal;
        d.synFrame = frame.frameNumber;
        if (ackf) {
          d.synAckSeen = true;
          d.synAckAck = p.ack;
          d.synAckTsEcr = p.hasTimestamps ? p.tsEcr : -1;
        }
      }
      if (!retransmit) this.onHandshake?.(c, dir, p, t, frame.frameNumber);
      if (!c.originKnown && !ackf && dir === 0) c.originKnown = true;
    } else if (len > 0 && d.nextSeq !== -1 && seqDiff(p.seq + len, d.nextSeq) <= 0) {
      retransmit = true;
      d.retransmits++;
    } else if (fin && d.finSeen && d.nextSeq !== -1 && seqDiff(p.seq + 1, d.nextSeq) <= 0) {
      retransmit = true;
      d.retransmits++;
    }

    const end = (p.seq + len + (syn ? 1 : 0) + (fin ? 1 : 0)) >>> 0;
    if (!rst && (d.nextSeq === -1 || seqDiff(end, d.nextSeq) > 0)) d.nextSeq = end;
    if (ackf) d.lastAck = p.ack;
    if (fin) d.finSeen = true;
    if (rst) {
      d.rstSeen = true;
      this.resets++;
    }
    d.packets++;
    d.payloadBytes += len;
    d.ipBytes += p.ipLength;
    if (p.ttl < d.minTtl) d.minTtl = p.ttl;
    if (p.ttl > d.maxTtl) d.maxTtl = p.ttl;
    d.lastT = t;
    if (len > 0 || syn || fin) d.lastDataT = t;

    // Handshake completion: the originator acks the responder's ISN + 1.
    if (!c.established && dir === 0 && ackf && !syn && !rst && c.dirs[1].synSeen && c.dirs[1].synAckSeen &&
      p.ack === ((c.dirs[1].isn + 1) >>> 0)) {
      c.established = true;
      c.establishedT = t;
    }

    // History letters (Zeek): s h a d f r t, first occurrence per direction.
    if (syn && !ackf) this.addHistory(slot, dir, H.S);
    else if (syn && ackf) this.addHistory(slot, dir, H.H);
    if (rst) this.addHistory(slot, dir, H.R);
    if (fin) this.addHistory(slot, dir, H.F);
    if (len > 0) this.addHistory(slot, dir, H.D);
    else if (ackf && !syn && !fin && !rst) this.addHistory(slot, dir, H.A);
    if (retransmit && len > 0) this.addHistory(slot, dir, H.T);

    c.lastT = t;
    c.lastFrame = frame.frameNumber;
    c.lastSec = frame.tsSec;
    c.lastNsec = frame.tsNsec;

    // Packets after a RST are evidence too (data continuing after a forged RST, segments answered
    // by a "no such connection" RST), however long the connection was before it.
    const notable = syn || rst || fin || c.dirs[0].rstSeen || c.dirs[1].rstSeen;
    let eventIndex = -1;
    const log = logOf(c);
    if (log.length < MAX_ROUTINE_EVENTS || (notable && log.length < MAX_EVENTS)) {
      eventIndex = log.push(frame.frameNumber, frame.tsSec, frame.tsNsec, t, dir, flags, p.seq, p.ack, len, p.window, p.ttl,
        p.ipId, p.hasTimestamps, p.tsVal, p.tsEcr, retransmit, -1, -1, null);
    } else {
      c.droppedEvents++;
      // Keep the most recent routine packet in view: overwrite the last routine slot.
      if (!notable && log.length >= MAX_ROUTINE_EVENTS) {
        const last = log.length - 1;
        if ((log.flagsAt(last) & (TcpFlag.SYN | TcpFlag.RST | TcpFlag.FIN)) === 0 && log.icmpTypeAt(last) < 0) {
          eventIndex = last;
          log.overwrite(last, frame.frameNumber, frame.tsSec, frame.tsNsec, t, dir, flags, p.seq, p.ack, len, p.window,
            p.ttl, p.ipId, p.hasTimestamps, p.tsVal, p.tsEcr, retransmit);
        }
      }
    }
    this.remember(slot, dir, p, t, eventIndex);
  }

  private observeIcmp(p: Packet, frame: Frame): void {
    this.icmpErrors++;
    if (p.innerProtocol !== 6 || p.innerSrcPort < 0 || p.innerIpVersion === 0) {
      this.icmpUntied++;
      return;
    }
    // The embedded header is the offending packet: inner src → inner dst. Look it up.
    const len = p.innerIpVersion === 4 ? 4 : 16;
    const fake = this.icmpProbe;
    fake.ipVersion = p.innerIpVersion;
    fake.src.set(p.innerSrc);
    fake.dst.set(p.innerDst);
    fake.srcPort = p.innerSrcPort;
    fake.dstPort = p.innerDstPort;
    const slot = this.find(fake, hashTuple(fake, true, len));
    if (slot === undefined) {
      this.icmpUntied++;
      return;
    }
    const c = slot.conn;
    const t = frame.tsSec + frame.tsNsec / 1e9;
    // The error travels against the offending packet's direction.
    const dir: Dir = this.srcIsA ? 1 : 0;
    this.touch(slot);
    const sender = formatAddress(p.src, p.ipVersion as 4 | 6);
    // The same ICMP error seen on several interfaces is one error.
    for (let i = c.events.length - 1; i >= 0 && i >= c.events.length - 4; i--) {
      const ev = c.events[i]!;
      if (ev.icmpType === p.icmpType && ev.icmpCode === p.icmpCode && ev.icmpSender === sender &&
        ev.seq === p.innerSeq && t - ev.t <= COPY_WINDOW) {
        logOf(c).addCopy(i, frame.frameNumber);
        return;
      }
    }
    const log = logOf(c);
    if (log.length < MAX_EVENTS) {
      log.push(frame.frameNumber, frame.tsSec, frame.tsNsec, t, dir, 0, p.innerSeq, 0, 0, 0, p.ttl, p.ipId, false, 0, 0, false,
        p.icmpType, p.icmpCode, sender);
    } else c.droppedEvents++;
    this.addHistory(slot, dir, H.U);
    c.lastT = t;
    c.lastFrame = frame.frameNumber;
    c.lastSec = frame.tsSec;
    c.lastNsec = frame.tsNsec;
  }

  private readonly icmpProbe = new Packet();
}

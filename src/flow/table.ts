import { Packet, TcpFlag, Transport } from '../decode/packet.js';
import { formatAddress } from '../decode/address.js';
import type { Frame } from '../capture/types.js';
import type { Connection, ConnEvent, Dir, DirState, Endpoint } from './types.js';
import { EventLog } from './events.js';
import { EndpointCounts } from './endpoint-counts.js';
import { seqDiff } from '../tcp/seq.js';

/**
 * A connection as rules and reports read it: a snapshot of the table's numeric state for one
 * connection, made (FlowTable.handleOf) only for connections something looks at — a NAT link, a
 * retirement that is not plainly healthy, a live snapshot. Its evidence is an EventLog, read as
 * objects only on demand.
 */
export class ConnectionRecord implements Connection {
  declare id: number;
  declare orig: Endpoint;
  declare resp: Endpoint;
  declare originKnown: boolean;
  declare firstFrame: number;
  declare lastFrame: number;
  declare firstSec: number;
  declare firstNsec: number;
  declare lastSec: number;
  declare lastNsec: number;
  declare firstT: number;
  declare lastT: number;
  declare dirs: [DirState, DirState];
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
  /** Exact keys for the pipeline's witness index: IPv4 as numbers, IPv6 as text. */
  declare clientKey: number | string;
  declare serverKey: number | string;

  // Fields assigned one by one, in declaration order (`declare`: no define-then-assign).
  constructor(id: number, orig: Endpoint, resp: Endpoint, log: EventLog, origKey: number, respKey: number,
    clientKey: number | string, serverKey: number | string) {
    this.id = id;
    this.orig = orig;
    this.resp = resp;
    this.originKnown = false;
    this.firstFrame = 0;
    this.lastFrame = 0;
    this.firstSec = 0;
    this.firstNsec = 0;
    this.lastSec = 0;
    this.lastNsec = 0;
    this.firstT = 0;
    this.lastT = 0;
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
    this.log = log;
    this.origKey = origKey;
    this.respKey = respKey;
    this.clientKey = clientKey;
    this.serverKey = serverKey;
  }

  get events(): ConnEvent[] {
    return this.log.events;
  }
}

/** Evidence kept per connection: the first ones, plus every SYN/RST/FIN/ICMP up to the hard cap. */
const MAX_EVENTS = 64;
const MAX_ROUTINE_EVENTS = 24;
/**
 * Evidence events kept in the table's own arrays per connection; past that (or at the first copy
 * or ICMP error) the connection's evidence moves to an EventLog object. Most connections are short.
 */
const INLINE_EVENTS = 12;
/** A copy of a packet on another interface of `-i any` arrives within this many seconds. */
const COPY_WINDOW = 0.05;
/** How many recent packets per direction are remembered for copy detection. */
const RECENT = 6;

/** One remembered packet in a copy-detection ring (FlowTable.ring, 32-bit); its time is in ringTime. */
const enum Sig {
  Seq = 0,
  Ack,
  /** TCP flags | has timestamps << 9 */
  Flags,
  Len,
  IpId,
  TsVal,
  Event,
  Size,
}
/** One direction's ring of recent packet signatures. */
const RING = RECENT * Sig.Size;

/** History letters, one per letter and direction (upper case = originator). */
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
/** historyBits of an ICMP error either way ('u' / 'U'). */
const HISTORY_ICMP = (1 << H.U) | (1 << (H.U + 8));

/**
 * Per-connection unsigned 32-bit fields (FlowTable.u32, U.Size per slot). Slot links are stored
 * as slot + 1 (0: none).
 */
const enum U {
  /** Connection id; 0 for a free slot. */
  Id = 0,
  PortA,
  PortB,
  Version,
  Hash,
  /** Next slot in the hash bucket (or in the free list). */
  Chain,
  /** Neighbours in the recency list the slot is on (active or idle). */
  Prev,
  Next,
  Bits,
  /** HISTORY_LETTERS bits already in the history: direction 0 in bits 0..7, direction 1 in 8..15. */
  HistoryBits,
  /** The history's letters (bit indexes 0..15), 4 bits each, in order: at most 16. */
  HistoryLo,
  HistoryHi,
  HistoryLen,
  RecentPos0,
  RecentPos1,
  /** Ring entries written so far per direction (up to RECENT): the rest are not compared. */
  RecentFill0,
  RecentFill1,
  FirstFrame,
  LastFrame,
  FirstNsec,
  LastNsec,
  MaxIdleFrame,
  Dropped,
  EventCount,
  OrigKey,
  RespKey,
  /** Address words of side A (the originator) and B: one for IPv4, four for IPv6. */
  A0,
  A1,
  A2,
  A3,
  B0,
  B1,
  B2,
  B3,
  /** Direction 0's DU fields, then direction 1's. */
  Dir0,
  Size = Dir0 + 2 * 13,
}

/** Per-direction unsigned 32-bit fields, from U.Dir0 + dir × DU.Size. */
const enum DU {
  Bits = 0,
  Isn,
  SynTsVal,
  SynAckAck,
  SynAckTsEcr,
  SynFrame,
  NextSeq,
  LastAck,
  Retransmits,
  Duplicates,
  SynRetransmits,
  MinTtl,
  MaxTtl,
  Size,
}

/** Per-connection double fields (FlowTable.f64). */
const enum F {
  FirstSec = 0,
  LastSec,
  FirstT,
  LastT,
  MaxIdle,
  EstablishedT,
  /** Direction 0's FD fields, then direction 1's. */
  Dir0,
  Size = Dir0 + 2 * 5,
}

const enum FD {
  Packets = 0,
  PayloadBytes,
  IpBytes,
  LastT,
  LastDataT,
  Size,
}

/** U.Bits */
const enum CB {
  Idle = 1,
  OriginKnown = 2,
  Established = 4,
  CountedResp = 8,
  NatLinked = 16,
}

/** DU.Bits */
const enum DB {
  SynSeen = 1,
  SynHasTs = 2,
  SynAckSeen = 4,
  SynAckHasTs = 8,
  FinSeen = 16,
  RstSeen = 32,
  NextSeqValid = 64,
  LastAckValid = 128,
}

/** Fields of one inline evidence event (FlowTable.ev32); its seconds are in evSec. */
const enum E {
  Frame = 0,
  Nsec,
  /** dir | flags << 1 | hasTs << 10 | retransmit << 11 */
  Meta,
  Seq,
  Ack,
  Len,
  Window,
  Ttl,
  /** IP ID + 1 (0: none). */
  IpId1,
  TsVal,
  TsEcr,
  Size,
}

export interface FlowTableOptions {
  /** Upper bound on connections held at once; past it the oldest idle ones are retired. */
  maxConnections?: number;
  /** Called for a connection the table releases (finished and quiet), in retirement order. */
  onRetire?: (conn: Connection) => void;
  /**
   * Offered each plainly healthy connection (established, no RST, no ICMP error, no NAT link, no
   * SYN retransmission, no long silence) retired before the end of the capture, before any record
   * of it is made: returns true when it needs none (then onRetire is not called). Most of a busy
   * node's connections end here, costing no allocation.
   */
  releaseHealthy?: (slot: number) => boolean;
  /**
   * Seconds of capture time after its last packet before a finished (FIN both ways, or RST)
   * connection is retired: 60, Linux's TIME_WAIT. Unfinished connections are retired after
   * `idleRetireAfter` (3600) of silence.
   */
  retireAfter?: number;
  idleRetireAfter?: number;
  /** Called for each new (not copied, not retransmitted) SYN or SYN-ACK: the NAT linker's feed. */
  onHandshake?: HandshakeHook;
}

/**
 * Connections held at once by default. Past it the longest-quiet one is retired early (and a
 * warning says so): a SYN flood or a scan cannot exhaust memory. A node's capture rarely has more
 * than a few thousand concurrent connections: the 200k-connection benchmark holds about 12k.
 */
export const DEFAULT_MAX_CONNECTIONS = 100_000;

/** A new SYN or SYN-ACK of the connection in `slot` (FlowTable slot index), sent in direction `dir`. */
export type HandshakeHook = (slot: number, dir: Dir, p: Packet, t: number, frame: number) => void;

/** Capture seconds between sweeps (each looks only at the connections it retires). */
const SWEEP_EVERY = 5;
const INITIAL_SLOTS = 4096;

function newDir(): DirState {
  return {
    packets: 0, payloadBytes: 0, ipBytes: 0, synSeen: false, isn: -1, synTsVal: 0, synHasTs: false,
    synAckSeen: false, synAckAck: -1, synAckTsEcr: -1, synFrame: 0, finSeen: false, rstSeen: false, nextSeq: -1, lastAck: -1, retransmits: 0,
    duplicates: 0, synRetransmits: 0, minTtl: 256, maxTtl: -1, lastT: 0, lastDataT: 0,
  };
}

/** The packet's addresses as 32-bit words (scratch, filled once per packet). */
const srcWords = new Uint32Array(4);
const dstWords = new Uint32Array(4);

function loadWords(out: Uint32Array, bytes: Uint8Array, words: number): void {
  for (let w = 0, i = 0; w < words; w++, i += 4) {
    out[w] = ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
  }
}

/** Symmetric hash of the 4-tuple (the same for both directions), over the address words. */
function hashTuple(words: number, srcPort: number, dstPort: number): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x811c9dc5;
  for (let i = 0; i < words; i++) {
    h1 = Math.imul(h1 ^ srcWords[i]!, 0x01000193);
    h2 = Math.imul(h2 ^ dstWords[i]!, 0x01000193);
  }
  h1 = Math.imul(h1 ^ srcPort, 0x01000193);
  h2 = Math.imul(h2 ^ dstPort, 0x01000193);
  return mix32(h1 ^ h2) >>> 0;
}

/**
 * Murmur3's finalizer: every input bit reaches every output bit. FNV alone leaves the low bits
 * (which pick the bucket) to the last bytes hashed, so addresses one apart with ports one apart
 * collided by the thousand (a capture of many short connections from a few clients).
 */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A 31-bit hash of an endpoint's address words and port (a Map key V8 keeps unboxed). */
function endpointKey(u: Uint32Array, at: number, words: number, port: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < words; i++) h = Math.imul(h ^ u[at + i]!, 0x01000193);
  h = Math.imul(h ^ port, 0x01000193);
  return (mix32(h) << 1) >> 1;
}

/**
 * The pipeline's witness-index hash of an IPv4 connection (client address word, server address
 * word, server port): a small integer (src/analysis/witnesses.ts).
 */
export function witnessHashOf(clientWord: number, serverWord: number, port: number): number {
  return (Math.imul(clientWord, 0x9e3779b1) ^ Math.imul(serverWord, 0x85ebca6b) ^ Math.imul(port, 0xc2b2ae35)) & 0x3fffffff;
}

/** IPv4 address strings by address, bounded: a capture's clients and servers recur. */
const v4Names = new Map<number, string>();
const V4_NAMES_MAX = 65536;
const scratchBytes = new Uint8Array(16);

function v4Name(word: number): string {
  let name = v4Names.get(word);
  if (name === undefined) {
    if (v4Names.size >= V4_NAMES_MAX) v4Names.clear();
    name = `${word >>> 24}.${(word >>> 16) & 255}.${(word >>> 8) & 255}.${word & 255}`;
    v4Names.set(word, name);
  }
  return name;
}

/** Responder ("ip:port") strings of IPv4 endpoints, bounded: a capture's servers recur. */
const v4RespTexts = new Map<number, string>();

function endpointOf(u: Uint32Array, at: number, version: 4 | 6, port: number, shared: boolean): Endpoint {
  if (version === 4) {
    const word = u[at]!;
    const addr = v4Name(word);
    if (!shared) return { version, addr, port, text: `${addr}:${port}` };
    const key = word * 65536 + port;
    let text = v4RespTexts.get(key);
    if (text === undefined) {
      if (v4RespTexts.size >= V4_NAMES_MAX) v4RespTexts.clear();
      text = `${addr}:${port}`;
      v4RespTexts.set(key, text);
    }
    return { version, addr, port, text };
  }
  for (let w = 0; w < 4; w++) {
    const x = u[at + w]!;
    scratchBytes[w * 4] = x >>> 24;
    scratchBytes[w * 4 + 1] = (x >>> 16) & 255;
    scratchBytes[w * 4 + 2] = (x >>> 8) & 255;
    scratchBytes[w * 4 + 3] = x & 255;
  }
  const addr = formatAddress(scratchBytes, 6);
  return { version, addr, port, text: `[${addr}]:${port}` };
}

/**
 * The connection table: one entry per TCP 4-tuple, per-direction sequence state, copies of one
 * packet (several interfaces of `-i any`) counted once, Zeek-style history.
 *
 * Held connections live in typed arrays, one slot each (struct of arrays, in the manner of
 * gopacket's preallocated layers): a packet updates numbers in place, and a healthy connection
 * comes and goes without one object being allocated for it. A ConnectionRecord is made only for
 * connections something reads (see handleOf). Lookups hash the address words into chained
 * buckets of slot numbers; no key string is built per packet.
 */
export class FlowTable {
  /** Slot capacity; arrays grow by doubling (up to maxConnections). */
  private capacity = 0;
  /** U.Size unsigned fields per slot. */
  private u32 = new Uint32Array(0);
  /** F.Size double fields per slot. */
  private f64 = new Float64Array(0);
  /** Two rings of recent packet signatures per slot (copy detection), and their times. */
  private ring = new Int32Array(0);
  private ringTime = new Float64Array(0);
  /** INLINE_EVENTS evidence events per slot, and their seconds. */
  private ev32 = new Uint32Array(0);
  private evSec = new Float64Array(0);
  /** Evidence moved out of the inline arrays (long connections, copies, ICMP errors). */
  private logs: (EventLog | undefined)[] = [];
  /** Records made for held connections (see handleOf). */
  private handles: (ConnectionRecord | undefined)[] = [];
  /** Hash buckets: slot + 1 of the first slot in each (0: empty). */
  private heads = new Uint32Array(0);
  private mask = 0;
  /** Free slots, as a chain through U.Chain (slot + 1). */
  private freeHead = 0;
  /** Slots never used yet start here. */
  private fresh = 0;
  /**
   * Held connections by recency of their last packet (a packet moves its slot to the tail), so a
   * sweep looks only at the connections it retires: O(retired), not O(held). Unfinished
   * connections quiet for `retireAfter` wait in the idle list until `idleRetireAfter`.
   */
  private activeHead = 0;
  private activeTail = 0;
  private activeSize = 0;
  private idleHead = 0;
  private idleTail = 0;
  private idleSize = 0;
  /**
   * The current packet's capture time, seconds. A field, not an argument: a double passed to a
   * method that is not inlined is boxed (allocated) at each call, several times a packet.
   */
  private now = 0.5;
  /** find()'s second result: the packet's source is the slot's side A (the originator). */
  private srcIsA = true;
  private nextId = 1;
  private lastSweepT = 0;
  readonly maxConnections: number;
  readonly retireAfter: number;
  readonly idleRetireAfter: number;
  private readonly onRetire: ((conn: Connection) => void) | undefined;
  private readonly releaseHealthy: ((slot: number) => boolean) | undefined;
  private readonly onHandshake: HandshakeHook | undefined;
  /** Connections ever seen. */
  total = 0;
  /** Times the table hit maxConnections and retired a connection early. */
  evictions = 0;
  tcpPackets = 0;
  resets = 0;
  icmpErrors = 0;
  icmpUntied = 0;
  /** Connections retired as plainly healthy without a record (releaseHealthy said so). */
  releasedHealthy = 0;

  constructor(options: FlowTableOptions = {}) {
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.retireAfter = options.retireAfter ?? 60;
    this.idleRetireAfter = options.idleRetireAfter ?? 3600;
    this.onRetire = options.onRetire;
    this.releaseHealthy = options.releaseHealthy;
    this.onHandshake = options.onHandshake;
    this.grow(INITIAL_SLOTS);
  }

  private grow(capacity: number): void {
    const u32 = new Uint32Array(capacity * U.Size);
    u32.set(this.u32);
    this.u32 = u32;
    const f64 = new Float64Array(capacity * F.Size);
    f64.set(this.f64);
    this.f64 = f64;
    const ring = new Int32Array(capacity * 2 * RING);
    ring.set(this.ring);
    this.ring = ring;
    const ringTime = new Float64Array(capacity * 2 * RECENT);
    ringTime.set(this.ringTime);
    this.ringTime = ringTime;
    const ev32 = new Uint32Array(capacity * INLINE_EVENTS * E.Size);
    ev32.set(this.ev32);
    this.ev32 = ev32;
    const evSec = new Float64Array(capacity * INLINE_EVENTS);
    evSec.set(this.evSec);
    this.evSec = evSec;
    this.capacity = capacity;
    // Buckets: a power of two, at least twice the slots; rehash every held slot.
    let buckets = 1;
    while (buckets < capacity * 2) buckets *= 2;
    this.heads = new Uint32Array(buckets);
    this.mask = buckets - 1;
    for (let s = 0; s < this.fresh; s++) {
      const b = s * U.Size;
      if (u32[b + U.Id] === 0) continue;
      const k = u32[b + U.Hash]! & this.mask;
      u32[b + U.Chain] = this.heads[k]!;
      this.heads[k] = s + 1;
    }
  }

  /** Connections currently held (not yet retired), in order of first packet, as records. */
  connections(): Connection[] {
    const out: Connection[] = [];
    for (let s = this.idleHead; s !== 0; s = this.u32[(s - 1) * U.Size + U.Next]!) out.push(this.handleOf(s - 1));
    for (let s = this.activeHead; s !== 0; s = this.u32[(s - 1) * U.Size + U.Next]!) out.push(this.handleOf(s - 1));
    return out.sort((a, b) => a.id - b.id);
  }

  /**
   * Some held connection has this endpoint ("ip:port") as its originator, or as its responder when
   * its originator is not known from a SYN. Kept as counts, so the check costs no walk of the table.
   */
  holdsEndpoint(c: Connection, which: 'orig' | 'resp'): boolean {
    const rec = c as ConnectionRecord;
    const key = which === 'orig' ? rec.origKey : rec.respKey;
    // Counts by hashed key: a collision can only make a connection wait longer, never lose it.
    return key !== undefined && this.heldEndpoints.has(key);
  }

  holdsEndpointKey(key: number): boolean {
    return this.heldEndpoints.has(key);
  }

  private readonly heldEndpoints = new EndpointCounts();

  private countEndpoint(key: number, delta: 1 | -1): void {
    if (delta > 0) this.heldEndpoints.add(key);
    else this.heldEndpoints.remove(key);
  }

  /** Connections held now. */
  get size(): number {
    return this.activeSize + this.idleSize;
  }

  // --- slot accessors (for the NAT linker and the pipeline) ---

  /** The slot holds connection `id` (not retired, not reused). */
  holds(slot: number, id: number): boolean {
    return this.u32[slot * U.Size + U.Id] === id;
  }

  idAt(slot: number): number {
    return this.u32[slot * U.Size + U.Id]!;
  }

  originKnownAt(slot: number): boolean {
    return (this.u32[slot * U.Size + U.Bits]! & CB.OriginKnown) !== 0;
  }

  origKeyAt(slot: number): number {
    return this.u32[slot * U.Size + U.OrigKey]! | 0;
  }

  respKeyAt(slot: number): number {
    return this.u32[slot * U.Size + U.RespKey]! | 0;
  }

  /** IPv4 connections: the originator's address word; else undefined (keys by text instead). */
  clientKeyAt(slot: number): number | undefined {
    const b = slot * U.Size;
    return this.u32[b + U.Version] === 4 ? this.u32[b + U.A0]! : undefined;
  }

  /** IPv4 connections: the responder's address word × 65536 + port; else undefined. */
  serverKeyAt(slot: number): number | undefined {
    const b = slot * U.Size;
    return this.u32[b + U.Version] === 4 ? this.u32[b + U.B0]! * 65536 + this.u32[b + U.PortB]! : undefined;
  }

  /** witnessHash (src/analysis/witnesses.ts) of an IPv4 connection's keys, from its numbers. */
  witnessHashAt(slot: number): number {
    const b = slot * U.Size;
    return witnessHashOf(this.u32[b + U.A0]!, this.u32[b + U.B0]!, this.u32[b + U.PortB]!);
  }

  natLinkedAt(slot: number): boolean {
    return (this.u32[slot * U.Size + U.Bits]! & CB.NatLinked) !== 0;
  }

  /** Marks a held connection as one half of a NAT link (it is then never plainly healthy). */
  markNatLinked(slot: number): void {
    this.u32[slot * U.Size + U.Bits] |= CB.NatLinked;
  }

  /** Direction dir's ISN, or -1 when it sent no SYN. */
  isnAt(slot: number, dir: Dir): number {
    const d = slot * U.Size + U.Dir0 + dir * DU.Size;
    return (this.u32[d + DU.Bits]! & DB.SynSeen) !== 0 ? this.u32[d + DU.Isn]! : -1;
  }

  /** The record already made for a held slot, if any. */
  existingHandle(slot: number): ConnectionRecord | undefined {
    return this.handles[slot];
  }

  /**
   * Endpoint `sideA` (true: side A, the originator) of slot a equals endpoint `sideB` of slot b:
   * same version, address and port.
   */
  sameEndpoint(a: number, sideA: boolean, b: number, sideB: boolean): boolean {
    const u = this.u32;
    const ba = a * U.Size;
    const bb = b * U.Size;
    if (u[ba + U.Version] !== u[bb + U.Version]) return false;
    if (u[ba + (sideA ? U.PortA : U.PortB)] !== u[bb + (sideB ? U.PortA : U.PortB)]) return false;
    const words = u[ba + U.Version] === 4 ? 1 : 4;
    const oa = ba + (sideA ? U.A0 : U.B0);
    const ob = bb + (sideB ? U.A0 : U.B0);
    for (let i = 0; i < words; i++) if (u[oa + i] !== u[ob + i]) return false;
    return true;
  }

  /**
   * The record of a held connection, made on first request and brought up to date with the
   * table's numbers on each. From then on the connection's evidence lives in the record's log.
   */
  handleOf(slot: number): ConnectionRecord {
    let h = this.handles[slot];
    const u = this.u32;
    const b = slot * U.Size;
    if (h === undefined) {
      const version = u[b + U.Version] as 4 | 6;
      const orig = endpointOf(u, b + U.A0, version, u[b + U.PortA]!, false);
      const resp = endpointOf(u, b + U.B0, version, u[b + U.PortB]!, true);
      h = new ConnectionRecord(u[b + U.Id]!, orig, resp, this.promote(slot), u[b + U.OrigKey]! | 0, u[b + U.RespKey]! | 0,
        version === 4 ? u[b + U.A0]! : orig.addr, version === 4 ? u[b + U.B0]! * 65536 + u[b + U.PortB]! : resp.text);
      this.handles[slot] = h;
    }
    this.sync(slot, h);
    return h;
  }

  /**
   * A released connection's stub for the pipeline's witnesses: its numbers and endpoints, no
   * evidence, no links (what a rule may cite about a healthy connection).
   */
  stubOf(slot: number): Connection {
    const u = this.u32;
    const b = slot * U.Size;
    const version = u[b + U.Version] as 4 | 6;
    const stub: Connection = {
      id: u[b + U.Id]!, orig: endpointOf(u, b + U.A0, version, u[b + U.PortA]!, false),
      resp: endpointOf(u, b + U.B0, version, u[b + U.PortB]!, true), originKnown: false, firstFrame: 0, lastFrame: 0,
      firstSec: 0, firstNsec: 0, lastSec: 0, lastNsec: 0, firstT: 0, lastT: 0, dirs: [newDir(), newDir()], history: '',
      events: [], droppedEvents: 0, maxIdle: 0, maxIdleFrame: 0, established: false, establishedT: NaN, natPeer: null,
      natRole: null, findingIds: [],
    };
    this.sync(slot, stub);
    return stub;
  }

  /** Copies the slot's numbers into its record (or stub). */
  private sync(slot: number, h: Connection): void {
    const u = this.u32;
    const f = this.f64;
    const b = slot * U.Size;
    const fb = slot * F.Size;
    const bits = u[b + U.Bits]!;
    h.originKnown = (bits & CB.OriginKnown) !== 0;
    h.firstFrame = u[b + U.FirstFrame]!;
    h.lastFrame = u[b + U.LastFrame]!;
    h.firstSec = f[fb + F.FirstSec]!;
    h.firstNsec = u[b + U.FirstNsec]!;
    h.lastSec = f[fb + F.LastSec]!;
    h.lastNsec = u[b + U.LastNsec]!;
    h.firstT = f[fb + F.FirstT]!;
    h.lastT = f[fb + F.LastT]!;
    h.history = this.historyOf(slot);
    h.droppedEvents = u[b + U.Dropped]!;
    h.maxIdle = f[fb + F.MaxIdle]!;
    h.maxIdleFrame = u[b + U.MaxIdleFrame]!;
    h.established = (bits & CB.Established) !== 0;
    h.establishedT = f[fb + F.EstablishedT]!;
    for (let dir = 0; dir < 2; dir++) {
      const d = h.dirs[dir]!;
      const o = b + U.Dir0 + dir * DU.Size;
      const fo = fb + F.Dir0 + dir * FD.Size;
      const db = u[o + DU.Bits]!;
      d.packets = f[fo + FD.Packets]!;
      d.payloadBytes = f[fo + FD.PayloadBytes]!;
      d.ipBytes = f[fo + FD.IpBytes]!;
      d.synSeen = (db & DB.SynSeen) !== 0;
      d.isn = d.synSeen ? u[o + DU.Isn]! : -1;
      d.synTsVal = u[o + DU.SynTsVal]!;
      d.synHasTs = (db & DB.SynHasTs) !== 0;
      d.synAckSeen = (db & DB.SynAckSeen) !== 0;
      d.synAckAck = d.synAckSeen ? u[o + DU.SynAckAck]! : -1;
      d.synAckTsEcr = (db & DB.SynAckHasTs) !== 0 ? u[o + DU.SynAckTsEcr]! : -1;
      d.synFrame = u[o + DU.SynFrame]!;
      d.finSeen = (db & DB.FinSeen) !== 0;
      d.rstSeen = (db & DB.RstSeen) !== 0;
      d.nextSeq = (db & DB.NextSeqValid) !== 0 ? u[o + DU.NextSeq]! : -1;
      d.lastAck = (db & DB.LastAckValid) !== 0 ? u[o + DU.LastAck]! : -1;
      d.retransmits = u[o + DU.Retransmits]!;
      d.duplicates = u[o + DU.Duplicates]!;
      d.synRetransmits = u[o + DU.SynRetransmits]!;
      d.minTtl = u[o + DU.MinTtl]!;
      d.maxTtl = u[o + DU.MaxTtl]! | 0;
      d.lastT = f[fo + FD.LastT]!;
      d.lastDataT = f[fo + FD.LastDataT]!;
    }
  }

  /** The Zeek-style history string from the slot's letter sequence. */
  private historyOf(slot: number): string {
    const b = slot * U.Size;
    const n = this.u32[b + U.HistoryLen]!;
    let out = '';
    for (let i = 0; i < n; i++) {
      const word = i < 8 ? this.u32[b + U.HistoryLo]! : this.u32[b + U.HistoryHi]!;
      const k = (word >>> ((i & 7) * 4)) & 15;
      out += k < 8 ? HISTORY_UPPER[k]! : HISTORY_LETTERS[k - 8]!;
    }
    return out;
  }

  /** Feed one decoded packet. */
  observe(p: Packet, frame: Frame): void {
    if (p.ipVersion === 0) return;
    if (p.transport === Transport.Tcp) this.observeTcp(p, frame);
    else if (p.transport === Transport.IcmpError) this.observeIcmp(p, frame);
  }

  /** Retire everything still held (end of capture), each with a record, in order of first packet. */
  finish(): void {
    const all: number[] = [];
    for (let s = this.idleHead; s !== 0; s = this.u32[(s - 1) * U.Size + U.Next]!) all.push(s - 1);
    for (let s = this.activeHead; s !== 0; s = this.u32[(s - 1) * U.Size + U.Next]!) all.push(s - 1);
    all.sort((a, b) => this.u32[a * U.Size + U.Id]! - this.u32[b * U.Size + U.Id]!);
    for (const s of all) this.retire(s, true);
  }

  /** The held slot of the 4-tuple in srcWords/dstWords and the ports, either way round; sets `srcIsA`. */
  private find(version: number, srcPort: number, dstPort: number, hash: number): number {
    const u = this.u32;
    const words = version === 4 ? 1 : 4;
    for (let s = this.heads[hash & this.mask]!; s !== 0; s = u[(s - 1) * U.Size + U.Chain]!) {
      const b = (s - 1) * U.Size;
      if (u[b + U.Hash] !== hash || u[b + U.Version] !== version) continue;
      if (u[b + U.PortA] === srcPort && u[b + U.PortB] === dstPort) {
        let same = true;
        for (let i = 0; i < words; i++) {
          if (u[b + U.A0 + i] !== srcWords[i] || u[b + U.B0 + i] !== dstWords[i]) {
            same = false;
            break;
          }
        }
        if (same) {
          this.srcIsA = true;
          return s - 1;
        }
      }
      if (u[b + U.PortA] === dstPort && u[b + U.PortB] === srcPort) {
        let same = true;
        for (let i = 0; i < words; i++) {
          if (u[b + U.A0 + i] !== dstWords[i] || u[b + U.B0 + i] !== srcWords[i]) {
            same = false;
            break;
          }
        }
        if (same) {
          this.srcIsA = false;
          return s - 1;
        }
      }
    }
    return -1;
  }

  private unlinkBucket(slot: number): void {
    const u = this.u32;
    const k = u[slot * U.Size + U.Hash]! & this.mask;
    let s = this.heads[k]!;
    if (s === slot + 1) {
      this.heads[k] = u[slot * U.Size + U.Chain]!;
      return;
    }
    while (s !== 0) {
      const next = u[(s - 1) * U.Size + U.Chain]!;
      if (next === slot + 1) {
        u[(s - 1) * U.Size + U.Chain] = u[slot * U.Size + U.Chain]!;
        return;
      }
      s = next;
    }
  }

  // Recency lists: `idle` selects the idle list.
  private listPush(slot: number, idle: boolean): void {
    const u = this.u32;
    const b = slot * U.Size;
    const tail = idle ? this.idleTail : this.activeTail;
    u[b + U.Prev] = tail;
    u[b + U.Next] = 0;
    if (tail !== 0) u[(tail - 1) * U.Size + U.Next] = slot + 1;
    else if (idle) this.idleHead = slot + 1;
    else this.activeHead = slot + 1;
    if (idle) {
      this.idleTail = slot + 1;
      this.idleSize++;
    } else {
      this.activeTail = slot + 1;
      this.activeSize++;
    }
  }

  private listRemove(slot: number, idle: boolean): void {
    const u = this.u32;
    const b = slot * U.Size;
    const prev = u[b + U.Prev]!;
    const next = u[b + U.Next]!;
    if (prev !== 0) u[(prev - 1) * U.Size + U.Next] = next;
    else if (idle) this.idleHead = next;
    else this.activeHead = next;
    if (next !== 0) u[(next - 1) * U.Size + U.Prev] = prev;
    else if (idle) this.idleTail = prev;
    else this.activeTail = prev;
    u[b + U.Prev] = 0;
    u[b + U.Next] = 0;
    if (idle) this.idleSize--;
    else this.activeSize--;
  }

  /**
   * Plainly healthy: no rule can fire on it (see FlowTableOptions.releaseHealthy). The same test
   * as plainlyHealthy() in src/analysis/analyze.ts, on the slot's numbers: change both together.
   */
  private plainlyHealthy(slot: number): boolean {
    const u = this.u32;
    const b = slot * U.Size;
    const bits = u[b + U.Bits]!;
    if ((bits & CB.Established) === 0 || (bits & CB.NatLinked) !== 0) return false;
    if (((u[b + U.Dir0 + DU.Bits]! | u[b + U.Dir0 + DU.Size + DU.Bits]!) & DB.RstSeen) !== 0) return false;
    if (u[b + U.Dir0 + DU.SynRetransmits] !== 0) return false;
    if ((u[b + U.HistoryBits]! & HISTORY_ICMP) !== 0) return false;
    return this.f64[slot * F.Size + F.MaxIdle]! < 10;
  }

  private retire(slot: number, mayRelease: boolean): void {
    const u = this.u32;
    const b = slot * U.Size;
    this.unlinkBucket(slot);
    const bits = u[b + U.Bits]!;
    this.countEndpoint(u[b + U.OrigKey]! | 0, -1);
    if ((bits & CB.CountedResp) !== 0) this.countEndpoint(u[b + U.RespKey]! | 0, -1);
    this.listRemove(slot, (bits & CB.Idle) !== 0);
    if (mayRelease && this.releaseHealthy !== undefined && this.handles[slot] === undefined && this.plainlyHealthy(slot) &&
      this.releaseHealthy(slot)) {
      this.releasedHealthy++;
      this.free(slot);
      return;
    }
    const rec = this.handleOf(slot);
    this.free(slot);
    this.onRetire?.(rec);
  }

  private free(slot: number): void {
    const b = slot * U.Size;
    this.u32[b + U.Id] = 0;
    this.handles[slot] = undefined;
    this.logs[slot] = undefined;
    this.u32[b + U.Chain] = this.freeHead;
    this.freeHead = slot + 1;
  }

  private allocate(): number {
    if (this.freeHead !== 0) {
      const slot = this.freeHead - 1;
      this.freeHead = this.u32[slot * U.Size + U.Chain]!;
      return slot;
    }
    if (this.fresh === this.capacity) this.grow(this.capacity * 2);
    return this.fresh++;
  }

  private create(p: Packet, frame: Frame, hash: number): number {
    const t = this.now;
    const slot = this.allocate();
    const u = this.u32;
    const f = this.f64;
    const b = slot * U.Size;
    const fb = slot * F.Size;
    // Loops, not fill(): a builtin call costs more than these few stores.
    for (let i = b; i < b + U.Size; i++) u[i] = 0;
    for (let i = fb; i < fb + F.Size; i++) f[i] = 0;
    const version = p.ipVersion as 4 | 6;
    const words = version === 4 ? 1 : 4;
    // A SYN-ACK seen first means the responder spoke first in the capture: the originator is
    // the SYN-ACK's destination.
    const synAck = (p.flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK);
    const srcIsA = !synAck;
    const a = srcIsA ? srcWords : dstWords;
    const bw = srcIsA ? dstWords : srcWords;
    for (let i = 0; i < words; i++) {
      u[b + U.A0 + i] = a[i]!;
      u[b + U.B0 + i] = bw[i]!;
    }
    const portA = srcIsA ? p.srcPort : p.dstPort;
    const portB = srcIsA ? p.dstPort : p.srcPort;
    const id = this.nextId++;
    u[b + U.Id] = id;
    u[b + U.PortA] = portA;
    u[b + U.PortB] = portB;
    u[b + U.Version] = version;
    u[b + U.Hash] = hash;
    u[b + U.FirstFrame] = frame.frameNumber;
    u[b + U.LastFrame] = frame.frameNumber;
    u[b + U.FirstNsec] = frame.tsNsec;
    u[b + U.LastNsec] = frame.tsNsec;
    f[fb + F.FirstSec] = frame.tsSec;
    f[fb + F.LastSec] = frame.tsSec;
    f[fb + F.FirstT] = t;
    f[fb + F.LastT] = t;
    f[fb + F.EstablishedT] = NaN;
    const origKey = endpointKey(u, b + U.A0, words, portA);
    const respKey = endpointKey(u, b + U.B0, words, portB);
    u[b + U.OrigKey] = origKey;
    u[b + U.RespKey] = respKey;
    let bits = 0;
    if ((p.flags & TcpFlag.SYN) !== 0) bits |= CB.OriginKnown;
    for (let dir = 0; dir < 2; dir++) u[b + U.Dir0 + dir * DU.Size + DU.MinTtl] = 256;
    for (let dir = 0; dir < 2; dir++) u[b + U.Dir0 + dir * DU.Size + DU.MaxTtl] = -1 >>> 0;
    const k = hash & this.mask;
    u[b + U.Chain] = this.heads[k]!;
    this.heads[k] = slot + 1;
    this.listPush(slot, false);
    this.total++;
    this.countEndpoint(origKey, 1);
    // Both endpoints are counted for a connection whose originator is a guess (no SYN seen).
    if ((bits & CB.OriginKnown) === 0) {
      bits |= CB.CountedResp;
      this.countEndpoint(respKey, 1);
    }
    u[b + U.Bits] = bits;
    return slot;
  }

  private sweep(t: number): void {
    // Retire finished or long-quiet connections so memory stays bounded on long captures. The
    // recency lists are ordered by last packet: stop at the first connection not yet due.
    this.lastSweepT = t;
    const u = this.u32;
    for (let s = this.activeHead; s !== 0 && t - this.f64[(s - 1) * F.Size + F.LastT]! > this.retireAfter; s = this.activeHead) {
      const slot = s - 1;
      const b = slot * U.Size;
      const b0 = u[b + U.Dir0 + DU.Bits]!;
      const b1 = u[b + U.Dir0 + DU.Size + DU.Bits]!;
      const done = ((b0 | b1) & DB.RstSeen) !== 0 || ((b0 & b1 & DB.FinSeen) !== 0);
      // A connection attempt that never got anywhere (no SYN-ACK, no data) is over once quiet:
      // a SYN flood must not stay held for the idle hour.
      const fb = slot * F.Size + F.Dir0;
      const deadAttempt = (b1 & DB.SynAckSeen) === 0 && this.f64[fb + FD.PayloadBytes] === 0 &&
        this.f64[fb + FD.Size + FD.PayloadBytes] === 0;
      if (done || deadAttempt) this.retire(slot, true);
      else {
        this.listRemove(slot, false);
        u[b + U.Bits] |= CB.Idle;
        this.listPush(slot, true);
      }
    }
    for (let s = this.idleHead; s !== 0 && t - this.f64[(s - 1) * F.Size + F.LastT]! > this.idleRetireAfter; s = this.idleHead) {
      this.retire(s - 1, true);
    }
  }

  private evictOldest(): void {
    // Past the bound: retire the longest-quiet connection still held.
    const a = this.idleHead;
    const b = this.activeHead;
    const f = this.f64;
    const oldest = a === 0 ? b : b === 0 ? a : f[(a - 1) * F.Size + F.LastT]! <= f[(b - 1) * F.Size + F.LastT]! ? a : b;
    if (oldest !== 0) {
      this.evictions++;
      this.retire(oldest - 1, true);
    }
  }

  /** A packet for the slot: it becomes the most recently active. */
  private touch(slot: number): void {
    const b = slot * U.Size;
    const bits = this.u32[b + U.Bits]!;
    if ((bits & CB.Idle) !== 0) {
      this.listRemove(slot, true);
      this.u32[b + U.Bits] = bits & ~CB.Idle;
      this.listPush(slot, false);
    } else if (this.activeTail !== slot + 1) {
      this.listRemove(slot, false);
      this.listPush(slot, false);
    }
  }

  private observeTcp(p: Packet, frame: Frame): void {
    this.tcpPackets++;
    const t = frame.tsSec + frame.tsNsec / 1e9;
    this.now = t;
    if (t - this.lastSweepT > SWEEP_EVERY) this.sweep(t);
    const words = p.ipVersion === 4 ? 1 : 4;
    loadWords(srcWords, p.src, words);
    loadWords(dstWords, p.dst, words);
    const hash = hashTuple(words, p.srcPort, p.dstPort);
    let slot = this.find(p.ipVersion, p.srcPort, p.dstPort, hash);
    let srcIsA = this.srcIsA;
    const isSyn = (p.flags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN;
    if (slot >= 0 && isSyn && srcIsA) {
      // A new SYN with a different ISN on a finished tuple is a new connection (port reuse).
      const u = this.u32;
      const b = slot * U.Size;
      const b0 = u[b + U.Dir0 + DU.Bits]!;
      const b1 = u[b + U.Dir0 + DU.Size + DU.Bits]!;
      const finished = ((b0 | b1) & DB.RstSeen) !== 0 || ((b0 & b1 & DB.FinSeen) !== 0);
      if ((b0 & DB.SynSeen) !== 0 && u[b + U.Dir0 + DU.Isn] !== p.seq && (finished || (u[b + U.Bits]! & CB.Established) !== 0)) {
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
    } else this.touch(slot);
    this.update(slot, srcIsA ? 0 : 1, p, frame);
  }

  private isCopy(slot: number, dir: Dir, p: Packet): number {
    const t = this.now;
    // The same packet seen again on another interface: identical TCP header fields and IP ID
    // (or TSval for IPv6) within a few milliseconds. Returns the ring index matched, or -1.
    const ring = this.ring;
    const base = slot * 2 * RING + dir * RING;
    const timeBase = slot * 2 * RECENT + dir * RECENT;
    const flags = p.flags | (p.hasTimestamps ? 1 << 9 : 0);
    const tsVal = p.hasTimestamps ? p.tsVal | 0 : 0;
    const filled = this.u32[slot * U.Size + (dir === 0 ? U.RecentFill0 : U.RecentFill1)]!;
    for (let i = 0; i < filled; i++) {
      if (t - this.ringTime[timeBase + i]! > COPY_WINDOW) continue;
      const o = base + i * Sig.Size;
      if (ring[o + Sig.Seq] === (p.seq | 0) && ring[o + Sig.Ack] === (p.ack | 0) && ring[o + Sig.Flags] === flags &&
        ring[o + Sig.Len] === p.payloadLength && ring[o + Sig.IpId] === p.ipId && ring[o + Sig.TsVal] === tsVal) {
        return i;
      }
    }
    return -1;
  }

  private remember(slot: number, dir: Dir, p: Packet, eventIndex: number): void {
    const t = this.now;
    const u = this.u32;
    const posField = slot * U.Size + (dir === 0 ? U.RecentPos0 : U.RecentPos1);
    const pos = u[posField]!;
    const o = slot * 2 * RING + dir * RING + pos * Sig.Size;
    const ring = this.ring;
    ring[o + Sig.Seq] = p.seq;
    ring[o + Sig.Ack] = p.ack;
    ring[o + Sig.Flags] = p.flags | (p.hasTimestamps ? 1 << 9 : 0);
    ring[o + Sig.Len] = p.payloadLength;
    ring[o + Sig.IpId] = p.ipId;
    ring[o + Sig.TsVal] = p.hasTimestamps ? p.tsVal : 0;
    ring[o + Sig.Event] = eventIndex;
    this.ringTime[slot * 2 * RECENT + dir * RECENT + pos] = t;
    u[posField] = pos + 1 === RECENT ? 0 : pos + 1;
    const fillField = slot * U.Size + (dir === 0 ? U.RecentFill0 : U.RecentFill1);
    if (u[fillField]! < RECENT) u[fillField]++;
  }

  private addHistory(slot: number, dir: Dir, letter: H): void {
    const u = this.u32;
    const b = slot * U.Size;
    const k = letter + (dir === 0 ? 0 : 8);
    const bit = 1 << k;
    const bits = u[b + U.HistoryBits]!;
    if ((bits & bit) !== 0) return;
    u[b + U.HistoryBits] = bits | bit;
    // Each (letter, direction) enters once: at most 16 letters, 4 bits each.
    const n = u[b + U.HistoryLen]!;
    const field = n < 8 ? U.HistoryLo : U.HistoryHi;
    u[b + field] = (u[b + field]! | (k << ((n & 7) * 4))) >>> 0;
    u[b + U.HistoryLen] = n + 1;
  }

  // --- evidence: inline in ev32/evSec until it moves to an EventLog ---

  private eventCount(slot: number): number {
    const log = this.logs[slot];
    return log === undefined ? this.u32[slot * U.Size + U.EventCount]! : log.length;
  }

  /** Moves the slot's evidence to an EventLog (kept for the rest of its life); returns it. */
  private promote(slot: number): EventLog {
    let log = this.logs[slot];
    if (log !== undefined) return log;
    log = new EventLog();
    const n = this.u32[slot * U.Size + U.EventCount]!;
    const e = this.ev32;
    for (let i = 0; i < n; i++) {
      const o = (slot * INLINE_EVENTS + i) * E.Size;
      const sec = this.evSec[slot * INLINE_EVENTS + i]!;
      const nsec = e[o + E.Nsec]!;
      const meta = e[o + E.Meta]!;
      log.push(e[o + E.Frame]!, sec, nsec, sec + nsec / 1e9, (meta & 1) as Dir, (meta >>> 1) & 511, e[o + E.Seq]!, e[o + E.Ack]!,
        e[o + E.Len]!, e[o + E.Window]!, e[o + E.Ttl]!, e[o + E.IpId1]! - 1, ((meta >>> 10) & 1) === 1, e[o + E.TsVal]!,
        e[o + E.TsEcr]!, ((meta >>> 11) & 1) === 1, -1, -1, null);
    }
    this.logs[slot] = log;
    return log;
  }

  private writeInline(slot: number, i: number, frame: Frame, dir: Dir, p: Packet, retransmit: boolean): void {
    const e = this.ev32;
    const o = (slot * INLINE_EVENTS + i) * E.Size;
    e[o + E.Frame] = frame.frameNumber;
    e[o + E.Nsec] = frame.tsNsec;
    e[o + E.Meta] = dir | (p.flags << 1) | (p.hasTimestamps ? 1 << 10 : 0) | (retransmit ? 1 << 11 : 0);
    e[o + E.Seq] = p.seq;
    e[o + E.Ack] = p.ack;
    e[o + E.Len] = p.payloadLength;
    e[o + E.Window] = p.window;
    e[o + E.Ttl] = p.ttl;
    e[o + E.IpId1] = p.ipId + 1;
    e[o + E.TsVal] = p.tsVal;
    e[o + E.TsEcr] = p.tsEcr;
    this.evSec[slot * INLINE_EVENTS + i] = frame.tsSec;
  }

  private pushEvent(slot: number, frame: Frame, dir: Dir, p: Packet, retransmit: boolean): number {
    const t = this.now;
    let log = this.logs[slot];
    if (log === undefined) {
      const countField = slot * U.Size + U.EventCount;
      const n = this.u32[countField]!;
      if (n < INLINE_EVENTS) {
        this.writeInline(slot, n, frame, dir, p, retransmit);
        this.u32[countField] = n + 1;
        return n;
      }
      log = this.promote(slot);
    }
    return log.push(frame.frameNumber, frame.tsSec, frame.tsNsec, t, dir, p.flags, p.seq, p.ack, p.payloadLength, p.window,
      p.ttl, p.ipId, p.hasTimestamps, p.tsVal, p.tsEcr, retransmit, -1, -1, null);
  }

  /** Replaces the last event if it is a routine one (the rolling "latest routine packet"); its index or -1. */
  private overwriteRoutine(slot: number, frame: Frame, dir: Dir, p: Packet, retransmit: boolean): number {
    const t = this.now;
    const notable = TcpFlag.SYN | TcpFlag.RST | TcpFlag.FIN;
    const log = this.logs[slot];
    if (log !== undefined) {
      const last = log.length - 1;
      if ((log.flagsAt(last) & notable) !== 0 || log.icmpTypeAt(last) >= 0) return -1;
      log.overwrite(last, frame.frameNumber, frame.tsSec, frame.tsNsec, t, dir, p.flags, p.seq, p.ack, p.payloadLength,
        p.window, p.ttl, p.ipId, p.hasTimestamps, p.tsVal, p.tsEcr, retransmit);
      return last;
    }
    const last = this.u32[slot * U.Size + U.EventCount]! - 1;
    const flags = (this.ev32[(slot * INLINE_EVENTS + last) * E.Size + E.Meta]! >>> 1) & 511;
    if ((flags & notable) !== 0) return -1;
    this.writeInline(slot, last, frame, dir, p, retransmit);
    return last;
  }

  private update(slot: number, dir: Dir, p: Packet, frame: Frame): void {
    const t = this.now;
    const u = this.u32;
    const f = this.f64;
    const b = slot * U.Size;
    const fb = slot * F.Size;
    const d = b + U.Dir0 + dir * DU.Size;
    const fd = fb + F.Dir0 + dir * FD.Size;
    const flags = p.flags;
    const copyAt = this.isCopy(slot, dir, p);
    if (copyAt >= 0) {
      u[d + DU.Duplicates]++;
      const evIndex = this.ring[slot * 2 * RING + dir * RING + copyAt * Sig.Size + Sig.Event]!;
      if (evIndex >= 0 && evIndex < this.eventCount(slot)) this.promote(slot).addCopy(evIndex, frame.frameNumber);
      u[b + U.LastFrame] = frame.frameNumber;
      return;
    }

    const syn = (flags & TcpFlag.SYN) !== 0;
    const ackf = (flags & TcpFlag.ACK) !== 0;
    const rst = (flags & TcpFlag.RST) !== 0;
    const fin = (flags & TcpFlag.FIN) !== 0;
    const len = p.payloadLength;
    let cbits = u[b + U.Bits]!;
    let dbits = u[d + DU.Bits]!;

    // Idle gap (after establishment): the silence before this packet.
    const lastT = f[fb + F.LastT]!;
    if ((cbits & CB.Established) !== 0 && lastT > 0) {
      const gap = t - lastT;
      if (gap > f[fb + F.MaxIdle]!) {
        f[fb + F.MaxIdle] = gap;
        u[b + U.MaxIdleFrame] = frame.frameNumber;
      }
    }

    let retransmit = false;
    const nextSeqValid = (dbits & DB.NextSeqValid) !== 0;
    if (syn) {
      if ((dbits & DB.SynSeen) !== 0 && u[d + DU.Isn] === p.seq) {
        retransmit = true;
        u[d + DU.SynRetransmits]++;
        u[d + DU.Retransmits]++;
      } else if ((dbits & DB.SynSeen) === 0) {
        dbits |= DB.SynSeen;
        u[d + DU.Isn] = p.seq;
        if (p.hasTimestamps) dbits |= DB.SynHasTs;
        u[d + DU.SynTsVal] = p.tsVal;
        u[d + DU.SynFrame] = frame.frameNumber;
        if (ackf) {
          dbits |= DB.SynAckSeen;
          u[d + DU.SynAckAck] = p.ack;
          if (p.hasTimestamps) {
            dbits |= DB.SynAckHasTs;
            u[d + DU.SynAckTsEcr] = p.tsEcr;
          }
        }
      }
      // The hook reads the table (the SYN's ISN): store this direction's state first.
      u[d + DU.Bits] = dbits;
      if (!retransmit && this.onHandshake !== undefined) {
        this.onHandshake(slot, dir, p, t, frame.frameNumber);
        // The hook may have marked the slot (a NAT link).
        cbits = u[b + U.Bits]!;
      }
      if ((cbits & CB.OriginKnown) === 0 && !ackf && dir === 0) {
        cbits |= CB.OriginKnown;
        const h = this.handles[slot];
        if (h !== undefined) h.originKnown = true;
      }
    } else if (len > 0 && nextSeqValid && seqDiff(p.seq + len, u[d + DU.NextSeq]!) <= 0) {
      retransmit = true;
      u[d + DU.Retransmits]++;
    } else if (fin && (dbits & DB.FinSeen) !== 0 && nextSeqValid && seqDiff(p.seq + 1, u[d + DU.NextSeq]!) <= 0) {
      retransmit = true;
      u[d + DU.Retransmits]++;
    }

    const end = (p.seq + len + (syn ? 1 : 0) + (fin ? 1 : 0)) >>> 0;
    if (!rst && (!nextSeqValid || seqDiff(end, u[d + DU.NextSeq]!) > 0)) {
      u[d + DU.NextSeq] = end;
      dbits |= DB.NextSeqValid;
    }
    if (ackf) {
      u[d + DU.LastAck] = p.ack;
      dbits |= DB.LastAckValid;
    }
    if (fin) dbits |= DB.FinSeen;
    if (rst) {
      dbits |= DB.RstSeen;
      this.resets++;
    }
    u[d + DU.Bits] = dbits;
    f[fd + FD.Packets]++;
    f[fd + FD.PayloadBytes] += len;
    f[fd + FD.IpBytes] += p.ipLength;
    if (p.ttl < u[d + DU.MinTtl]!) u[d + DU.MinTtl] = p.ttl;
    if (p.ttl > (u[d + DU.MaxTtl]! | 0)) u[d + DU.MaxTtl] = p.ttl;
    f[fd + FD.LastT] = t;
    if (len > 0 || syn || fin) f[fd + FD.LastDataT] = t;

    // Handshake completion: the originator acks the responder's ISN + 1.
    if ((cbits & CB.Established) === 0 && dir === 0 && ackf && !syn && !rst) {
      const r = b + U.Dir0 + DU.Size;
      const rbits = u[r + DU.Bits]!;
      if ((rbits & DB.SynSeen) !== 0 && (rbits & DB.SynAckSeen) !== 0 && p.ack === ((u[r + DU.Isn]! + 1) >>> 0)) {
        cbits |= CB.Established;
        f[fb + F.EstablishedT] = t;
      }
    }
    u[b + U.Bits] = cbits;

    // History letters (Zeek): s h a d f r t, first occurrence per direction.
    if (syn && !ackf) this.addHistory(slot, dir, H.S);
    else if (syn && ackf) this.addHistory(slot, dir, H.H);
    if (rst) this.addHistory(slot, dir, H.R);
    if (fin) this.addHistory(slot, dir, H.F);
    if (len > 0) this.addHistory(slot, dir, H.D);
    else if (ackf && !syn && !fin && !rst) this.addHistory(slot, dir, H.A);
    if (retransmit && len > 0) this.addHistory(slot, dir, H.T);

    f[fb + F.LastT] = t;
    u[b + U.LastFrame] = frame.frameNumber;
    f[fb + F.LastSec] = frame.tsSec;
    u[b + U.LastNsec] = frame.tsNsec;

    // Packets after a RST are evidence too (data continuing after a forged RST, segments answered
    // by a "no such connection" RST), however long the connection was before it.
    const anyRst = ((u[b + U.Dir0 + DU.Bits]! | u[b + U.Dir0 + DU.Size + DU.Bits]!) & DB.RstSeen) !== 0;
    const notable = syn || rst || fin || anyRst;
    let eventIndex = -1;
    const count = this.eventCount(slot);
    if (count < MAX_ROUTINE_EVENTS || (notable && count < MAX_EVENTS)) {
      eventIndex = this.pushEvent(slot, frame, dir, p, retransmit);
    } else {
      u[b + U.Dropped]++;
      // Keep the most recent routine packet in view: overwrite the last routine slot.
      if (!notable && count >= MAX_ROUTINE_EVENTS) eventIndex = this.overwriteRoutine(slot, frame, dir, p, retransmit);
    }
    this.remember(slot, dir, p, eventIndex);
  }

  private observeIcmp(p: Packet, frame: Frame): void {
    this.icmpErrors++;
    if (p.innerProtocol !== 6 || p.innerSrcPort < 0 || p.innerIpVersion === 0) {
      this.icmpUntied++;
      return;
    }
    // The embedded header is the offending packet: inner src → inner dst. Look it up.
    const words = p.innerIpVersion === 4 ? 1 : 4;
    loadWords(srcWords, p.innerSrc, words);
    loadWords(dstWords, p.innerDst, words);
    const slot = this.find(p.innerIpVersion, p.innerSrcPort, p.innerDstPort, hashTuple(words, p.innerSrcPort, p.innerDstPort));
    if (slot < 0) {
      this.icmpUntied++;
      return;
    }
    const t = frame.tsSec + frame.tsNsec / 1e9;
    // The error travels against the offending packet's direction.
    const dir: Dir = this.srcIsA ? 1 : 0;
    this.touch(slot);
    const sender = formatAddress(p.src, p.ipVersion as 4 | 6);
    const log = this.promote(slot);
    // The same ICMP error seen on several interfaces is one error.
    const events = log.events;
    for (let i = events.length - 1; i >= 0 && i >= events.length - 4; i--) {
      const ev = events[i]!;
      if (ev.icmpType === p.icmpType && ev.icmpCode === p.icmpCode && ev.icmpSender === sender &&
        ev.seq === p.innerSeq && t - ev.t <= COPY_WINDOW) {
        log.addCopy(i, frame.frameNumber);
        return;
      }
    }
    const b = slot * U.Size;
    if (log.length < MAX_EVENTS) {
      log.push(frame.frameNumber, frame.tsSec, frame.tsNsec, t, dir, 0, p.innerSeq, 0, 0, 0, p.ttl, p.ipId, false, 0, 0, false,
        p.icmpType, p.icmpCode, sender);
    } else this.u32[b + U.Dropped]++;
    this.addHistory(slot, dir, H.U);
    this.f64[slot * F.Size + F.LastT] = t;
    this.u32[b + U.LastFrame] = frame.frameNumber;
    this.f64[slot * F.Size + F.LastSec] = frame.tsSec;
    this.u32[b + U.LastNsec] = frame.tsNsec;
  }
}

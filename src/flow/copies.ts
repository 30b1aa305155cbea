import { TcpFlag, type Packet } from '../decode/packet.js';
import type { Dir } from './types.js';
import { PartWord, type ConnSlots } from './slots.js';
import { ChainedRing, OWN_CHAIN, RingWord } from './chained-ring.js';

/** A copy of a packet on another interface of `-i any` arrives within this many seconds. */
export const COPY_WINDOW = 0.05;
/** A packet seen again at the same point with a TTL lower by 1..MAX_HOPS is the same packet a few hops further. */
const MAX_HOPS = 4;
/** How many recent packets per direction are compared with a new one (the last RECENT remembered). */
const RECENT = 6;
const INITIAL_ENTRIES = 4096;

/**
 * One remembered packet, in 32-bit words: the ring's words (chained-ring.ts), its doubles (8-byte
 * aligned: Size is even), then its words.
 */
const enum Entry {
  Number = RingWord.Number,
  Older = RingWord.Older,
  /** Capture seconds (double). */
  Time = RingWord.Fields,
  /**
   * The latest capture time of this entry and every older one (double): a lookup stops at the
   * first entry whose MaxTime is past the window, since nothing older can be within it (exact
   * also when the capture's clock steps back).
   */
  MaxTime = Time + 2,
  /**
   * slot × 2 + direction, and the connection's id (a slot is reused by later connections): a
   * direction's chain holds only its own entries, these are checked against a newest entry
   * misread from its number's 32 bits (PartWord.CopyNewest), 2^32 entries later.
   */
  Key = MaxTime + 2,
  Conn,
  /** The direction's count of remembered packets before this one (PartWord.CopyCount). */
  Nth,
  Seq,
  Ack,
  /** TCP flags | has timestamps << 9 */
  Flags,
  Len,
  IpId,
  TsVal,
  /** Index of the evidence event the packet became, or -1. */
  Event,
  /** Where the packet was seen (Packet.capturePoint: interface, direction — lo's two copies share an index —, VLAN). */
  Point,
  /** TTL: a little lower at a later hop of the same path (a higher one is another sender). */
  Ttl,
  /** The other direction's count of remembered packets when this one was seen (PartWord.CopyCount). */
  PeerNth,
  /**
   * Deliveries of this packet past the first not yet answered apart: each time it is seen again at
   * its point a hop or few further (routed back onto the link it was bridged on, and so delivered
   * twice) one more, and one less for each identical answer of the peer counted apart.
   */
  Again,
  Size,
}

/** What an entry is to a packet with the same fields (Kind.None: no copy). */
const enum Kind {
  None = 0,
  /** Seen at another point, or where the capture names none. */
  Copy,
  /** Seen at the same point a hop or few earlier: the packet is a further delivery of the entry's. */
  Hop,
  /** Seen at the same point with the same TTL, nothing from the peer since: copy or second answer. */
  Repeat,
}

/** Kind.Repeat ranks after the other kinds: a repeat may be a second answer, a copy is one. */
function rank(kind: Kind): number {
  return kind === Kind.Repeat ? 1 : 0;
}

/**
 * Copy detection. The same packet seen again on another interface has identical TCP header fields
 * and IP ID (or TSval for IPv6) within a few milliseconds. A packet a hop or few further at the same
 * point (TTL lower by 1..MAX_HOPS) is a copy too; with a higher TTL it is another sender's (an
 * injected RST has its own TTL) and counts apart. Seen again at the same point with the same TTL and
 * nothing from the other direction in between, it is one packet captured twice (a SPAN port that
 * mirrors both ports of a link, a capture tool that duplicates frames) when its sender had one
 * reason to send it: a stack sends the same bytes again only on a timer (an RTO, a tail-loss probe:
 * it stamps a new IP ID, and a new TSval after a millisecond) or to answer a peer's packet each
 * time it arrives. So the repeat is merged when it answers nothing (a bare SYN) or answers the
 * peer's latest packet and that packet reached this point once; it counts apart (a second answer)
 * when the peer's packet was seen here again a hop further — delivered twice, bridged then routed
 * back onto the bridge: up to one identical answer per further delivery —, when the peer sent
 * nothing seen here (how often the answered packet arrived is unknown: a SYN-ACK answering a SYN
 * that reached the backend twice through a Service address the capture does not pair with it), and
 * after a packet of the peer (two bare RSTs answering two segments of a lost connection are alike,
 * IP ID 0 included). Linux cooked v1 names no interface, so there identical packets are always
 * taken for copies. A packet is compared with the last RECENT packets remembered in its
 * connection's direction that are within COPY_WINDOW.
 *
 * Every remembered packet goes into one ring in capture order, chained per connection direction,
 * newest first, the chain's head in the connection's row (PartWord.CopyNewest, beside the count the
 * packet reads anyway): no hash, no bucket array. Writing is sequential and the packets a lookup
 * reads are the latest ones (cached), where a ring per connection cost a cache miss per packet.
 * The ring doubles when the entry it would overwrite is still within COPY_WINDOW, so no comparable
 * entry is ever lost.
 */
export class CopyWindow extends ChainedRing {
  /** The latest capture time remembered (Entry.MaxTime of the newest entry). */
  private maxTime = -Infinity;
  /** The kind of the entry the last match with `copy` found. */
  private matchKind = Kind.None;
  /**
   * The current packet's capture time, set by the table. A field, not an argument: a double
   * passed to a method that is not inlined is boxed (allocated) at each call.
   */
  now = 0.5;

  /** Each direction's count of remembered packets lives in the connection's row (PartWord.CopyCount), zeroed with it. */
  constructor(private readonly conns: ConnSlots) {
    super(Entry.Size, 0, 1);
    this.resize(INITIAL_ENTRIES);
  }

  /** Every entry dropped (the table starts over). */
  clear(): void {
    this.maxTime = -Infinity;
    this.restart(INITIAL_ENTRIES);
  }

  protected bucketOf(): number {
    return OWN_CHAIN;
  }

  /**
   * The running number of direction dir's newest remembered packet, or -1 when it has none: from
   * the row's 32 bits of it, the latest number with those bits (the entry is checked where read).
   */
  private newest(slot: number, dir: Dir): number {
    const c = this.conns;
    if (c.word(slot, PartWord.CopyCount + dir) === 0) return -1;
    const last = this.count - 1;
    return last - (((last >>> 0) - c.word(slot, PartWord.CopyNewest + dir)) >>> 0);
  }

  /** Entry n is live (not overwritten) and the connection's (slot, direction key, id), or not. */
  private isOwn(o: number, n: number, key: number, conn: number): boolean {
    return this.doubles[(o + Entry.Number) >> 1] === n && this.words[o + Entry.Key] === key && this.words[o + Entry.Conn] === conn;
  }

  /** The entry at o has the packet's fields (all but the capture point and TTL), within COPY_WINDOW. */
  private sameFields(o: number, p: Packet): boolean {
    const w = this.words;
    if (this.now - this.doubles[(o + Entry.Time) >> 1]! > COPY_WINDOW) return false;
    return w[o + Entry.Seq] === (p.seq | 0) && w[o + Entry.Ack] === (p.ack | 0) &&
      w[o + Entry.Flags] === (p.flags | (p.hasTimestamps ? 1 << 9 : 0)) && w[o + Entry.Len] === p.payloadLength &&
      w[o + Entry.IpId] === p.ipId && w[o + Entry.TsVal] === (p.hasTimestamps ? p.tsVal | 0 : 0);
  }

  /**
   * What the entry at o is to the packet: same fields and seen at another point (Kind.Copy), a few
   * hops earlier (Kind.Hop), or at the same point with the same TTL and nothing from the peer since
   * (Kind.Repeat; `peerNth`: the other direction's count of remembered packets now).
   */
  private kindOf(o: number, p: Packet, peerNth: number): Kind {
    const w = this.words;
    if (!this.sameFields(o, p)) return Kind.None;
    if (w[o + Entry.Point] !== p.capturePoint || p.capturePoint === -1) return Kind.Copy;
    const hops = w[o + Entry.Ttl]! - p.ttl;
    if (hops > 0 && hops <= MAX_HOPS) return Kind.Hop;
    return hops === 0 && w[o + Entry.PeerNth] === peerNth ? Kind.Repeat : Kind.None;
  }

  /**
   * The entry of an earlier copy of this packet (sent now), or -1. A further delivery (Kind.Hop) is
   * counted on the entry; a repeat (Kind.Repeat) is a copy unless it may be a second answer.
   */
  find(slot: number, dir: Dir, p: Packet): number {
    if (p.unrepeated) return -1;
    const e = this.match(slot, dir, p, true);
    if (e < 0) return -1;
    const o = e * Entry.Size;
    const kind = this.matchKind;
    if (kind === Kind.Hop) this.words[o + Entry.Again]++;
    else if (kind === Kind.Repeat && (p.flags & (TcpFlag.SYN | TcpFlag.ACK)) !== TcpFlag.SYN) {
      // An answer: one of its own when the answered packet's deliveries here are unknown or not all answered.
      const peerNth = this.conns.word(slot, PartWord.CopyCount + 1 - dir);
      if (peerNth === 0) return -1;
      const q = this.latest(slot, (1 - dir) as Dir, peerNth);
      if (q >= 0 && this.words[q + Entry.Again]! > 0) {
        this.words[q + Entry.Again]--;
        return -1;
      }
    }
    return e;
  }

  /** Word offset of the entry of direction dir's latest remembered packet (its count is `nth`), or -1 if overwritten. */
  private latest(slot: number, dir: Dir, nth: number): number {
    const n = this.newest(slot, dir);
    if (n < 0) return -1;
    const o = this.at(n);
    return this.isOwn(o, n, slot * 2 + dir, this.conns.id(slot) | 0) && this.words[o + Entry.Nth] === nth - 1 ? o : -1;
  }

  /**
   * The packet repeats one just seen at the same point, every field alike (IP ID and TSval
   * included) within COPY_WINDOW: a duplicated frame, not a retransmission (a stack that
   * retransmits waits an RTO and stamps a new IP ID or TSval). Read only for repeated SYNs.
   */
  duplicateFrame(slot: number, dir: Dir, p: Packet): boolean {
    return !p.unrepeated && this.match(slot, dir, p, false) >= 0;
  }

  /**
   * Among the last RECENT packets the direction remembered, one with the packet's fields (`copy`:
   * and a copy of some kind, Kind.Copy or Kind.Hop before Kind.Repeat; its kind in matchKind), or
   * -1. Of several of a rank, the one a ring of RECENT per direction would come to first (the
   * lowest remembered count modulo RECENT).
   */
  private match(slot: number, dir: Dir, p: Packet, copy: boolean): number {
    const remembered = this.conns.word(slot, PartWord.CopyCount + dir);
    // The direction's first packet (a quarter of all): nothing to compare it with.
    if (remembered === 0) return -1;
    const peerNth = this.conns.word(slot, PartWord.CopyCount + 1 - dir);
    const key = slot * 2 + dir;
    const conn = this.conns.id(slot) | 0;
    let found = -1;
    let foundPos = RECENT;
    let foundKind = Kind.None;
    for (let n = this.newest(slot, dir); n >= 0;) {
      const o = this.at(n);
      // Overwritten, or this and every older entry before the window: the rest of the chain is older still.
      if (!this.isOwn(o, n, key, conn) || this.now - this.doubles[(o + Entry.MaxTime) >> 1]! > COPY_WINDOW) break;
      const nth = this.words[o + Entry.Nth]!;
      if (remembered - nth > RECENT) break;
      const pos = nth % RECENT;
      const kind = copy ? this.kindOf(o, p, peerNth) : this.sameFields(o, p) ? Kind.Copy : Kind.None;
      // A copy or a further delivery before a repeat; of one rank, the lowest position.
      if (kind !== Kind.None && (found < 0 || rank(kind) < rank(foundKind) || (rank(kind) === rank(foundKind) && pos < foundPos))) {
        found = n & this.mask;
        foundPos = pos;
        foundKind = kind;
      }
      n = this.doubles[(o + Entry.Older) >> 1]!;
    }
    this.matchKind = foundKind;
    return found;
  }

  /** The evidence event index remembered with entry e (from find). */
  eventAt(e: number): number {
    return this.words[e * Entry.Size + Entry.Event]!;
  }

  remember(slot: number, dir: Dir, p: Packet, eventIndex: number): void {
    const n = this.count;
    let o = this.at(n);
    // The entry about to be overwritten could still be compared: make room instead. (Not for one
    // from more than COPY_WINDOW in the future: a capture whose clock steps back would grow the ring
    // at each turn until it caught up.)
    if (this.overwrites(o, n) && Math.abs(this.now - this.doubles[(o + Entry.Time) >> 1]!) <= COPY_WINDOW) {
      this.resize(this.capacity * 2);
      o = this.at(n);
    }
    const c = this.conns;
    const nth = c.word(slot, PartWord.CopyCount + dir);
    const w = this.words;
    this.doubles[(o + Entry.Time) >> 1] = this.now;
    if (this.now > this.maxTime) this.maxTime = this.now;
    this.doubles[(o + Entry.MaxTime) >> 1] = this.maxTime;
    w[o + Entry.Key] = slot * 2 + dir;
    w[o + Entry.Conn] = c.id(slot);
    w[o + Entry.Nth] = nth;
    w[o + Entry.Seq] = p.seq;
    w[o + Entry.Ack] = p.ack;
    w[o + Entry.Flags] = p.flags | (p.hasTimestamps ? 1 << 9 : 0);
    w[o + Entry.Len] = p.payloadLength;
    w[o + Entry.IpId] = p.ipId;
    w[o + Entry.TsVal] = p.hasTimestamps ? p.tsVal : 0;
    w[o + Entry.Event] = eventIndex;
    w[o + Entry.Point] = p.capturePoint;
    w[o + Entry.Ttl] = p.ttl;
    w[o + Entry.PeerNth] = c.word(slot, PartWord.CopyCount + 1 - dir);
    w[o + Entry.Again] = 0;
    this.append(n, o, this.newest(slot, dir));
    c.setWord(slot, PartWord.CopyNewest + dir, n);
    c.setWord(slot, PartWord.CopyCount + dir, nth + 1);
  }
}

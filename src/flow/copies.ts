import type { Packet } from '../decode/packet.js';
import type { Dir } from './types.js';
import { PartWord, type ConnSlots } from './slots.js';
import { BlockPool, grownF64, grownI32 } from './block-pool.js';

/** A copy of a packet on another interface of `-i any` arrives within this many seconds. */
export const COPY_WINDOW = 0.05;
/** A packet seen again at the same point with a TTL lower by 1..MAX_HOPS is the same packet a few hops further. */
const MAX_HOPS = 4;
/** How many recent packets per direction are remembered for copy detection. */
const RECENT = 6;

/** One remembered packet's signature in a ring (32-bit cells); its time is kept apart. */
const enum Signature {
  Seq = 0,
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
  Size,
}
/**
 * Entries per direction in the slot's own part: a SYN flood's connection sends one packet. A ring
 * that needs more moves to a block of RECENT entries (its first ones copied in).
 */
const INLINE_RECENT = 1;
/** One direction's ring in a block (its position and fill are in the connection's row). */
const ROW = RECENT * Signature.Size;
const INLINE_ROW = INLINE_RECENT * Signature.Size;
const INITIAL_BLOCKS = 2048;

/**
 * Copy detection: per slot and direction (index slot × 2 + dir), a ring of the last RECENT
 * packets' signatures. The same packet seen again on another interface has identical TCP header
 * fields and IP ID (or TSval for IPv6) within a few milliseconds. Seen again at the same point
 * (same interface, direction and VLAN) and not a hop or few further (TTL lower by 1..MAX_HOPS), it
 * is no copy but a duplicated frame, a retransmission or another sender's packet (an injected RST
 * has its own TTL), and counts as one (as tshark and Zeek count it); Linux cooked v1 names no
 * interface, so there identical packets are still taken for copies.
 */
export class CopyRings {
  /** The inline entries, per slot and direction; the blocks' rings. */
  private rows = new Int32Array(0);
  private time = new Float64Array(0);
  private blockRows = new Int32Array(0);
  private blockTime = new Float64Array(0);
  private readonly blocks = new BlockPool(INITIAL_BLOCKS, (n) => {
    this.blockRows = grownI32(this.blockRows, n * ROW);
    this.blockTime = grownF64(this.blockTime, n * RECENT);
  });
  /** Where locate() found a ring: its arrays and its first entry's offsets in them. */
  private ring = this.rows;
  private times = this.time;
  private base = 0;
  private timeBase = 0;
  /**
   * The current packet's capture time, set by the table. A field, not an argument: a double
   * passed to a method that is not inlined is boxed (allocated) at each call.
   */
  now = 0.5;

  /** Each ring's position, fill and block live in the connection's row (PartWord.CopyPos, CopyFill, CopyBlock), zeroed with it. */
  constructor(private readonly conns: ConnSlots) {}

  grow(capacity: number): void {
    this.rows = grownI32(this.rows, capacity * 2 * INLINE_ROW);
    this.time = grownF64(this.time, capacity * 2 * INLINE_RECENT);
  }

  /** The slot is free: its blocks go back to the pool. */
  release(slot: number): void {
    for (let dir = 0; dir < 2; dir++) {
      const b = this.conns.word(slot, PartWord.CopyBlock + dir);
      if (b === 0) continue;
      this.blocks.give(b - 1);
      this.conns.setWord(slot, PartWord.CopyBlock + dir, 0);
    }
  }

  /** Sets ring, times, base and timeBase to the ring of slot × 2 + dir. */
  private locate(slot: number, dir: Dir): void {
    const b = this.conns.word(slot, PartWord.CopyBlock + dir);
    if (b === 0) {
      const sd = slot * 2 + dir;
      this.ring = this.rows;
      this.times = this.time;
      this.base = sd * INLINE_ROW;
      this.timeBase = sd * INLINE_RECENT;
    } else {
      this.ring = this.blockRows;
      this.times = this.blockTime;
      this.base = (b - 1) * ROW;
      this.timeBase = (b - 1) * RECENT;
    }
  }

  /** Moves a ring that is about to outgrow its inline entries to a block. */
  private spill(slot: number, dir: Dir): void {
    const b = this.blocks.take();
    const sd = slot * 2 + dir;
    for (let i = 0; i < INLINE_ROW; i++) this.blockRows[b * ROW + i] = this.rows[sd * INLINE_ROW + i]!;
    for (let i = 0; i < INLINE_RECENT; i++) this.blockTime[b * RECENT + i] = this.time[sd * INLINE_RECENT + i]!;
    this.conns.setWord(slot, PartWord.CopyBlock + dir, b + 1);
  }

  /** The ring entry of an earlier copy of this packet (sent now), or -1. */
  find(slot: number, dir: Dir, p: Packet): number {
    const t = this.now;
    this.locate(slot, dir);
    const ring = this.ring;
    const times = this.times;
    const base = this.base;
    const timeBase = this.timeBase;
    const flags = p.flags | (p.hasTimestamps ? 1 << 9 : 0);
    const tsVal = p.hasTimestamps ? p.tsVal | 0 : 0;
    const filled = this.conns.word(slot, PartWord.CopyFill + dir);
    for (let i = 0; i < filled; i++) {
      if (t - times[timeBase + i]! > COPY_WINDOW) continue;
      const o = base + i * Signature.Size;
      if (ring[o + Signature.Seq] === (p.seq | 0) && ring[o + Signature.Ack] === (p.ack | 0) && ring[o + Signature.Flags] === flags &&
        ring[o + Signature.Len] === p.payloadLength && ring[o + Signature.IpId] === p.ipId && ring[o + Signature.TsVal] === tsVal &&
        (ring[o + Signature.Point] !== p.capturePoint || p.capturePoint === -1 || ((ring[o + Signature.Ttl]! - p.ttl - 1) >>> 0) < MAX_HOPS)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The packet repeats one just seen at the same point, every field alike (IP ID and TSval
   * included) within COPY_WINDOW: a duplicated frame, not a retransmission (a stack that
   * retransmits waits an RTO and stamps a new IP ID or TSval). Read only for repeated SYNs.
   */
  duplicateFrame(slot: number, dir: Dir, p: Packet): boolean {
    const t = this.now;
    this.locate(slot, dir);
    const ring = this.ring;
    const flags = p.flags | (p.hasTimestamps ? 1 << 9 : 0);
    const tsVal = p.hasTimestamps ? p.tsVal | 0 : 0;
    const filled = this.conns.word(slot, PartWord.CopyFill + dir);
    for (let i = 0; i < filled; i++) {
      if (t - this.times[this.timeBase + i]! > COPY_WINDOW) continue;
      const o = this.base + i * Signature.Size;
      if (ring[o + Signature.Seq] === (p.seq | 0) && ring[o + Signature.Ack] === (p.ack | 0) && ring[o + Signature.Flags] === flags &&
        ring[o + Signature.Len] === p.payloadLength && ring[o + Signature.IpId] === p.ipId && ring[o + Signature.TsVal] === tsVal) return true;
    }
    return false;
  }

  /** The evidence event index remembered with entry i. */
  eventAt(slot: number, dir: Dir, i: number): number {
    this.locate(slot, dir);
    return this.ring[this.base + i * Signature.Size + Signature.Event]!;
  }

  remember(slot: number, dir: Dir, p: Packet, eventIndex: number): void {
    const t = this.now;
    const c = this.conns;
    const pos = c.word(slot, PartWord.CopyPos + dir);
    if (pos >= INLINE_RECENT && c.word(slot, PartWord.CopyBlock + dir) === 0) this.spill(slot, dir);
    this.locate(slot, dir);
    const ring = this.ring;
    const o = this.base + pos * Signature.Size;
    ring[o + Signature.Seq] = p.seq;
    ring[o + Signature.Ack] = p.ack;
    ring[o + Signature.Flags] = p.flags | (p.hasTimestamps ? 1 << 9 : 0);
    ring[o + Signature.Len] = p.payloadLength;
    ring[o + Signature.IpId] = p.ipId;
    ring[o + Signature.TsVal] = p.hasTimestamps ? p.tsVal : 0;
    ring[o + Signature.Event] = eventIndex;
    ring[o + Signature.Point] = p.capturePoint;
    ring[o + Signature.Ttl] = p.ttl;
    this.times[this.timeBase + pos] = t;
    c.setWord(slot, PartWord.CopyPos + dir, pos + 1 === RECENT ? 0 : pos + 1);
    const filled = c.word(slot, PartWord.CopyFill + dir);
    if (filled < RECENT) c.setWord(slot, PartWord.CopyFill + dir, filled + 1);
  }
}

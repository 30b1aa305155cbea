import type { Packet } from '../decode/packet.js';
import type { Dir } from './types.js';
import { InlineArea, PartWord, Row, type ConnSlots } from './slots.js';
import { BlockPool, resizedI32 } from './block-pool.js';

/** A copy of a packet on another interface of `-i any` arrives within this many seconds. */
export const COPY_WINDOW = 0.05;
/** A packet seen again at the same point with a TTL lower by 1..MAX_HOPS is the same packet a few hops further. */
const MAX_HOPS = 4;
/** How many recent packets per direction are remembered for copy detection. */
const RECENT = 6;

/**
 * One remembered packet in a ring: its signature in 32-bit cells, then its time as a double in
 * the two cells at Time (8-byte aligned: Size is even), so a comparison reads one entry's lines.
 */
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
  Time = Ttl + 2,
  Size = Time + 2,
}
/**
 * A ring's first INLINE_RECENT entries are in the connection's row (a SYN flood's connection sends
 * one packet); the others in a block of BLOCK_RECENT taken when the ring first needs one.
 */
const INLINE_RECENT = 1;
const BLOCK_RECENT = RECENT - INLINE_RECENT;
const INITIAL_BLOCKS = 2048;
if (2 * INLINE_RECENT * Signature.Size !== InlineArea.Copies) throw new Error('copies: the row\'s inline area does not fit INLINE_RECENT');

/**
 * Copy detection: per slot and direction, a ring of the last RECENT packets' signatures. The same
 * packet seen again on another interface has identical TCP header fields and IP ID (or TSval for
 * IPv6) within a few milliseconds. Seen again at the same point (same interface, direction and
 * VLAN) and not a hop or few further (TTL lower by 1..MAX_HOPS), it is no copy but a duplicated
 * frame, a retransmission or another sender's packet (an injected RST has its own TTL), and counts
 * as one (as tshark and Zeek count it); Linux cooked v1 names no interface, so there identical
 * packets are still taken for copies.
 *
 * An entry is Signature.Size words from its first, o; its time is the double at (o + Signature.Time) / 2
 * of the same memory seen as doubles. Entry i < INLINE_RECENT of a ring is in the row's inline
 * area (ConnSlots.i and .d, Row.Copies), the others in the ring's block (blockRows, blockTime).
 */
export class CopyRings {
  private blockRows = new Int32Array(0);
  private blockTime = new Float64Array(0);
  private readonly blocks = new BlockPool(INITIAL_BLOCKS, (n) => {
    this.blockRows = resizedI32(this.blockRows, n * BLOCK_RECENT * Signature.Size);
    this.blockTime = new Float64Array(this.blockRows.buffer);
  });
  /**
   * The current packet's capture time, set by the table. A field, not an argument: a double
   * passed to a method that is not inlined is boxed (allocated) at each call.
   */
  now = 0.5;

  /** Each ring's position, fill and block live in the connection's row (PartWord.CopyPos, CopyFill, CopyBlock), zeroed with it. */
  constructor(private readonly conns: ConnSlots) {}

  /** Every block dropped (the table starts over). */
  clear(): void {
    this.blocks.clear();
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

  /** The first word of the ring's entry 0 in the row. */
  private inlineAt(slot: number, dir: Dir): number {
    return slot * Row.Words + Row.Copies + dir * INLINE_RECENT * Signature.Size;
  }

  /** The first word of entry i ≥ INLINE_RECENT is blockAt(...) + i × Signature.Size in blockRows (its block taken already). */
  private blockAt(slot: number, dir: Dir): number {
    return ((this.conns.word(slot, PartWord.CopyBlock + dir) - 1) * BLOCK_RECENT - INLINE_RECENT) * Signature.Size;
  }

  /** Out of line: once per ring at most. */
  private takeBlock(slot: number, dir: Dir): void {
    this.conns.setWord(slot, PartWord.CopyBlock + dir, this.blocks.take() + 1);
  }

  /** The entry at o of `ring` (its time in `times`) has the packet's fields (all but the capture point and TTL). */
  private sameFields(ring: Int32Array, times: Float64Array, o: number, p: Packet): boolean {
    if (this.now - times[(o + Signature.Time) >> 1]! > COPY_WINDOW) return false;
    return ring[o + Signature.Seq] === (p.seq | 0) && ring[o + Signature.Ack] === (p.ack | 0) &&
      ring[o + Signature.Flags] === (p.flags | (p.hasTimestamps ? 1 << 9 : 0)) && ring[o + Signature.Len] === p.payloadLength &&
      ring[o + Signature.IpId] === p.ipId && ring[o + Signature.TsVal] === (p.hasTimestamps ? p.tsVal | 0 : 0);
  }

  /** The entry at o of `ring` is an earlier copy of the packet: same fields, seen at another point or a few hops earlier. */
  private copyOf(ring: Int32Array, times: Float64Array, o: number, p: Packet): boolean {
    return this.sameFields(ring, times, o, p) && (ring[o + Signature.Point] !== p.capturePoint || p.capturePoint === -1 ||
      ((ring[o + Signature.Ttl]! - p.ttl - 1) >>> 0) < MAX_HOPS);
  }

  /** The ring entry of an earlier copy of this packet (sent now), or -1. */
  find(slot: number, dir: Dir, p: Packet): number {
    const filled = this.conns.word(slot, PartWord.CopyFill + dir);
    const first = this.inlineAt(slot, dir);
    for (let i = 0; i < filled && i < INLINE_RECENT; i++) {
      if (this.copyOf(this.conns.i, this.conns.d, first + i * Signature.Size, p)) return i;
    }
    if (filled <= INLINE_RECENT) return -1;
    const block = this.blockAt(slot, dir);
    for (let i = INLINE_RECENT; i < filled; i++) if (this.copyOf(this.blockRows, this.blockTime, block + i * Signature.Size, p)) return i;
    return -1;
  }

  /**
   * The packet repeats one just seen at the same point, every field alike (IP ID and TSval
   * included) within COPY_WINDOW: a duplicated frame, not a retransmission (a stack that
   * retransmits waits an RTO and stamps a new IP ID or TSval). Read only for repeated SYNs.
   */
  duplicateFrame(slot: number, dir: Dir, p: Packet): boolean {
    const filled = this.conns.word(slot, PartWord.CopyFill + dir);
    const first = this.inlineAt(slot, dir);
    for (let i = 0; i < filled && i < INLINE_RECENT; i++) {
      if (this.sameFields(this.conns.i, this.conns.d, first + i * Signature.Size, p)) return true;
    }
    if (filled <= INLINE_RECENT) return false;
    const block = this.blockAt(slot, dir);
    for (let i = INLINE_RECENT; i < filled; i++) if (this.sameFields(this.blockRows, this.blockTime, block + i * Signature.Size, p)) return true;
    return false;
  }

  /** The evidence event index remembered with entry i. */
  eventAt(slot: number, dir: Dir, i: number): number {
    return i < INLINE_RECENT
      ? this.conns.i[this.inlineAt(slot, dir) + i * Signature.Size + Signature.Event]!
      : this.blockRows[this.blockAt(slot, dir) + i * Signature.Size + Signature.Event]!;
  }

  remember(slot: number, dir: Dir, p: Packet, eventIndex: number): void {
    const c = this.conns;
    const pos = c.word(slot, PartWord.CopyPos + dir);
    let ring = c.i;
    let times = c.d;
    let o = this.inlineAt(slot, dir) + pos * Signature.Size;
    if (pos >= INLINE_RECENT) {
      // The block first: taking one may grow the arrays.
      if (c.word(slot, PartWord.CopyBlock + dir) === 0) this.takeBlock(slot, dir);
      o = this.blockAt(slot, dir) + pos * Signature.Size;
      ring = this.blockRows;
      times = this.blockTime;
    }
    ring[o + Signature.Seq] = p.seq;
    ring[o + Signature.Ack] = p.ack;
    ring[o + Signature.Flags] = p.flags | (p.hasTimestamps ? 1 << 9 : 0);
    ring[o + Signature.Len] = p.payloadLength;
    ring[o + Signature.IpId] = p.ipId;
    ring[o + Signature.TsVal] = p.hasTimestamps ? p.tsVal : 0;
    ring[o + Signature.Event] = eventIndex;
    ring[o + Signature.Point] = p.capturePoint;
    ring[o + Signature.Ttl] = p.ttl;
    times[(o + Signature.Time) >> 1] = this.now;
    c.setWord(slot, PartWord.CopyPos + dir, pos + 1 === RECENT ? 0 : pos + 1);
    const filled = c.word(slot, PartWord.CopyFill + dir);
    if (filled < RECENT) c.setWord(slot, PartWord.CopyFill + dir, filled + 1);
  }
}

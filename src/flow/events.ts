import type { ConnEvent, Dir } from './types.js';
import type { Frame } from '../capture/types.js';
import type { Packet } from '../decode/packet.js';
import { EventField, metaDir, metaFlags, PACKET_CELLS, readEvent, writeIcmpEvent, writePacketEvent } from './event-schema.js';

/**
 * Events a new log has room for at least (it is made with room for the events it starts with):
 * growing from empty reallocates the array several times per connection.
 */
const MIN_EVENTS = 2;
/** Longest start: past it the array grows as it is appended to. */
const MAX_INITIAL_EVENTS = 8;
/** Sliced: a double array of exactly the size asked for, no holes, no elements-kind transition. */
const TEMPLATE: number[] = [];
for (let i = 0; i < MAX_INITIAL_EVENTS * EventField.Count; i++) TEMPLATE.push(0.5);
/**
 * Ids of the events written into a log's rolling tail start here (an event before the tail is
 * known by its position, always lower): a tail position is reused, its id is not.
 */
export const TAIL_ID = 1 << 24;
/** The row pushPacket and overwritePacket write (32-bit cells) before copying it in. */
const staging = new Uint32Array(PACKET_CELLS);

/**
 * A connection's evidence packets, stored flat in one number array (cells as src/flow/event-schema.ts
 * lays them out) and turned into ConnEvent objects only when a rule or report reads them. Most
 * connections are healthy and are never read, so the hot path writes numbers instead of
 * allocating an object per packet.
 */
export class EventLog {
  /**
   * Flat cells, EventField.Count per event: a plain array (on the V8 heap, cheap to allocate),
   * sized for the events the log is made with — most logs are made when their connection retires,
   * and live until its batch is evaluated: room for events that never come would be copied by
   * every scavenge meanwhile.
   */
  private data: number[];
  length = 0;
  /** Copy frames and ICMP senders, per event, created only when there are any. */
  private copies: (number[] | null)[] | null = null;
  private senders: (string | null)[] | null = null;
  /** Materialized events, kept in step with appends once created. */
  private cache: ConnEvent[] | null = null;
  /**
   * The rolling tail (pushTail): the latest packets from position tailStart on, the oldest at
   * tailStart + tailNext once it is full; -1 while there is none. Positions from tailBase (the
   * first tail's start) on carry ids (tailIds), those before it are their own ids.
   */
  private tailStart = -1;
  private tailNext = 0;
  private tailBase = -1;
  private tailIds: number[] = [];
  private tailWrites = 0;

  /** `expected`: the events about to be pushed (the log's start). */
  constructor(expected = 0) {
    this.data = TEMPLATE.slice(0, Math.min(Math.max(expected, MIN_EVENTS), MAX_INITIAL_EVENTS) * EventField.Count);
  }

  /** Appends a TCP packet's event; returns its index. */
  pushPacket(frame: Frame, dir: Dir, p: Packet, retransmit: boolean): number {
    writePacketEvent(staging, 0, frame, dir, p, retransmit);
    const i = this.length;
    this.pushCells(staging, 0, frame.tsSec);
    return i;
  }

  /** Appends an ICMP error's event, sent by `sender`; returns its index. */
  pushIcmp(frame: Frame, dir: Dir, p: Packet, sender: string): number {
    const i = this.length;
    writeIcmpEvent(this.data, i * EventField.Count, frame, dir, p);
    // The sender first: appended() materializes the event when the log is already being read.
    this.senders ??= [];
    this.senders[i] = sender;
    this.appended(i);
    return i;
  }

  /** Appends the event in `cells` at offset o (an inline buffer's, or the staging row), its seconds given apart. */
  pushCells(cells: Uint32Array, o: number, sec: number): void {
    const i = this.length;
    this.setCells(i, cells, o, sec);
    this.appended(i);
  }

  private appended(i: number): void {
    this.length = i + 1;
    if (this.cache !== null) {
      if (this.tailStart < 0) this.cache.push(this.materialize(i));
      else this.cache = null;
    }
  }

  /** The log has a rolling tail (pushTail). */
  get hasTail(): boolean {
    return this.tailStart >= 0;
  }

  /** The next pushTail of a tail of `size` overwrites its oldest packet. */
  tailFull(size: number): boolean {
    return this.tailStart >= 0 && this.length - this.tailStart >= size;
  }

  /**
   * Writes a TCP packet into the rolling tail of the latest `size` packets (begun at the end of the
   * log on the first call), over the oldest once it is full; returns the packet's id (TAIL_ID on).
   */
  pushTail(frame: Frame, dir: Dir, p: Packet, retransmit: boolean, size: number): number {
    if (this.tailStart < 0) {
      this.tailStart = this.length;
      if (this.tailBase < 0) this.tailBase = this.length;
    }
    writePacketEvent(staging, 0, frame, dir, p, retransmit);
    let i = this.length;
    if (i - this.tailStart < size) this.length = i + 1;
    else {
      i = this.tailStart + this.tailNext;
      this.tailNext = this.tailNext + 1 === size ? 0 : this.tailNext + 1;
      if (this.copies !== null) this.copies[i] = null;
    }
    this.setCells(i, staging, 0, frame.tsSec);
    const id = TAIL_ID + this.tailWrites++;
    this.tailIds[i - this.tailBase] = id;
    // The events' order changes: materialized again when read.
    this.cache = null;
    return id;
  }

  /**
   * The tail's packets stay where they are, in capture order, and are no longer overwritten (the
   * packets up to a connection's first kept reset); a later pushTail begins a new tail after them.
   */
  freezeTail(): void {
    if (this.tailStart < 0) return;
    const n = this.length - this.tailStart;
    if (this.tailNext !== 0) {
      const order = this.tailOrder();
      const F = EventField.Count;
      const data = order.map((at) => this.data.slice(at * F, at * F + F));
      const copies = order.map((at) => this.copies?.[at] ?? null);
      const ids = order.map((at) => this.tailIds[at - this.tailBase]!);
      for (let k = 0; k < n; k++) {
        const at = this.tailStart + k;
        for (let f = 0; f < F; f++) this.data[at * F + f] = data[k]![f]!;
        if (this.copies !== null) this.copies[at] = copies[k]!;
        this.tailIds[at - this.tailBase] = ids[k]!;
      }
    }
    this.tailStart = -1;
    this.tailNext = 0;
    this.cache = null;
  }

  /** The tail's positions, oldest first. */
  private tailOrder(): number[] {
    const out: number[] = [];
    const n = this.length - this.tailStart;
    for (let k = 0; k < n; k++) out.push(this.tailStart + ((this.tailNext + k) % n));
    return out;
  }

  /** Position of the k-th event in capture order (events[k]). */
  positionAt(k: number): number {
    if (this.tailStart < 0 || k < this.tailStart) return k;
    const n = this.length - this.tailStart;
    return this.tailStart + ((this.tailNext + k - this.tailStart) % n);
  }

  /** Position of the event with this id (an index from add, or a tail id), or -1 when it is no longer kept. */
  positionOf(id: number): number {
    if (id < TAIL_ID) return id < this.length && (this.tailBase < 0 || id < this.tailBase) ? id : -1;
    for (let i = this.tailBase; i >= 0 && i < this.length; i++) if (this.tailIds[i - this.tailBase] === id) return i;
    return -1;
  }

  /** Replaces event i with a TCP packet's (the rolling "latest routine packet" slot). */
  overwritePacket(i: number, frame: Frame, dir: Dir, p: Packet, retransmit: boolean): void {
    writePacketEvent(staging, 0, frame, dir, p, retransmit);
    this.setCells(i, staging, 0, frame.tsSec);
    if (this.copies !== null) this.copies[i] = null;
    if (this.cache !== null) this.cache[i] = this.materialize(i);
  }

  /**
   * Event i, a TCP packet's, from its 32-bit cells: in order (the array stays packed), ipId turned
   * back from 2^32 - 1, no ICMP type or code.
   */
  private setCells(i: number, cells: Uint32Array, o: number, sec: number): void {
    const d = this.data;
    const at = i * EventField.Count;
    for (let k = 0; k < PACKET_CELLS; k++) d[at + k] = cells[o + k]!;
    d[at + EventField.IcmpType] = -1;
    d[at + EventField.IcmpCode] = -1;
    d[at + EventField.Sec] = sec;
    d[at + EventField.IpId] = cells[o + EventField.IpId]! | 0;
  }

  flagsAt(i: number): number {
    return metaFlags(this.data[i * EventField.Count + EventField.Meta]!);
  }

  dirAt(i: number): Dir {
    return metaDir(this.data[i * EventField.Count + EventField.Meta]!);
  }

  icmpTypeAt(i: number): number {
    return this.data[i * EventField.Count + EventField.IcmpType]!;
  }

  /** Records another copy (same packet, another interface) of the event at position i. */
  addCopy(i: number, frame: number): void {
    this.copies ??= [];
    let list = this.copies[i];
    if (list === undefined || list === null) {
      list = [];
      this.copies[i] = list;
      // Materialized in capture order: position i is events[i] before the tail.
      if (this.cache !== null) {
        if (this.tailStart < 0 || i < this.tailStart) this.cache[i]!.copies = list;
        else this.cache = null;
      }
    }
    list.push(frame);
  }

  private materialize(i: number): ConnEvent {
    return readEvent(this.data, i * EventField.Count, this.copies?.[i] ?? null, this.senders?.[i] ?? null);
  }

  /** The events as objects (created on first read, then kept in step). */
  get events(): ConnEvent[] {
    if (this.cache === null) {
      const out: ConnEvent[] = new Array<ConnEvent>(this.length);
      for (let k = 0; k < this.length; k++) out[k] = this.materialize(this.positionAt(k));
      this.cache = out;
    }
    return this.cache;
  }
}

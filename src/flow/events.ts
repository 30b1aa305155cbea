import type { ConnEvent, Dir } from './types.js';
import type { Frame } from '../capture/types.js';
import type { Packet } from '../decode/packet.js';
import { EventField, metaFlags, PACKET_CELLS, readEvent, writeIcmpEvent, writePacketEvent } from './event-schema.js';

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
    if (this.cache !== null) this.cache.push(this.materialize(i));
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

  icmpTypeAt(i: number): number {
    return this.data[i * EventField.Count + EventField.IcmpType]!;
  }

  /** Records another copy (same packet, another interface) of event i. */
  addCopy(i: number, frame: number): void {
    this.copies ??= [];
    let list = this.copies[i];
    if (list === undefined || list === null) {
      list = [];
      this.copies[i] = list;
      if (this.cache !== null) this.cache[i]!.copies = list;
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
      for (let i = 0; i < this.length; i++) out[i] = this.materialize(i);
      this.cache = out;
    }
    return this.cache;
  }
}

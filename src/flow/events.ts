import type { ConnEvent, Dir } from './types.js';

/** Field offsets of one event in EventLog's flat array. */
const enum F {
  Frame = 0,
  Sec,
  Nsec,
  T,
  Dir,
  Flags,
  Seq,
  Ack,
  Len,
  Window,
  Ttl,
  IpId,
  HasTs,
  TsVal,
  TsEcr,
  Retransmit,
  IcmpType,
  IcmpCode,
  Size,
}

/**
 * Events a new log has room for before its array grows: most connections have fewer packets.
 * Growing from empty reallocates the array several times per connection (most of the allocation).
 */
const INITIAL_EVENTS = 8;
/** Copied by slice(): a double array of exactly this size, no holes, no elements-kind transition. */
const TEMPLATE: number[] = [];
for (let i = 0; i < INITIAL_EVENTS * F.Size; i++) TEMPLATE.push(0.5);

/**
 * A connection's evidence packets, stored flat in one number array and turned into ConnEvent
 * objects only when a rule or report reads them. Most connections are healthy and are never
 * read, so the hot path writes numbers instead of allocating an object per packet.
 */
export class EventLog {
  /** Flat fields, F.Size per event: a plain array (on the V8 heap, cheap to allocate). */
  private data: number[] = TEMPLATE.slice();
  length = 0;
  /** Copy frames and ICMP senders, per event, created only when there are any. */
  private copies: (number[] | null)[] | null = null;
  private senders: (string | null)[] | null = null;
  /** Materialized events, kept in step with appends once created. */
  private cache: ConnEvent[] | null = null;

  private set(i: number, frame: number, sec: number, nsec: number, t: number, dir: Dir, flags: number, seq: number,
    ack: number, len: number, window: number, ttl: number, ipId: number, hasTs: boolean, tsVal: number, tsEcr: number,
    retransmit: boolean, icmpType: number, icmpCode: number): void {
    const d = this.data;
    const o = i * F.Size;
    d[o + F.Frame] = frame;
    d[o + F.Sec] = sec;
    d[o + F.Nsec] = nsec;
    d[o + F.T] = t;
    d[o + F.Dir] = dir;
    d[o + F.Flags] = flags;
    d[o + F.Seq] = seq;
    d[o + F.Ack] = ack;
    d[o + F.Len] = len;
    d[o + F.Window] = window;
    d[o + F.Ttl] = ttl;
    d[o + F.IpId] = ipId;
    d[o + F.HasTs] = hasTs ? 1 : 0;
    d[o + F.TsVal] = tsVal;
    d[o + F.TsEcr] = tsEcr;
    d[o + F.Retransmit] = retransmit ? 1 : 0;
    d[o + F.IcmpType] = icmpType;
    d[o + F.IcmpCode] = icmpCode;
  }

  /** Appends an event; returns its index. */
  push(frame: number, sec: number, nsec: number, t: number, dir: Dir, flags: number, seq: number, ack: number,
    len: number, window: number, ttl: number, ipId: number, hasTs: boolean, tsVal: number, tsEcr: number,
    retransmit: boolean, icmpType: number, icmpCode: number, icmpSender: string | null): number {
    const i = this.length;
    this.set(i, frame, sec, nsec, t, dir, flags, seq, ack, len, window, ttl, ipId, hasTs, tsVal, tsEcr, retransmit, icmpType, icmpCode);
    this.length = i + 1;
    if (icmpSender !== null) {
      this.senders ??= [];
      this.senders[i] = icmpSender;
    }
    if (this.cache !== null) this.cache.push(this.materialize(i));
    return i;
  }

  /** Replaces event i (the rolling "latest routine packet" slot). */
  overwrite(i: number, frame: number, sec: number, nsec: number, t: number, dir: Dir, flags: number, seq: number,
    ack: number, len: number, window: number, ttl: number, ipId: number, hasTs: boolean, tsVal: number, tsEcr: number,
    retransmit: boolean): void {
    this.set(i, frame, sec, nsec, t, dir, flags, seq, ack, len, window, ttl, ipId, hasTs, tsVal, tsEcr, retransmit, -1, -1);
    if (this.copies !== null) this.copies[i] = null;
    if (this.cache !== null) this.cache[i] = this.materialize(i);
  }

  flagsAt(i: number): number {
    return this.data[i * F.Size + F.Flags]!;
  }

  icmpTypeAt(i: number): number {
    return this.data[i * F.Size + F.IcmpType]!;
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
    const d = this.data;
    const o = i * F.Size;
    return {
      frame: d[o + F.Frame]!, sec: d[o + F.Sec]!, nsec: d[o + F.Nsec]!, t: d[o + F.T]!, dir: d[o + F.Dir] as Dir,
      flags: d[o + F.Flags]!, seq: d[o + F.Seq]!, ack: d[o + F.Ack]!, len: d[o + F.Len]!, window: d[o + F.Window]!,
      ttl: d[o + F.Ttl]!, ipId: d[o + F.IpId]!, hasTs: d[o + F.HasTs] === 1, tsVal: d[o + F.TsVal]!, tsEcr: d[o + F.TsEcr]!,
      copies: this.copies?.[i] ?? null, retransmit: d[o + F.Retransmit] === 1, icmpType: d[o + F.IcmpType]!,
      icmpCode: d[o + F.IcmpCode]!, icmpSender: this.senders?.[i] ?? null,
    };
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

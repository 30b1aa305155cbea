import type { Frame } from '../capture/types.js';
import type { Packet } from '../decode/packet.js';
import type { ConnEvent, Dir } from './types.js';

/**
 * The evidence event's fields, declared once: the cell offsets of one event in both stores, the
 * EventLog's flat number array and the flow table's inline Uint32Array (src/flow/evidence.ts).
 * The writers and readEvent below are the only code that knows what a cell holds.
 */
export const enum EventField {
  Frame = 0,
  Nsec,
  Dir,
  Flags,
  Seq,
  Ack,
  Len,
  Window,
  Ttl,
  /** -1 when the packet has none (IPv6). */
  IpId,
  HasTs,
  TsVal,
  TsEcr,
  Retransmit,
  IcmpType,
  IcmpCode,
  /**
   * Last: the writers fill the cells before it (WRITTEN_CELLS, 64 bytes of 32-bit cells, one
   * cache line per inline event); each store keeps the seconds itself, exactly.
   */
  Sec,
  Count,
}

/** Cells the writers fill (all but Sec). */
export const WRITTEN_CELLS = EventField.Sec;

/** ConnEvent's field names as EventField spells them (frame → Frame). */
type SchemaName = Uncapitalize<Exclude<keyof typeof EventField, 'Count'>>;
/**
 * Not in the cells: copies and ICMP senders are kept beside them, per event, only when there are
 * any; t is sec + nsec / 1e9, the expression the table computes each packet's time with.
 */
type SideFields = 'copies' | 'icmpSender' | 't';
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Fails to compile when ConnEvent and the schema disagree on a field. */
const schemaMatchesConnEvent: Same<SchemaName, Exclude<keyof ConnEvent, SideFields>> = true;
void schemaMatchesConnEvent;

/**
 * A TCP packet's event, in unsigned 32-bit cells (the table's inline buffer, or the row an
 * EventLog copies in): ipId -1 becomes 2^32 - 1, which EventLog turns back; the seconds are kept
 * exactly beside the cells (not written here). One array kind per writer keeps V8's element stores monomorphic.
 */
export function writePacketEvent(d: Uint32Array, o: number, frame: Frame, dir: Dir, p: Packet, retransmit: boolean): void {
  d[o + EventField.Frame] = frame.frameNumber;
  d[o + EventField.Nsec] = frame.tsNsec;
  d[o + EventField.Dir] = dir;
  d[o + EventField.Flags] = p.flags;
  d[o + EventField.Seq] = p.seq;
  d[o + EventField.Ack] = p.ack;
  d[o + EventField.Len] = p.payloadLength;
  d[o + EventField.Window] = p.window;
  d[o + EventField.Ttl] = p.ttl;
  d[o + EventField.IpId] = p.ipId;
  d[o + EventField.HasTs] = p.hasTimestamps ? 1 : 0;
  d[o + EventField.TsVal] = p.tsVal;
  d[o + EventField.TsEcr] = p.tsEcr;
  d[o + EventField.Retransmit] = retransmit ? 1 : 0;
  d[o + EventField.IcmpType] = -1;
  d[o + EventField.IcmpCode] = -1;
}

/** An ICMP error's event, in an EventLog's cells (it quotes the offending packet's sequence number, -1 when cut short). */
export function writeIcmpEvent(d: number[], o: number, frame: Frame, dir: Dir, p: Packet): void {
  d[o + EventField.Frame] = frame.frameNumber;
  d[o + EventField.Nsec] = frame.tsNsec;
  d[o + EventField.Dir] = dir;
  d[o + EventField.Flags] = 0;
  d[o + EventField.Seq] = p.innerSeq;
  d[o + EventField.Ack] = 0;
  d[o + EventField.Len] = 0;
  d[o + EventField.Window] = 0;
  d[o + EventField.Ttl] = p.ttl;
  d[o + EventField.IpId] = p.ipId;
  d[o + EventField.HasTs] = 0;
  d[o + EventField.TsVal] = 0;
  d[o + EventField.TsEcr] = 0;
  d[o + EventField.Retransmit] = 0;
  d[o + EventField.IcmpType] = p.icmpType;
  d[o + EventField.IcmpCode] = p.icmpCode;
  d[o + EventField.Sec] = frame.tsSec;
}

/** The event at offset o of an EventLog's cells as an object. */
export function readEvent(d: number[], o: number, copies: number[] | null, icmpSender: string | null): ConnEvent {
  const sec = d[o + EventField.Sec]!;
  const nsec = d[o + EventField.Nsec]!;
  return {
    frame: d[o + EventField.Frame]!, sec, nsec, t: sec + nsec / 1e9, dir: d[o + EventField.Dir] as Dir,
    flags: d[o + EventField.Flags]!, seq: d[o + EventField.Seq]!, ack: d[o + EventField.Ack]!, len: d[o + EventField.Len]!,
    window: d[o + EventField.Window]!, ttl: d[o + EventField.Ttl]!, ipId: d[o + EventField.IpId]!,
    hasTs: d[o + EventField.HasTs] === 1, tsVal: d[o + EventField.TsVal]!, tsEcr: d[o + EventField.TsEcr]!, copies,
    retransmit: d[o + EventField.Retransmit] === 1, icmpType: d[o + EventField.IcmpType]!,
    icmpCode: d[o + EventField.IcmpCode]!, icmpSender,
  };
}

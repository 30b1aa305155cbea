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
  /** dir, flags, hasTs and retransmit, packed as MetaBit says. */
  Meta,
  Seq,
  Ack,
  Len,
  Window,
  Ttl,
  /** -1 when the packet has none (IPv6). */
  IpId,
  TsVal,
  TsEcr,
  /**
   * The cells before IcmpType are a TCP packet's (PACKET_CELLS, 44 bytes: the inline store keeps
   * only these; its events are never ICMP errors). Each store keeps the seconds itself, exactly.
   */
  IcmpType,
  IcmpCode,
  Sec,
  Count,
}

/** Bit positions of the fields packed in EventField.Meta (flags takes 9 bits). */
export const enum MetaBit {
  Dir = 0,
  Flags = 1,
  HasTs = 10,
  Retransmit = 11,
}
const FLAGS_MASK = 511;

/** Cells of a TCP packet's event (what writePacketEvent fills); PacketEvent.Cells where it is read per packet. */
export const enum PacketEvent {
  Cells = EventField.IcmpType,
}
export const PACKET_CELLS = PacketEvent.Cells;

/** ConnEvent's field names as the schema spells them (frame → Frame), the packed ones included. */
type SchemaName = Uncapitalize<Exclude<keyof typeof EventField, 'Count' | 'Meta'> | keyof typeof MetaBit>;
/**
 * Not in the cells: copies and ICMP senders are kept beside them, per event, only when there are
 * any; t is sec + nsec / 1e9, the expression the table computes each packet's time with.
 */
type SideFields = 'copies' | 'icmpSender' | 't';
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Fails to compile when ConnEvent and the schema disagree on a field. */
const schemaMatchesConnEvent: Same<SchemaName, Exclude<keyof ConnEvent, SideFields>> = true;
void schemaMatchesConnEvent;

function meta(dir: Dir, flags: number, hasTs: boolean, retransmit: boolean): number {
  return (dir << MetaBit.Dir) | (flags << MetaBit.Flags) | (hasTs ? 1 << MetaBit.HasTs : 0) | (retransmit ? 1 << MetaBit.Retransmit : 0);
}

/** The flags in a Meta cell. */
export function metaFlags(cell: number): number {
  return (cell >>> MetaBit.Flags) & FLAGS_MASK;
}

/** The direction in a Meta cell. */
export function metaDir(cell: number): Dir {
  return ((cell >>> MetaBit.Dir) & 1) as Dir;
}

function metaBit(cell: number, bit: MetaBit): boolean {
  return ((cell >>> bit) & 1) === 1;
}

/**
 * A TCP packet's event, its PACKET_CELLS in unsigned 32-bit cells (the table's inline buffer, or
 * the row an EventLog copies in): ipId -1 becomes 2^32 - 1, which EventLog turns back; the
 * seconds are kept exactly beside the cells (not written here). One array kind per writer keeps
 * V8's element stores monomorphic.
 */
export function writePacketEvent(d: Uint32Array, o: number, frame: Frame, dir: Dir, p: Packet, retransmit: boolean): void {
  d[o + EventField.Frame] = frame.frameNumber;
  d[o + EventField.Nsec] = frame.tsNsec;
  d[o + EventField.Meta] = meta(dir, p.flags, p.hasTimestamps, retransmit);
  d[o + EventField.Seq] = p.seq;
  d[o + EventField.Ack] = p.ack;
  d[o + EventField.Len] = p.payloadLength;
  d[o + EventField.Window] = p.window;
  d[o + EventField.Ttl] = p.ttl;
  d[o + EventField.IpId] = p.ipId;
  d[o + EventField.TsVal] = p.tsVal;
  d[o + EventField.TsEcr] = p.tsEcr;
}

/** An ICMP error's event, in an EventLog's cells (it quotes the offending packet's sequence number, -1 when cut short). */
export function writeIcmpEvent(d: number[], o: number, frame: Frame, dir: Dir, p: Packet): void {
  d[o + EventField.Frame] = frame.frameNumber;
  d[o + EventField.Nsec] = frame.tsNsec;
  d[o + EventField.Meta] = meta(dir, 0, false, false);
  d[o + EventField.Seq] = p.innerSeq;
  d[o + EventField.Ack] = 0;
  d[o + EventField.Len] = 0;
  d[o + EventField.Window] = 0;
  d[o + EventField.Ttl] = p.ttl;
  d[o + EventField.IpId] = p.ipId;
  d[o + EventField.TsVal] = 0;
  d[o + EventField.TsEcr] = 0;
  d[o + EventField.IcmpType] = p.icmpType;
  d[o + EventField.IcmpCode] = p.icmpCode;
  d[o + EventField.Sec] = frame.tsSec;
}

/** The event at offset o of an EventLog's cells as an object. */
export function readEvent(d: number[], o: number, copies: number[] | null, icmpSender: string | null): ConnEvent {
  const sec = d[o + EventField.Sec]!;
  const nsec = d[o + EventField.Nsec]!;
  const m = d[o + EventField.Meta]!;
  return {
    frame: d[o + EventField.Frame]!, sec, nsec, t: sec + nsec / 1e9, dir: (metaBit(m, MetaBit.Dir) ? 1 : 0) as Dir,
    flags: metaFlags(m), seq: d[o + EventField.Seq]!, ack: d[o + EventField.Ack]!, len: d[o + EventField.Len]!,
    window: d[o + EventField.Window]!, ttl: d[o + EventField.Ttl]!, ipId: d[o + EventField.IpId]!,
    hasTs: metaBit(m, MetaBit.HasTs), tsVal: d[o + EventField.TsVal]!, tsEcr: d[o + EventField.TsEcr]!, copies,
    retransmit: metaBit(m, MetaBit.Retransmit), icmpType: d[o + EventField.IcmpType]!,
    icmpCode: d[o + EventField.IcmpCode]!, icmpSender,
  };
}

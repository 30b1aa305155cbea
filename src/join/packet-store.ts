import type { ConnEvent, Dir } from '../flow/types.js';

/** Numbers kept per packet (the fields packet identity and evidence rows read). */
const enum Cell { Frame, Sec, Nsec, Meta, Seq, Ack, Len, IpId, TsVal, Retransmit, Ttl, Count }

/**
 * A connection's packets, kept compactly for the join (a joint analysis keeps every connection's
 * first packets: as objects they cost ten times this). Read back as ConnEvent objects on demand.
 */
export class PacketStore {
  private readonly cells: Float64Array;
  /** Copy frames per packet (other interfaces of one capture), only when there are any. */
  private readonly copies: (number[] | null)[] | null;

  constructor(events: readonly ConnEvent[]) {
    const cells = new Float64Array(events.length * Cell.Count);
    let copies: (number[] | null)[] | null = null;
    events.forEach((e, i) => {
      const o = i * Cell.Count;
      cells[o + Cell.Frame] = e.frame;
      cells[o + Cell.Sec] = e.sec;
      cells[o + Cell.Nsec] = e.nsec;
      cells[o + Cell.Meta] = e.dir | (e.flags << 1) | (e.hasTs ? 1 << 10 : 0);
      cells[o + Cell.Seq] = e.seq;
      cells[o + Cell.Ack] = e.ack;
      cells[o + Cell.Len] = e.len;
      cells[o + Cell.IpId] = e.ipId;
      cells[o + Cell.TsVal] = e.tsVal;
      cells[o + Cell.Retransmit] = e.retransmit ? 1 : 0;
      cells[o + Cell.Ttl] = e.ttl;
      if (e.copies !== null && e.copies.length > 0) (copies ??= events.map(() => null))[i] = e.copies;
    });
    this.cells = cells;
    this.copies = copies;
  }

  get length(): number {
    return this.cells.length / Cell.Count;
  }

  event(i: number): ConnEvent {
    const c = this.cells;
    const o = i * Cell.Count;
    const meta = c[o + Cell.Meta]!;
    const sec = c[o + Cell.Sec]!;
    const nsec = c[o + Cell.Nsec]!;
    return {
      frame: c[o + Cell.Frame]!, sec, nsec, t: sec + nsec / 1e9, dir: (meta & 1) as Dir, flags: (meta >> 1) & 511,
      seq: c[o + Cell.Seq]!, ack: c[o + Cell.Ack]!, len: c[o + Cell.Len]!, window: 0, ttl: c[o + Cell.Ttl]!, ipId: c[o + Cell.IpId]!,
      hasTs: (meta & (1 << 10)) !== 0, tsVal: c[o + Cell.TsVal]!, tsEcr: 0, copies: this.copies?.[i] ?? null,
      retransmit: c[o + Cell.Retransmit] === 1, icmpType: -1, icmpCode: -1, icmpSender: null,
    };
  }

  events(): ConnEvent[] {
    return Array.from({ length: this.length }, (_, i) => this.event(i));
  }

  /** The packet with this frame number (or a copy of it on another interface). */
  findFrame(frame: number): ConnEvent | undefined {
    for (let i = 0; i < this.length; i++) {
      if (this.cells[i * Cell.Count + Cell.Frame] === frame || this.copies?.[i]?.includes(frame)) return this.event(i);
    }
    return undefined;
  }
}

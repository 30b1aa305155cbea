/**
 * Minimal capture writers for tests: build a classic pcap or a pcapng file in memory.
 *
 *   writePcap([{ sec: 1700000000, nsec: 123456000, data }])                  // µs, LE, Ethernet
 *   writePcap(frames, { nanosecond: true, bigEndian: true, linkType: 113 })   // ns, BE, Linux SLL
 *   writePcapng([{ interfaces: [{ linkType: 1 }],
 *                  packets: [{ interfaceId: 0, ts: 1700000000123456n, data }] }])
 *
 * pcap: `nsec` is nanoseconds within the second; with microsecond files it is divided by 1000
 * (truncated). `origLen` defaults to data.length.
 * pcapng: `ts` is in the interface's units (default µs; `tsresol` is the raw if_tsresol option
 * byte, e.g. 9 for ns, 0x80 | 20 for 2^-20 s). Packets are EPBs unless `kind` says 'spb' (Simple
 * Packet Block: interface 0, no timestamp) or 'opb' (obsolete Packet Block, type 2).
 * `extraBlocks` are raw block bodies written verbatim (as type + body, framed with lengths) after
 * the interfaces and before the packets, e.g. to test that unknown blocks are skipped.
 */

export interface PcapFrameSpec {
  sec: number;
  nsec: number;
  data: Uint8Array;
  origLen?: number;
}

export interface PcapOptions {
  linkType?: number;
  nanosecond?: boolean;
  bigEndian?: boolean;
  snapLen?: number;
}

export function writePcap(frames: PcapFrameSpec[], opts: PcapOptions = {}): Buffer {
  const le = !opts.bigEndian;
  let size = 24;
  for (const f of frames) size += 16 + f.data.length;
  const b = Buffer.alloc(size);
  const u32 = (v: number, o: number): void => {
    if (le) b.writeUInt32LE(v >>> 0, o);
    else b.writeUInt32BE(v >>> 0, o);
  };
  const u16 = (v: number, o: number): void => {
    if (le) b.writeUInt16LE(v, o);
    else b.writeUInt16BE(v, o);
  };
  u32(opts.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  u16(2, 4);
  u16(4, 6);
  u32(0, 8);
  u32(0, 12);
  u32(opts.snapLen ?? 262144, 16);
  u32(opts.linkType ?? 1, 20);
  let o = 24;
  for (const f of frames) {
    u32(f.sec, o);
    u32(opts.nanosecond ? f.nsec : Math.floor(f.nsec / 1000), o + 4);
    u32(f.data.length, o + 8);
    u32(f.origLen ?? f.data.length, o + 12);
    b.set(f.data, o + 16);
    o += 16 + f.data.length;
  }
  return b;
}

export interface PcapngInterfaceSpec {
  linkType: number;
  /** Raw if_tsresol byte (high bit 0: 10^-n, high bit 1: 2^-n). Omitted: µs. */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: bigint;
  name?: string;
  description?: string;
  comment?: string;
  snapLen?: number;
}

export interface PcapngPacketSpec {
  interfaceId: number;
  /** Timestamp in the interface's units (ignored for SPB). */
  ts: bigint;
  data: Uint8Array;
  origLen?: number;
  comment?: string;
  kind?: 'epb' | 'spb' | 'opb';
}

export interface PcapngSectionSpec {
  bigEndian?: boolean;
  comment?: string;
  interfaces: PcapngInterfaceSpec[];
  packets: PcapngPacketSpec[];
  /** Raw blocks written after the interfaces: `type` and `body` (without type/length framing). */
  extraBlocks?: Array<{ type: number; body: Uint8Array }>;
}

class Out {
  private parts: Buffer[] = [];
  constructor(private readonly le: boolean) {}
  u16(v: number): Buffer {
    const b = Buffer.alloc(2);
    if (this.le) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  }
  u32(v: number): Buffer {
    const b = Buffer.alloc(4);
    if (this.le) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    return b;
  }
  u64(v: bigint): Buffer {
    const b = Buffer.alloc(8);
    if (this.le) b.writeBigUInt64LE(BigInt.asUintN(64, v));
    else b.writeBigUInt64BE(BigInt.asUintN(64, v));
    return b;
  }
  /** Option: code, length, value padded to 4. */
  opt(code: number, value: Uint8Array): Buffer {
    const pad = (4 - (value.length % 4)) % 4;
    return Buffer.concat([this.u16(code), this.u16(value.length), Buffer.from(value), Buffer.alloc(pad)]);
  }
  optsEnd(opts: Buffer[]): Buffer {
    return opts.length === 0 ? Buffer.alloc(0) : Buffer.concat([...opts, this.u32(0)]);
  }
  block(type: number, body: Buffer): void {
    const pad = (4 - (body.length % 4)) % 4;
    const len = 12 + body.length + pad;
    this.parts.push(this.u32(type), this.u32(len), body, Buffer.alloc(pad), this.u32(len));
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function padded(data: Uint8Array): Buffer {
  const pad = (4 - (data.length % 4)) % 4;
  return Buffer.concat([Buffer.from(data), Buffer.alloc(pad)]);
}

export function writePcapng(sections: PcapngSectionSpec[]): Buffer {
  const out: Buffer[] = [];
  for (const s of sections) {
    const w = new Out(!s.bigEndian);
    const shbOpts: Buffer[] = [];
    if (s.comment !== undefined) shbOpts.push(w.opt(1, Buffer.from(s.comment)));
    // SHB: BOM, version 1.0, section length -1.
    w.block(0x0a0d0d0a, Buffer.concat([w.u32(0x1a2b3c4d), w.u16(1), w.u16(0), w.u64(-1n), w.optsEnd(shbOpts)]));
    for (const i of s.interfaces) {
      const o: Buffer[] = [];
      if (i.comment !== undefined) o.push(w.opt(1, Buffer.from(i.comment)));
      if (i.name !== undefined) o.push(w.opt(2, Buffer.from(i.name)));
      if (i.description !== undefined) o.push(w.opt(3, Buffer.from(i.description)));
      if (i.tsresol !== undefined) o.push(w.opt(9, Buffer.from([i.tsresol])));
      if (i.tsoffset !== undefined) {
        const v = Buffer.alloc(8);
        if (s.bigEndian) v.writeBigInt64BE(i.tsoffset);
        else v.writeBigInt64LE(i.tsoffset);
        o.push(w.opt(14, v));
      }
      w.block(1, Buffer.concat([w.u16(i.linkType), w.u16(0), w.u32(i.snapLen ?? 0), w.optsEnd(o)]));
    }
    for (const e of s.extraBlocks ?? []) w.block(e.type, Buffer.from(e.body));
    for (const p of s.packets) {
      const orig = p.origLen ?? p.data.length;
      const o: Buffer[] = [];
      if (p.comment !== undefined) o.push(w.opt(1, Buffer.from(p.comment)));
      const hi = Number(BigInt.asUintN(64, p.ts) >> 32n);
      const lo = Number(BigInt.asUintN(64, p.ts) & 0xffffffffn);
      const kind = p.kind ?? 'epb';
      if (kind === 'spb') {
        w.block(3, Buffer.concat([w.u32(orig), padded(p.data)]));
      } else if (kind === 'opb') {
        const head = Buffer.concat([w.u16(p.interfaceId), w.u16(0), w.u32(hi), w.u32(lo), w.u32(p.data.length), w.u32(orig)]);
        w.block(2, Buffer.concat([head, padded(p.data), w.optsEnd(o)]));
      } else {
        const head = Buffer.concat([w.u32(p.interfaceId), w.u32(hi), w.u32(lo), w.u32(p.data.length), w.u32(orig)]);
        w.block(6, Buffer.concat([head, padded(p.data), w.optsEnd(o)]));
      }
    }
    out.push(w.done());
  }
  return Buffer.concat(out);
}

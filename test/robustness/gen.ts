/**
 * Generators of valid but hostile captures, streamed to disk (os.tmpdir()) without holding them in
 * memory, and small structural helpers for the pipeline fuzz tests.
 *
 *   synFlood(path, n)            n SYNs from n distinct sources to one server, never answered
 *   retransmitStorm(path, n)     one connection: handshake, then the same data segment n times
 *   manyInterfaces(path, n)      a pcapng with n interfaces; one connection, each packet on another
 *   tinyConnections(path, n)     n complete connections (SYN, SYN-ACK, ACK, FIN-ACK, FIN-ACK)
 *
 * Frames are Ethernet + IPv4 + TCP (no options, no payload unless stated), checksums zero (the
 * analyzer does not verify them), timestamps 1 ms apart from 2026-01-01.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const T0 = 1767225600; // 2026-01-01T00:00:00Z

/** Buffered little-endian classic pcap writer (µs). */
export class PcapStream {
  private readonly fd: number;
  private readonly buf = Buffer.alloc(4 << 20);
  private pos = 0;
  packets = 0;
  bytes = 0;

  constructor(path: string, linkType = 1) {
    this.fd = openSync(path, 'w');
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(262144, 16);
    h.writeUInt32LE(linkType, 20);
    this.raw(h);
  }

  private raw(b: Uint8Array): void {
    if (this.pos + b.length > this.buf.length) this.flush();
    if (b.length > this.buf.length) {
      writeSync(this.fd, b);
    } else {
      this.buf.set(b, this.pos);
      this.pos += b.length;
    }
    this.bytes += b.length;
  }

  private flush(): void {
    if (this.pos > 0) writeSync(this.fd, this.buf, 0, this.pos);
    this.pos = 0;
  }

  /** One record at `usec` microseconds after T0. */
  packet(usec: number, data: Uint8Array): void {
    if (this.pos + 16 + data.length > this.buf.length) this.flush();
    const sec = T0 + Math.floor(usec / 1e6);
    const b = this.buf;
    b.writeUInt32LE(sec, this.pos);
    b.writeUInt32LE(usec % 1e6, this.pos + 4);
    b.writeUInt32LE(data.length, this.pos + 8);
    b.writeUInt32LE(data.length, this.pos + 12);
    b.set(data, this.pos + 16);
    this.pos += 16 + data.length;
    this.bytes += 16 + data.length;
    this.packets++;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export const F = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

/** A reusable Ethernet/IPv4/TCP frame: set fields, then `bytes()` (a view, valid until the next set). */
export class TcpFrame {
  private readonly b: Buffer;
  private payloadLen = 0;

  constructor(maxPayload = 0) {
    this.b = Buffer.alloc(54 + maxPayload);
    const b = this.b;
    b.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01], 0);
    b.writeUInt16BE(0x0800, 12);
    b[14] = 0x45;
    b[22] = 64; // TTL
    b[23] = 6;
    b[46] = 0x50; // data offset 5
  }

  set(src: number, sport: number, dst: number, dport: number, seq: number, ack: number, flags: number, payload = 0, ipId = 0): this {
    const b = this.b;
    this.payloadLen = payload;
    b.writeUInt16BE(40 + payload, 16);
    b.writeUInt16BE(ipId & 0xffff, 18);
    b.writeUInt32BE(src >>> 0, 26);
    b.writeUInt32BE(dst >>> 0, 30);
    b.writeUInt16BE(sport, 34);
    b.writeUInt16BE(dport, 36);
    b.writeUInt32BE(seq >>> 0, 38);
    b.writeUInt32BE(ack >>> 0, 42);
    b[47] = flags;
    b.writeUInt16BE(65535, 48);
    return this;
  }

  bytes(): Uint8Array {
    return this.b.subarray(0, 54 + this.payloadLen);
  }
}

const ip = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const SERVER = ip(10, 96, 0, 10);

export interface GenResult {
  path: string;
  packets: number;
  bytes: number;
}

/** n SYNs from n distinct source addresses (10.x.y.z) to SERVER:80, never answered. */
export function synFlood(path: string, n: number): GenResult {
  const w = new PcapStream(path);
  const f = new TcpFrame();
  for (let i = 0; i < n; i++) {
    const src = (ip(11, 0, 0, 0) + i) >>> 0;
    w.packet(i * 10, f.set(src, 1024 + (i % 60000), SERVER, 80, i * 7919, 0, F.SYN, 0, i).bytes());
  }
  w.close();
  return { path, packets: w.packets, bytes: w.bytes };
}

/** Handshake, then the same 100-byte segment n times (1 ms apart), never acknowledged. */
export function retransmitStorm(path: string, n: number): GenResult {
  const w = new PcapStream(path);
  const f = new TcpFrame(100);
  const c = ip(10, 244, 0, 2);
  w.packet(0, f.set(c, 40000, SERVER, 80, 1000, 0, F.SYN).bytes());
  w.packet(100, f.set(SERVER, 80, c, 40000, 5000, 1001, F.SYN | F.ACK).bytes());
  w.packet(200, f.set(c, 40000, SERVER, 80, 1001, 5001, F.ACK).bytes());
  for (let i = 0; i < n; i++) w.packet(1000 + i * 1000, f.set(c, 40000, SERVER, 80, 1001, 5001, F.ACK | F.PSH, 100, i).bytes());
  w.close();
  return { path, packets: w.packets, bytes: w.bytes };
}

/** n complete, healthy connections from distinct client ports/addresses, one after another. */
export function tinyConnections(path: string, n: number): GenResult {
  const w = new PcapStream(path);
  const f = new TcpFrame();
  for (let i = 0; i < n; i++) {
    const c = (ip(10, 244, 0, 0) + 2 + Math.floor(i / 50000)) >>> 0;
    const port = 10000 + (i % 50000);
    const t = i * 100;
    const isn = (i * 2654435761) >>> 0;
    const risn = (isn ^ 0x5a5a5a5a) >>> 0;
    w.packet(t, f.set(c, port, SERVER, 80, isn, 0, F.SYN).bytes());
    w.packet(t + 10, f.set(SERVER, 80, c, port, risn, isn + 1, F.SYN | F.ACK).bytes());
    w.packet(t + 20, f.set(c, port, SERVER, 80, isn + 1, risn + 1, F.ACK).bytes());
    w.packet(t + 30, f.set(c, port, SERVER, 80, isn + 1, risn + 1, F.FIN | F.ACK).bytes());
    w.packet(t + 40, f.set(SERVER, 80, c, port, risn + 1, isn + 2, F.FIN | F.ACK).bytes());
  }
  w.close();
  return { path, packets: w.packets, bytes: w.bytes };
}

/** A little-endian pcapng: one section, n Ethernet interfaces, then one connection's packets, one per interface. */
export function manyInterfaces(path: string, n: number): GenResult {
  const fd = openSync(path, 'w');
  let bytes = 0;
  const out = (b: Buffer): void => {
    writeSync(fd, b);
    bytes += b.length;
  };
  const shb = Buffer.alloc(28);
  shb.writeUInt32LE(0x0a0d0d0a, 0);
  shb.writeUInt32LE(28, 4);
  shb.writeUInt32LE(0x1a2b3c4d, 8);
  shb.writeUInt16LE(1, 12);
  shb.writeBigInt64LE(-1n, 16);
  shb.writeUInt32LE(28, 24);
  out(shb);
  // IDB (36 bytes): link type 1, snaplen 0, if_name "ifNNNNNN" (8 bytes), opt_endofopt, trailer.
  const IDB = 36;
  const idbs = Buffer.alloc(IDB * Math.min(n, 65536));
  for (let start = 0; start < n; start += 65536) {
    const k = Math.min(65536, n - start);
    for (let j = 0; j < k; j++) {
      const o = j * IDB;
      idbs.writeUInt32LE(1, o);
      idbs.writeUInt32LE(IDB, o + 4);
      idbs.writeUInt16LE(1, o + 8);
      idbs.writeUInt32LE(0, o + 12);
      idbs.writeUInt16LE(2, o + 16);
      idbs.writeUInt16LE(8, o + 18);
      idbs.write(`if${String(start + j).padStart(6, '0')}`.slice(-8), o + 20, 'latin1');
      idbs.writeUInt32LE(0, o + 28);
      idbs.writeUInt32LE(IDB, o + 32);
    }
    out(idbs.subarray(0, k * IDB));
  }
  // One connection whose packets each arrive on another interface: handshake, then data
  // segments (10 bytes each, in order, acked), so the copy detection sees n interfaces.
  const f = new TcpFrame(10);
  const epbLen = 32 + 64 + 4; // 64-byte frame (padded) + 32-byte EPB header/trailer
  const epbs = Buffer.alloc(epbLen * 4096);
  let k = 0;
  const c = ip(10, 244, 0, 2);
  for (let i = 0; i < n; i++) {
    const o = k * epbLen;
    epbs.fill(0, o, o + epbLen);
    epbs.writeUInt32LE(6, o);
    epbs.writeUInt32LE(epbLen, o + 4);
    epbs.writeUInt32LE(i, o + 8);
    const ts = BigInt(T0) * 1000000n + BigInt(i) * 1000n;
    epbs.writeUInt32LE(Number(ts >> 32n), o + 12);
    epbs.writeUInt32LE(Number(ts & 0xffffffffn), o + 16);
    const frame = i === 0 ? f.set(c, 40000, SERVER, 80, 1000, 0, F.SYN).bytes()
      : i === 1 ? f.set(SERVER, 80, c, 40000, 5000, 1001, F.SYN | F.ACK).bytes()
        : i % 2 === 0 ? f.set(c, 40000, SERVER, 80, 1001 + 10 * (i / 2 - 1), 5001, F.ACK | F.PSH, 10, i).bytes()
          : f.set(SERVER, 80, c, 40000, 5001, 1001 + 10 * ((i - 1) / 2), F.ACK, 0, i).bytes();
    epbs.writeUInt32LE(frame.length, o + 20);
    epbs.writeUInt32LE(frame.length, o + 24);
    epbs.set(frame, o + 28);
    epbs.writeUInt32LE(epbLen, o + epbLen - 4);
    if (++k === 4096) {
      out(epbs);
      k = 0;
    }
  }
  if (k > 0) out(epbs.subarray(0, k * epbLen));
  closeSync(fd);
  return { path, packets: n, bytes };
}

// ------------------------------------------------------------------ structure of real captures

export interface Record {
  /** Offset of the record header / block start. */
  at: number;
  /** Total length (header + data, or the pcapng block length). */
  len: number;
  /** pcapng block type (pcap records: -1). */
  type: number;
  /** Offset of the frame bytes (packet records/blocks only; else -1). */
  data: number;
  /** Captured length (packet records only; else 0). */
  caplen: number;
}

/** The records of a well-formed classic pcap or pcapng buffer (little- or big-endian). */
export function records(buf: Buffer): { format: 'pcap' | 'pcapng'; le: boolean; list: Record[] } {
  const list: Record[] = [];
  const m = buf.readUInt32LE(0);
  if (m === 0x0a0d0d0a) {
    let p = 0;
    let le = true;
    while (p + 12 <= buf.length) {
      const type0 = buf.readUInt32LE(p);
      if (type0 === 0x0a0d0d0a) le = buf.readUInt32LE(p + 8) === 0x1a2b3c4d;
      const type = le ? buf.readUInt32LE(p) : buf.readUInt32BE(p);
      const len = le ? buf.readUInt32LE(p + 4) : buf.readUInt32BE(p + 4);
      if (len < 12 || p + len > buf.length) break;
      const isPkt = type === 6 || type === 2;
      if (type === 3) {
        // Simple Packet Block: original length at +8, data at +12, captured = what fits.
        const orig = le ? buf.readUInt32LE(p + 8) : buf.readUInt32BE(p + 8);
        list.push({ at: p, len, type, data: p + 12, caplen: Math.min(orig, len - 16) });
      } else {
        const caplen = isPkt ? (le ? buf.readUInt32LE(p + 20) : buf.readUInt32BE(p + 20)) : 0;
        list.push({ at: p, len, type, data: isPkt ? p + 28 : -1, caplen });
      }
      p += len;
    }
    return { format: 'pcapng', le: buf.readUInt32LE(8) === 0x1a2b3c4d, list };
  }
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
  let p = 24;
  while (p + 16 <= buf.length) {
    const incl = le ? buf.readUInt32LE(p + 8) : buf.readUInt32BE(p + 8);
    if (p + 16 + incl > buf.length) break;
    list.push({ at: p, len: 16 + incl, type: -1, data: p + 16, caplen: incl });
    p += 16 + incl;
  }
  return { format: 'pcap', le, list };
}

/**
 * Offsets of interesting header fields inside one Ethernet / Linux SLL / SLL2 frame carrying IPv4
 * or IPv6 (one VLAN tag allowed): the IP header start, the transport header start, and the
 * embedded IP header of an ICMP error or a VXLAN / Geneve / GRE tunnel. Null when the frame is not one of those.
 */
export function headerOffsets(frame: Uint8Array, linkType: number): { ip: number; l4: number; proto: number; inner: number } | null {
  let p: number;
  let et: number;
  if (linkType === 1) {
    p = 14;
    et = (frame[12] << 8) | frame[13];
    if (et === 0x8100 && frame.length >= 18) {
      et = (frame[16] << 8) | frame[17];
      p = 18;
    }
  } else if (linkType === 113) {
    p = 16;
    et = (frame[14] << 8) | frame[15];
  } else if (linkType === 276) {
    p = 20;
    et = (frame[0] << 8) | frame[1];
  } else if (linkType === 101 || linkType === 12 || linkType === 228 || linkType === 229) {
    p = 0;
    et = frame[0] >> 4 === 6 ? 0x86dd : 0x0800;
  } else return null;
  if (frame.length < p + 20) return null;
  let l4: number;
  let proto: number;
  if (et === 0x0800) {
    l4 = p + (frame[p] & 0x0f) * 4;
    proto = frame[p + 9];
  } else if (et === 0x86dd) {
    l4 = p + 40;
    proto = frame[p + 6];
  } else return null;
  let inner = -1;
  if ((proto === 1 || proto === 58) && frame.length >= l4 + 8 + 20) inner = l4 + 8;
  // VXLAN (UDP 4789 / 8472): inner Ethernet after UDP(8) + VXLAN(8); inner IP 14 bytes later.
  if (proto === 17 && frame.length >= l4 + 16 + 14 + 20) {
    const dport = (frame[l4 + 2] << 8) | frame[l4 + 3];
    if (dport === 4789 || dport === 8472) inner = l4 + 16 + 14;
    // Geneve (6081): UDP(8) + 8-byte header + options ((byte0 & 0x3f) * 4) + inner Ethernet.
    else if (dport === 6081) inner = l4 + 16 + (frame[l4 + 8] & 0x3f) * 4 + 14;
  }
  // GRE: 4-byte header + checksum/key/sequence words when the C/K/S bits are set.
  if (proto === 47 && frame.length >= l4 + 4 + 20) {
    const fl = frame[l4];
    inner = l4 + 4 + (fl & 0x80 ? 4 : 0) + (fl & 0x20 ? 4 : 0) + (fl & 0x10 ? 4 : 0);
    if (((frame[l4 + 2] << 8) | frame[l4 + 3]) === 0x6558) inner += 14; // transparent Ethernet bridging
  }
  if (inner >= frame.length) inner = -1;
  return { ip: p, l4, proto, inner };
}

import type { Frame } from '../capture/types.js';
import { Packet, Transport } from '../decode/packet.js';

/**
 * A decoded packet as a fixed row of 32-bit words: what the flow table and NAT linker read of a
 * frame and its Packet, so a decoding thread can hand packets over in shared memory.
 */
export const enum R {
  Frame = 0,
  /** Seconds since the epoch: low and high 32 bits (captures can claim times past 2106). */
  SecLo,
  SecHi,
  Nsec,
  /** transport | ipVersion << 4 | innerIpVersion << 8 | hasTimestamps << 12 | innerSeq present << 13 */
  Kind,
  SrcPort,
  DstPort,
  Flags,
  Seq,
  Ack,
  PayloadLength,
  IpLength,
  Window,
  Ttl,
  IpId,
  TsVal,
  TsEcr,
  Src,
  Dst = Src + 4,
  IcmpType = Dst + 4,
  IcmpCode,
  InnerProtocol,
  InnerSrcPort,
  InnerDstPort,
  InnerSeq,
  InnerSrc,
  InnerDst = InnerSrc + 4,
  Size = InnerDst + 4,
}

function putWords(out: Int32Array, at: number, bytes: Uint8Array, words: number): void {
  for (let w = 0, i = 0; w < words; w++, i += 4) {
    out[at + w] = (bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!;
  }
}

function getWords(from: Int32Array, at: number, bytes: Uint8Array, words: number): void {
  for (let w = 0, i = 0; w < words; w++, i += 4) {
    const x = from[at + w]!;
    bytes[i] = x >>> 24;
    bytes[i + 1] = (x >>> 16) & 255;
    bytes[i + 2] = (x >>> 8) & 255;
    bytes[i + 3] = x & 255;
  }
}

/** Writes frame + packet as the row at `o`. */
export function writeRecord(out: Int32Array, o: number, frame: Frame, p: Packet): void {
  out[o + R.Frame] = frame.frameNumber;
  out[o + R.SecLo] = frame.tsSec % 4294967296;
  out[o + R.SecHi] = Math.floor(frame.tsSec / 4294967296);
  out[o + R.Nsec] = frame.tsNsec;
  const transport = p.ipVersion === 0 ? Transport.None : p.transport;
  out[o + R.Kind] = transport | (p.ipVersion << 4) | (p.innerIpVersion << 8) | (p.hasTimestamps ? 1 << 12 : 0) |
    (p.innerSeq >= 0 ? 1 << 13 : 0);
  if (transport !== Transport.Tcp && transport !== Transport.IcmpError) return;
  const words = p.ipVersion === 4 ? 1 : 4;
  out[o + R.SrcPort] = p.srcPort;
  out[o + R.DstPort] = p.dstPort;
  out[o + R.Flags] = p.flags;
  out[o + R.Seq] = p.seq;
  out[o + R.Ack] = p.ack;
  out[o + R.PayloadLength] = p.payloadLength;
  out[o + R.IpLength] = p.ipLength;
  out[o + R.Window] = p.window;
  out[o + R.Ttl] = p.ttl;
  out[o + R.IpId] = p.ipId;
  out[o + R.TsVal] = p.tsVal;
  out[o + R.TsEcr] = p.tsEcr;
  putWords(out, o + R.Src, p.src, words);
  putWords(out, o + R.Dst, p.dst, words);
  if (transport !== Transport.IcmpError) return;
  const inner = p.innerIpVersion === 4 ? 1 : p.innerIpVersion === 6 ? 4 : 0;
  out[o + R.IcmpType] = p.icmpType;
  out[o + R.IcmpCode] = p.icmpCode;
  out[o + R.InnerProtocol] = p.innerProtocol;
  out[o + R.InnerSrcPort] = p.innerSrcPort;
  out[o + R.InnerDstPort] = p.innerDstPort;
  out[o + R.InnerSeq] = p.innerSeq;
  putWords(out, o + R.InnerSrc, p.innerSrc, inner);
  putWords(out, o + R.InnerDst, p.innerDst, inner);
}

/**
 * Reads the row at `o` into a reused frame and packet: the fields the flow table reads (the rest
 * of the packet is left as it was: nothing downstream of the decoder reads it).
 */
export function readRecord(from: Int32Array, o: number, frame: Frame, p: Packet): void {
  frame.frameNumber = from[o + R.Frame]! >>> 0;
  frame.tsSec = (from[o + R.SecLo]! >>> 0) + (from[o + R.SecHi]! >>> 0) * 4294967296;
  frame.tsNsec = from[o + R.Nsec]!;
  const kind = from[o + R.Kind]!;
  const transport = (kind & 15) as Transport;
  p.transport = transport;
  p.ipVersion = ((kind >>> 4) & 15) as 0 | 4 | 6;
  if (transport !== Transport.Tcp && transport !== Transport.IcmpError) return;
  const words = p.ipVersion === 4 ? 1 : 4;
  p.hasTimestamps = (kind & (1 << 12)) !== 0;
  p.srcPort = from[o + R.SrcPort]!;
  p.dstPort = from[o + R.DstPort]!;
  p.flags = from[o + R.Flags]!;
  p.seq = from[o + R.Seq]! >>> 0;
  p.ack = from[o + R.Ack]! >>> 0;
  p.payloadLength = from[o + R.PayloadLength]!;
  p.ipLength = from[o + R.IpLength]!;
  p.window = from[o + R.Window]!;
  p.ttl = from[o + R.Ttl]!;
  p.ipId = from[o + R.IpId]!;
  p.tsVal = from[o + R.TsVal]! >>> 0;
  p.tsEcr = from[o + R.TsEcr]! >>> 0;
  getWords(from, o + R.Src, p.src, words);
  getWords(from, o + R.Dst, p.dst, words);
  if (transport !== Transport.IcmpError) return;
  const innerVersion = ((kind >>> 8) & 15) as 0 | 4 | 6;
  p.innerIpVersion = innerVersion;
  const inner = innerVersion === 4 ? 1 : innerVersion === 6 ? 4 : 0;
  p.icmpType = from[o + R.IcmpType]!;
  p.icmpCode = from[o + R.IcmpCode]!;
  p.innerProtocol = from[o + R.InnerProtocol]!;
  p.innerSrcPort = from[o + R.InnerSrcPort]!;
  p.innerDstPort = from[o + R.InnerDstPort]!;
  p.innerSeq = (kind & (1 << 13)) !== 0 ? from[o + R.InnerSeq]! >>> 0 : -1;
  getWords(from, o + R.InnerSrc, p.innerSrc, inner);
  getWords(from, o + R.InnerDst, p.innerDst, inner);
}

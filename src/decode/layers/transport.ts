/** TCP (header and options) and UDP (which hands tunnel ports on to the UDP port table). */

import { u16, u32 } from '../bytes.js';
import { REASON_MALFORMED, REASON_SFLOW, REASON_SPLIT_HEADER, REASON_TRUNCATED } from '../constants.js';
import type { Dissection, DissectorTables } from '../dissection.js';
import { Transport, type Packet } from '../packet.js';

function tcp(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet): void {
  if (!cx.have(off + 20, end, out)) {
    // A first fragment too short for the header: the rest is in the next fragment (no reassembly here).
    if (out.moreFragments && off + 20 > end) out.undecodedReason = REASON_SPLIT_HEADER;
    return;
  }
  const hl = (d[off + 12]! >> 4) * 4;
  out.srcPort = u16(d, off);
  out.dstPort = u16(d, off + 2);
  out.seq = u32(d, off + 4);
  out.ack = u32(d, off + 8);
  out.flags = d[off + 13]!;
  out.window = u16(d, off + 14);
  if (hl < 20) {
    out.transport = Transport.Other;
    out.undecodedReason = REASON_MALFORMED;
    return;
  }
  out.transport = Transport.Tcp;
  out.tcpHeaderLength = hl;
  out.payloadLength = Math.max(end - off - hl, 0);
  out.payloadOffset = off + hl;
  out.capturedPayloadLength = Math.max(Math.min(end, cx.capEnd) - off - hl, 0);
  // Options: parse what was captured; flag a cut header.
  const optEnd = off + hl;
  const limit = Math.min(optEnd, end, cx.capEnd);
  if (optEnd > cx.capEnd) {
    out.truncatedHeaders = true;
    out.undecodedReason = REASON_TRUNCATED;
  } else if (optEnd > end) {
    out.undecodedReason = REASON_MALFORMED;
  }
  let p = off + 20;
  while (p < limit) {
    const kind = d[p]!;
    if (kind === 0) break; // end of option list
    if (kind === 1) { p++; continue; } // NOP
    if (p + 2 > limit) break;
    const len = d[p + 1]!;
    if (len < 2 || p + len > limit) break;
    switch (kind) {
      case 2: if (len === 4) out.mss = u16(d, p + 2); break;
      case 3: if (len === 3) out.windowScale = d[p + 2]!; break;
      case 4: out.sackPermitted = true; break;
      case 5: out.sackBlocks = (len - 2) >> 3; break;
      case 8:
        if (len === 10) {
          out.hasTimestamps = true;
          out.tsVal = u32(d, p + 2);
          out.tsEcr = u32(d, p + 6);
        }
        break;
      default: break;
    }
    p += len;
  }
}

function udp(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, depth: number): void {
  if (!cx.have(off + 8, end, out)) return;
  out.srcPort = u16(d, off);
  out.dstPort = u16(d, off + 2);
  out.transport = Transport.Udp;
  const ulen = u16(d, off + 4);
  const udpEnd = ulen >= 8 ? off + ulen : end; // 0 in jumbograms / GSO
  out.payloadLength = Math.max(udpEnd - off - 8, 0);
  out.payloadOffset = off + 8;
  out.capturedPayloadLength = Math.max(Math.min(udpEnd, cx.capEnd) - off - 8, 0);
  // Wireshark's order: the lower port first, then the higher one.
  const lo = out.srcPort < out.dstPort ? out.srcPort : out.dstPort;
  const hi = out.srcPort < out.dstPort ? out.dstPort : out.srcPort;
  const ports = cx.tables.udpPort;
  const next = ports.get(lo) ?? ports.get(hi);
  if (next !== undefined) next(cx, d, off + 8, udpEnd, out, depth);
}

/** sFlow datagrams quote sampled packet headers: not the capture's own traffic, but TCP a reader may look for. */
function sflow(_cx: Dissection, _d: Uint8Array, _off: number, _end: number, out: Packet): void {
  out.undecodedReason = REASON_SFLOW;
}

export function registerTransportLayers(tables: DissectorTables): void {
  tables.ipProtocol[6] = tcp;
  tables.ipProtocol[17] = udp;
  tables.udpPort.set(6343, sflow);
}

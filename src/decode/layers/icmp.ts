/** ICMP and ICMPv6 errors, with the IP and transport header of the packet they quote. */

import { copyAddr, u16, u32 } from '../bytes.js';
import { MAX_EXT_HEADERS, REASON_BAD_IP_VERSION } from '../constants.js';
import type { Dissection, DissectorTables } from '../dissection.js';
import { Transport, type Packet } from '../packet.js';

function isIcmp4Error(type: number): boolean {
  // dest-unreachable, source quench, redirect, time-exceeded, parameter problem
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

function isIcmp6Error(type: number): boolean {
  // dest-unreachable, packet-too-big, time-exceeded, parameter problem
  return type >= 1 && type <= 4;
}

/** An ICMP (v6: ICMPv6) message: an error quotes the packet it is about; any other is just "other". */
function icmpMessage(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet, v6: boolean): void {
  if (!cx.have(off + 8, end, out)) return;
  out.icmpType = d[off]!;
  out.icmpCode = d[off + 1]!;
  if (!(v6 ? isIcmp6Error(out.icmpType) : isIcmp4Error(out.icmpType))) {
    out.transport = Transport.Other;
    return;
  }
  out.transport = Transport.IcmpError;
  quote(cx, d, off + 8, end, out);
}

function icmp4(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet): void {
  icmpMessage(cx, d, off, end, out, false);
}

function icmp6(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet): void {
  icmpMessage(cx, d, off, end, out, true);
}

/** The embedded (offending) packet of an ICMP error: IP header + the first 8 transport bytes. */
function quote(cx: Dissection, d: Uint8Array, off: number, end: number, out: Packet): void {
  if (!cx.have(off + 1, end, out)) return;
  const v = d[off]! >> 4;
  let p: number;
  let proto: number;
  if (v === 4) {
    if (!cx.have(off + 20, end, out)) return;
    const ihl = (d[off]! & 0x0f) * 4;
    out.innerIpVersion = 4;
    copyAddr(out.innerSrc, d, off + 12, 4);
    copyAddr(out.innerDst, d, off + 16, 4);
    proto = d[off + 9]!;
    out.innerProtocol = proto;
    if (ihl < 20 || (u16(d, off + 6) & 0x1fff) !== 0) return; // bad header / non-first fragment
    p = off + ihl;
  } else if (v === 6) {
    if (!cx.have(off + 40, end, out)) return;
    out.innerIpVersion = 6;
    copyAddr(out.innerSrc, d, off + 8, 16);
    copyAddr(out.innerDst, d, off + 24, 16);
    proto = d[off + 6]!;
    p = off + 40;
    for (let i = 0; i < MAX_EXT_HEADERS; i++) {
      if (proto === 0 || proto === 43 || proto === 60 || proto === 51) {
        if (!cx.have(p + 2, end, out)) { out.innerProtocol = proto; return; }
        const len = proto === 51 ? (d[p + 1]! + 2) * 4 : (d[p + 1]! + 1) * 8;
        proto = d[p]!;
        p += len;
      } else if (proto === 44) {
        if (!cx.have(p + 8, end, out)) { out.innerProtocol = proto; return; }
        const nonFirst = (u16(d, p + 2) & 0xfff8) !== 0;
        proto = d[p]!;
        p += 8;
        if (nonFirst) { out.innerProtocol = proto; return; }
      } else break;
    }
    out.innerProtocol = proto;
  } else {
    out.undecodedReason = REASON_BAD_IP_VERSION;
    return;
  }
  // TCP, UDP, SCTP, UDP-Lite, DCCP: ports in the first 4 bytes.
  if (proto === 6 || proto === 17 || proto === 132 || proto === 136 || proto === 33) {
    if (!cx.have(p + 4, end, out)) return;
    out.innerSrcPort = u16(d, p);
    out.innerDstPort = u16(d, p + 2);
    if (proto === 6 && cx.have(p + 8, end, out)) out.innerSeq = u32(d, p + 4);
  }
}

export function registerIcmpLayers(tables: DissectorTables): void {
  tables.ipProtocol[1] = icmp4;
  tables.ipProtocol[58] = icmp6;
}

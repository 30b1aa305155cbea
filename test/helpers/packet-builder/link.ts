/** Link-layer builders: Ethernet (with VLAN tags), Linux cooked v1/v2, BSD loopback, NFLOG. */

import { concat, macBytes, put16, put32, put32le } from './bytes.js';

export interface EthernetOpts {
  src?: string;
  dst?: string;
  /** VLAN ids, outermost first. */
  vlan?: number[];
  /** TPIDs for the tags (default: 0x88a8 for all outer tags when there are several, 0x8100 inner). */
  tpid?: number[];
  type: number;
}

export function ethernet(o: EthernetOpts, payload: Uint8Array): Uint8Array {
  const vl = o.vlan ?? [];
  const h = new Uint8Array(14 + 4 * vl.length);
  h.set(macBytes(o.dst ?? '02:00:00:00:00:02'), 0);
  h.set(macBytes(o.src ?? '02:00:00:00:00:01'), 6);
  let p = 12;
  vl.forEach((id, i) => {
    const tpid = o.tpid?.[i] ?? (i < vl.length - 1 ? 0x88a8 : 0x8100);
    put16(h, p, tpid);
    put16(h, p + 2, id & 0x0fff);
    p += 4;
  });
  put16(h, p, o.type);
  return concat(h, payload);
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113). pktType: 0 host … 4 outgoing. */
export function sll(o: { pktType: number; protocol: number; arphrd?: number; addr?: string }, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(16);
  put16(h, 0, o.pktType);
  put16(h, 2, o.arphrd ?? 1);
  const mac = macBytes(o.addr ?? '02:00:00:00:00:01');
  put16(h, 4, mac.length);
  h.set(mac, 6);
  put16(h, 14, o.protocol);
  return concat(h, payload);
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276): what `tcpdump -i any` writes. */
export function sll2(o: { ifIndex: number; pktType: number; protocol: number; arphrd?: number; addr?: string }, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(20);
  put16(h, 0, o.protocol);
  put32(h, 4, o.ifIndex);
  put16(h, 8, o.arphrd ?? 1);
  h[10] = o.pktType;
  const mac = macBytes(o.addr ?? '02:00:00:00:00:01');
  h[11] = mac.length;
  h.set(mac, 12);
  return concat(h, payload);
}

/** BSD loopback: LINKTYPE_NULL (0) in host order (little-endian by default), LINKTYPE_LOOP (108) in network order. */
export function nullLoopback(o: { af: number; bigEndian?: boolean }, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(4);
  if (o.bigEndian) put32(h, 0, o.af);
  else put32le(h, 0, o.af);
  return concat(h, payload);
}

/**
 * LINKTYPE_NFLOG (239): header (family 2 AF_INET / 10 AF_INET6, version 0, resource id), then
 * an NFULA_PREFIX TLV and the NFULA_PAYLOAD (type 9) TLV holding the packet (little-endian TLVs).
 */
export function nflog(o: { af: number; group?: number; prefix?: string }, payload: Uint8Array): Uint8Array {
  const tlv = (type: number, body: Uint8Array): Uint8Array => {
    const len = 4 + body.length;
    const b = new Uint8Array((len + 3) & ~3);
    b[0] = len & 0xff;
    b[1] = len >> 8;
    b[2] = type & 0xff;
    b[3] = type >> 8;
    b.set(body, 4);
    return b;
  };
  const h = new Uint8Array(4);
  h[0] = o.af;
  put16(h, 2, o.group ?? 5);
  const prefix = new TextEncoder().encode((o.prefix ?? 'rstdiag') + '\0');
  return concat(h, tlv(10, prefix), tlv(9, payload));
}

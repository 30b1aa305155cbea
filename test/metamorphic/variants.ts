/**
 * Metamorphic variants of a capture: pure functions from frames to new frames (the input is never
 * modified). Each one changes something that must not change the diagnosis, or may only weaken it
 * (invariant.ts says how an outcome is judged):
 *
 *   dropFrame(frames, i)          one packet lost (the capture missed it)
 *   addAnyCopy(frames, i)         packet i seen again on another interface, as `tcpdump -i any` does
 *   anyCopies(frames)             the frames that are such copies (removeAnyCopy = dropFrame of one)
 *   stripTimestamps(frames)       every TCP timestamps option replaced by NOPs (checksums fixed)
 *   shiftTime(frames, s)          every timestamp moved by s seconds
 *   withBackground(frames, n)     n complete HTTP-like connections between other hosts merged in
 *   snapLength(frames, n)         captured bytes cut to n, original length kept (tcpdump -s n)
 *   toIpv6(frames)                in ipv6.ts
 *
 * Frame numbers are renumbered 1..n, as a capture file written from the variant would number them.
 */

import type { Frame } from '../../src/capture/types.js';
import { ethernet, ipv4, sll2, tcp } from '../helpers/packet-builder.js';
import {
  LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, VXLAN_PORTS, atTime, fixTransportChecksum, ipHeader, linkLayer, put16, relTime,
  renumber, u16, withData,
} from './frames.js';

/** How far after the original an added `-i any` copy is stamped (at most; see addAnyCopy). */
export const COPY_DELAY = 20e-6;

export function dropFrame(frames: readonly Frame[], i: number): Frame[] {
  return renumber(frames.filter((_, j) => j !== i));
}

function ifIndexOf(f: Frame): number {
  return f.linkType === LINKTYPE_LINUX_SLL2 && f.data.length >= 8
    ? ((f.data[4]! << 24) | (f.data[5]! << 16) | (f.data[6]! << 8) | f.data[7]!) >>> 0
    : -1;
}

/**
 * An Ethernet frame as `tcpdump -i any` writes it (Linux SLL2 on interface `ifIndex`, the
 * Ethernet source address as the link address, VLAN tags gone); other frames unchanged.
 */
function asSll2(f: Frame, ifIndex: number): Frame {
  if (f.linkType !== LINKTYPE_ETHERNET) return f;
  const link = linkLayer(f.data, f.linkType);
  if (link === null) return f;
  const mac = [...f.data.subarray(6, 12)].map((b) => b.toString(16).padStart(2, '0')).join(':');
  const data = sll2({ ifIndex, pktType: 0, protocol: u16(f.data, link.typeOff), addr: mac }, f.data.subarray(link.ipOff));
  return { ...withData(f, data), linkType: LINKTYPE_LINUX_SLL2 };
}

/**
 * Packet i seen a second time on another interface, right after the original: an SLL2 capture
 * gets the same frame on an ifindex no frame uses; an Ethernet capture becomes an SLL2 capture
 * on interface 1 with the copy on interface 2. The copy is stamped COPY_DELAY later, or halfway
 * to the next frame when that comes sooner (a copy never overtakes the next packet).
 */
export function addAnyCopy(frames: readonly Frame[], i: number): Frame[] {
  const all = frames.map((f) => asSll2(f, 1));
  const original = all[i]!;
  if (original.linkType !== LINKTYPE_LINUX_SLL2) return renumber(all);
  const ifIndex = Math.max(1, ...all.map(ifIndexOf)) + 1;
  const data = original.data.slice();
  data[4] = (ifIndex >>> 24) & 0xff;
  data[5] = (ifIndex >>> 16) & 0xff;
  data[6] = (ifIndex >>> 8) & 0xff;
  data[7] = ifIndex & 0xff;
  const next = all[i + 1];
  const gap = next === undefined ? COPY_DELAY : relTime(next, original.tsSec) - relTime(original, original.tsSec);
  const copy: Frame = { ...original, data, ...atTime(original.tsSec, relTime(original, original.tsSec) + Math.min(COPY_DELAY, gap / 2)) };
  return renumber([...all.slice(0, i + 1), copy, ...all.slice(i + 1)]);
}

/**
 * Indices of the frames that are `-i any` copies: the same IP packet, byte for byte, as an
 * earlier frame on another interface less than 50 ms before (the flow table's copy window).
 */
export function anyCopies(frames: readonly Frame[]): number[] {
  const out: number[] = [];
  const key = (f: Frame): string | null => {
    const link = linkLayer(f.data, f.linkType);
    return link === null ? null : Buffer.from(f.data.subarray(link.ipOff)).toString('latin1');
  };
  const keys = frames.map((f) => (f.linkType === LINKTYPE_LINUX_SLL2 ? key(f) : null));
  for (let j = 1; j < frames.length; j++) {
    const k = keys[j];
    if (k === null) continue;
    const t = relTime(frames[j]!, frames[j]!.tsSec);
    for (let i = j - 1; i >= 0 && t - relTime(frames[i]!, frames[j]!.tsSec) <= 0.05; i--) {
      if (keys[i] === k && ifIndexOf(frames[i]!) !== ifIndexOf(frames[j]!)) {
        out.push(j);
        break;
      }
    }
  }
  return out;
}

/**
 * Calls `onTcp` with every TCP segment of the IP packet `ip`, also inside VXLAN; when it reports a
 * change, fixes the TCP checksum (and zeroes an IPv4 VXLAN UDP checksum, or recomputes an IPv6 one).
 * Modifies `ip` in place; returns whether anything changed.
 */
function eachTcp(ip: Uint8Array, onTcp: (segment: Uint8Array) => boolean, depth = 0): boolean {
  const h = ipHeader(ip);
  if (h === null || (h.version === 4 && (u16(ip, 6) & 0x3fff) !== 0)) return false;
  const l4 = ip.subarray(h.hl, h.end);
  if (h.proto === 6 && l4.length >= 20) {
    if (!onTcp(l4)) return false;
    fixTransportChecksum(ip, h);
    return true;
  }
  if (h.proto !== 17 || depth > 2 || l4.length < 16 + 14 || !VXLAN_PORTS.includes(u16(l4, 2))) return false;
  const inner = l4.subarray(16);
  const link = linkLayer(inner, LINKTYPE_ETHERNET);
  if (link === null || !eachTcp(inner.subarray(link.ipOff), onTcp, depth + 1)) return false;
  if (h.version === 4) put16(l4, 6, 0);
  else fixTransportChecksum(ip, h);
  return true;
}

/** Replaces the timestamps option (kind 8) of one TCP segment with NOPs; whether there was one. */
function stripSegmentTimestamps(seg: Uint8Array): boolean {
  const end = Math.min(seg.length, (seg[12]! >> 4) * 4);
  let changed = false;
  for (let o = 20; o < end;) {
    const kind = seg[o]!;
    if (kind === 0) break;
    if (kind === 1) {
      o++;
      continue;
    }
    const len = o + 1 < end ? seg[o + 1]! : 0;
    if (len < 2) break;
    if (kind === 8) {
      seg.fill(1, o, Math.min(end, o + len));
      changed = true;
    }
    o += len;
  }
  return changed;
}

/** Every TCP timestamps option (also in VXLAN-encapsulated segments) replaced by NOPs. */
export function stripTimestamps(frames: readonly Frame[]): Frame[] {
  return renumber(frames.map((f) => {
    const link = linkLayer(f.data, f.linkType);
    if (link === null) return f;
    const data = f.data.slice();
    return eachTcp(data.subarray(link.ipOff), stripSegmentTimestamps) ? { ...f, data } : f;
  }));
}

export function shiftTime(frames: readonly Frame[], seconds: number): Frame[] {
  return renumber(frames.map((f) => ({ ...f, ...atTime(f.tsSec, relTime(f, f.tsSec) + seconds) })));
}

/** Captured bytes cut to `snap` (original length kept), as `tcpdump -s snap` records them. */
export function snapLength(frames: readonly Frame[], snap: number): Frame[] {
  return renumber(frames.map((f) => (f.capturedLength <= snap ? f : { ...f, data: f.data.slice(0, snap), capturedLength: snap })));
}

/** One healthy request/response connection from client `k` to a server no sample uses. */
function healthyConnection(k: number): Array<{ dt: number; ip: Uint8Array }> {
  const client = `10.244.7.${10 + k}`;
  const server = '10.244.8.20';
  const cport = 51000 + k;
  const c0 = 1_000_000 * (k + 1);
  const s0 = 2_000_000_000 + 7_000_000 * k;
  let cid = 100 * k;
  let sid = 5000 + 100 * k;
  let ts = 10_000 * (k + 1);
  const rows: Array<[fromClient: boolean, flags: 'S' | 'SA' | 'A' | 'PA' | 'FA', seq: number, ack: number, len: number]> = [
    [true, 'S', c0, 0, 0], [false, 'SA', s0, c0 + 1, 0], [true, 'A', c0 + 1, s0 + 1, 0],
    [true, 'PA', c0 + 1, s0 + 1, 80], [false, 'A', s0 + 1, c0 + 81, 0], [false, 'PA', s0 + 1, c0 + 81, 300],
    [true, 'A', c0 + 81, s0 + 301, 0], [true, 'FA', c0 + 81, s0 + 301, 0], [false, 'FA', s0 + 301, c0 + 82, 0],
    [true, 'A', c0 + 82, s0 + 302, 0],
  ];
  return rows.map(([fromClient, flags, seq, ack, len], j) => {
    ts += 1;
    const segment = tcp({
      sport: fromClient ? cport : 8080, dport: fromClient ? 8080 : cport, seq, ack, flags,
      ts: [ts + (fromClient ? 0 : 500_000), j === 0 ? 0 : ts + (fromClient ? 499_999 : -1)],
      mss: flags === 'S' || flags === 'SA' ? 1460 : undefined,
    }, new Uint8Array(len).fill(0x61));
    const ip = ipv4({ src: fromClient ? client : server, dst: fromClient ? server : client, proto: 6, ttl: 64,
      id: fromClient ? cid++ : sid++, flags: 'DF' }, segment);
    return { dt: j * 0.0005, ip };
  });
}

/**
 * The capture merged with `n` complete HTTP-like connections between hosts of their own
 * (10.244.7.x → 10.244.8.20:8080), each 5 ms long, started at evenly spaced points across the
 * capture, in the capture's own link type. Stable merge: at equal times the sample's frame first.
 */
export function withBackground(frames: readonly Frame[], n: number): Frame[] {
  if (frames.length === 0) return [];
  const base = frames[0]!.tsSec;
  const start = relTime(frames[0]!, base);
  const span = relTime(frames[frames.length - 1]!, base) - start;
  const cooked = frames[0]!.linkType === LINKTYPE_LINUX_SLL2;
  const extra: Frame[] = [];
  for (let k = 0; k < n; k++) {
    const t0 = start + (span * (k + 0.5)) / n;
    for (const { dt, ip } of healthyConnection(k)) {
      const data = cooked ? sll2({ ifIndex: 1, pktType: 0, protocol: 0x0800 }, ip) : ethernet({ type: 0x0800 }, ip);
      extra.push({ ...withData(frames[0]!, data), fileOffset: 0, ...atTime(base, t0 + dt) });
    }
  }
  const merged = [...frames, ...extra].map((f, order) => ({ f, order, t: relTime(f, base) }));
  merged.sort((a, b) => a.t - b.t || a.order - b.order);
  return renumber(merged.map((m) => m.f));
}

/**
 * Metamorphic tests, the plumbing: a sample capture read once into owned frames (the reader's
 * frames are reused views), the link-layer facts the variants need, and the in-memory analysis
 * (frames → Pipeline → buildAnalysis, as test/helpers/rule-tester.ts does for packet tables).
 */

import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { readCapture } from '../../src/capture/reader.js';
import type { Frame } from '../../src/capture/types.js';
import { analyzeFrames as analyzeInMemory } from '../helpers/in-memory.js';
import type { RuleId, Severity } from '../../src/rules/types.js';
import { inetChecksum } from '../helpers/packet-builder.js';

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_LINUX_SLL2 = 276;
export const VXLAN_PORTS: readonly number[] = [4789, 8472];

/** One line of `X.pcap.expected.json`. */
export interface ExpectedFinding {
  rule: RuleId;
  client: string;
  server: string;
  backend: string | null;
  resetBy: string | null;
  count: number;
}

export interface Sample {
  /** Path relative to samples/, e.g. "brnf-off/client-eth0.pcap". */
  name: string;
  frames: Frame[];
  expected: ExpectedFinding[];
}

/** What one analysis gave: the findings that matter to the invariant and the reset count. */
export interface Result {
  findings: Array<{ rule: RuleId; severity: Severity; messageId: string; frames: number[]; summary: string }>;
  resets: number;
  packets: number;
}

export interface AnalyzeOptions {
  serviceCidrs?: string[];
}

/** A capture read into frames that own their bytes. */
export async function loadSample(path: string, samplesDir: string): Promise<Sample> {
  const frames: Frame[] = [];
  await readCapture(path, (f) => frames.push({ ...f, data: f.data.slice() }));
  const expected = (JSON.parse(readFileSync(`${path}.expected.json`, 'utf8')) as { findings: ExpectedFinding[] }).findings;
  return { name: relative(samplesDir, path), frames, expected };
}

/** Frames numbered 1..n in order, as a capture file written from them would number them. */
export function renumber(frames: readonly Frame[]): Frame[] {
  return frames.map((f, i) => (f.frameNumber === i + 1 ? f : { ...f, frameNumber: i + 1 }));
}

/** A frame with new bytes (captured = original length: the whole packet is there). */
export function withData(f: Frame, data: Uint8Array): Frame {
  return { ...f, data, capturedLength: data.length, originalLength: data.length };
}

/** Seconds (float) of a frame's timestamp, relative to `base` seconds to keep precision. */
export function relTime(f: Frame, baseSec: number): number {
  return f.tsSec - baseSec + f.tsNsec / 1e9;
}

/** The timestamp `t` seconds after `baseSec`, as a frame carries it. */
export function atTime(baseSec: number, t: number): { tsSec: number; tsNsec: number } {
  const ns = Math.round(t * 1e9);
  return { tsSec: baseSec + Math.floor(ns / 1e9), tsNsec: ((ns % 1e9) + 1e9) % 1e9 };
}

/**
 * Where the network header of a frame starts and where its EtherType-like protocol field is, for
 * the link types the samples use (Ethernet with optional VLAN tags, Linux SLL2); null otherwise.
 */
export function linkLayer(data: Uint8Array, linkType: number): { ipOff: number; typeOff: number } | null {
  if (linkType === LINKTYPE_LINUX_SLL2) return data.length >= 20 ? { ipOff: 20, typeOff: 0 } : null;
  if (linkType !== LINKTYPE_ETHERNET) return null;
  let typeOff = 12;
  while (typeOff + 2 <= data.length && (u16(data, typeOff) === 0x8100 || u16(data, typeOff) === 0x88a8)) typeOff += 4;
  return typeOff + 2 <= data.length ? { ipOff: typeOff + 2, typeOff } : null;
}

export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

/** The IPv4 / IPv6 header facts the variants need, or null when `ip` is neither. */
export function ipHeader(ip: Uint8Array): { version: 4 | 6; hl: number; proto: number; end: number } | null {
  const v = ip.length > 0 ? ip[0]! >> 4 : 0;
  if (v === 4 && ip.length >= 20) {
    const hl = (ip[0]! & 0x0f) * 4;
    return { version: 4, hl, proto: ip[9]!, end: Math.min(ip.length, u16(ip, 2)) };
  }
  if (v === 6 && ip.length >= 40) return { version: 6, hl: 40, proto: ip[6]!, end: Math.min(ip.length, 40 + u16(ip, 4)) };
  return null;
}

/**
 * Recompute the TCP or UDP checksum of the segment at `ip[hl..end)` in place (pseudo-header of
 * the IPv4 or IPv6 packet `ip`). The decoder does not verify checksums; the variants keep them
 * right anyway, so a variant written to a file is a valid capture for tshark too.
 */
export function fixTransportChecksum(ip: Uint8Array, h: { version: 4 | 6; hl: number; proto: number; end: number }): void {
  const off = h.proto === 6 ? 16 : h.proto === 17 ? 6 : -1;
  const seg = ip.subarray(h.hl, h.end);
  if (off < 0 || seg.length < off + 2) return;
  const pseudo = h.version === 4 ? new Uint8Array(12) : new Uint8Array(40);
  if (h.version === 4) {
    pseudo.set(ip.subarray(12, 20), 0);
    pseudo[9] = h.proto;
    put16(pseudo, 10, seg.length);
  } else {
    pseudo.set(ip.subarray(8, 40), 0);
    put16(pseudo, 36, seg.length >>> 16);
    put16(pseudo, 38, seg.length & 0xffff);
    pseudo[39] = h.proto;
  }
  put16(seg, off, 0);
  let c = inetChecksum(pseudo, seg);
  if (h.proto === 17 && c === 0) c = 0xffff;
  put16(seg, off, c);
}

/** frames → decoder → flow table → NAT linker → rules → report model, all in memory. */
export function analyzeFrames(frames: readonly Frame[], options: AnalyzeOptions = {}): Result {
  const analysis = analyzeInMemory(frames, { serviceCidrs: options.serviceCidrs, path: 'metamorphic' });
  return {
    findings: analysis.findings.map((f) => ({ rule: f.rule, severity: f.severity, messageId: f.messageId, frames: f.frames, summary: f.summary })),
    resets: analysis.report.summary.resets,
    packets: frames.length,
  };
}

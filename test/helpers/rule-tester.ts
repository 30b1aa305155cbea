/**
 * RuleTester: one rule tested on its own, ESLint style. A case is a packet table (plain rows);
 * the tester builds the bytes, feeds them as in-memory frames through the real decoder, flow
 * table, NAT linker and every rule, and compares the named rule's findings with the case.
 *
 *   new RuleTester().run('connection-refused', { valid: [...], invalid: [...] });
 */

import { describe, expect, it } from 'vitest';
import ipaddr from 'ipaddr.js';
import type { Frame } from '../../src/capture/types.js';
import { analyzeFrames } from './in-memory.js';
import type { FindingWithEvidence } from '../../src/report/types.js';
import type { RuleId, Severity } from '../../src/rules/types.js';
import { ethernet, icmp6Error, icmpUnreachable, ipv4, ipv6, sll2, tcp, type TcpFlags } from './packet-builder.js';

/**
 * One row of a packet table: a TCP segment from `src` to `dst` ("10.0.0.2:40000",
 * "[fd00::2]:40000"). With `icmp`, the row is instead an ICMP / ICMPv6 error sent by `icmp.from`
 * to `src`'s address, quoting the TCP segment the rest of the row describes.
 */
export interface TablePacket {
  /** Seconds after the start of the capture. */
  t: number;
  src: string;
  dst: string;
  flags: TcpFlags;
  seq: number;
  ack?: number;
  /** Payload bytes (default 0). */
  len?: number;
  /** IPv4 TTL / IPv6 hop limit (default 64). */
  ttl?: number;
  /** IPv4 identification (default 0). */
  id?: number;
  /** TCP timestamps option [tsval, tsecr]. */
  ts?: [number, number];
  /** TCP window (default 65535). */
  win?: number;
  /** The row is an ICMP error (IPv4: type 3 code 3 by default; IPv6: type 1 code 4) quoting the segment. */
  icmp?: { type?: number; code?: number; from: string; ttl?: number };
  /**
   * Also emit the same packet again right after it (same time), as `tcpdump -i any` records a
   * packet crossing two interfaces. A table with any copy (or any `ifIndex`) is written as
   * Linux SLL2 frames throughout.
   */
  copy?: boolean;
  /** SLL2 interface index of this row (default 1; its copy gets ifIndex + 1). */
  ifIndex?: number;
}

/** A finding of the rule under test, as the report gives it (compared field by field). */
export interface ExpectedFinding {
  /** Compared when the finding carries a messageId (the ESLint-style conversion). */
  messageId: string;
  severity: Severity;
  resetBy: 'client' | 'server' | 'middlebox' | null;
  count: number;
  /** Evidence frame numbers, sorted (row order, 1-based, copies counted). */
  frames: number[];
  client?: string | null;
  server?: string | null;
  backend?: string | null;
  /** injected-reset: the detector names, compared when the finding carries them. */
  detectors?: string[];
}

interface CaseBase {
  name: string;
  packets: TablePacket[];
  /** Overrides the tester's serviceCidrs for this case. */
  serviceCidrs?: string[];
}

/** The rule must not fire; with `firesInstead`, that (neighbouring) rule must fire. */
export interface ValidCase extends CaseBase {
  firesInstead?: RuleId | RuleId[];
}

/** The rule must fire, with exactly these findings (in report order). */
export interface InvalidCase extends CaseBase {
  findings: ExpectedFinding[];
}

export type RuleCase = ValidCase | InvalidCase;

export interface RuleCases {
  valid: ValidCase[];
  invalid: InvalidCase[];
}

export interface RuleTesterOptions {
  serviceCidrs?: string[];
  /** false: every rule examines every connection (see AnalyzeOptions.routeRules). */
  routeRules?: boolean;
}

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL2 = 276;
const START_SEC = 1_700_000_000;
/** Copies of one packet (`copy: true`) are this far apart, well inside the flow table's copy window. */
const COPY_DELAY = 0.00001;
/** SLL2 packet type PACKET_OUTGOING, the same for every row: the tables do not model direction. */
const PACKET_OUTGOING = 4;

/** "10.0.0.2:40000" / "[fd00::2]:40000" → address and port. */
function endpoint(text: string): { addr: string; port: number; v6: boolean } {
  const m = /^\[(.+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m || !ipaddr.isValid(m[1]!)) throw new Error(`RuleTester: bad endpoint "${text}" (want ip:port or [ipv6]:port)`);
  return { addr: m[1]!, port: Number(m[2]), v6: m[1]!.includes(':') };
}

/** The IP packet of a row (the TCP segment, or the ICMP error quoting it). */
function ipPacket(row: TablePacket): { v6: boolean; bytes: Uint8Array } {
  const src = endpoint(row.src);
  const dst = endpoint(row.dst);
  if (src.v6 !== dst.v6) throw new Error(`RuleTester: ${row.src} → ${row.dst} mixes IPv4 and IPv6`);
  const payload = new Uint8Array(row.len ?? 0).fill(0x61);
  const segment = tcp({ sport: src.port, dport: dst.port, seq: row.seq >>> 0, ack: (row.ack ?? 0) >>> 0, flags: row.flags,
    ts: row.ts, window: row.win }, payload);
  const hops = row.ttl ?? 64;
  const ip = src.v6
    ? ipv6({ src: src.addr, dst: dst.addr, nextHeader: 6, hopLimit: hops }, segment)
    : ipv4({ src: src.addr, dst: dst.addr, proto: 6, ttl: hops, id: row.id ?? 0, flags: 'DF' }, segment);
  const icmp = row.icmp;
  if (icmp === undefined) return { v6: src.v6, bytes: ip };
  const ttl = icmp.ttl ?? 64;
  const bytes = src.v6
    ? ipv6({ src: icmp.from, dst: src.addr, nextHeader: 58, hopLimit: ttl }, icmp6Error({ type: icmp.type, code: icmp.code }, ip))
    : ipv4({ src: icmp.from, dst: src.addr, proto: 1, ttl }, icmpUnreachable({ type: icmp.type, code: icmp.code }, ip));
  return { v6: src.v6, bytes };
}

/** The rows as capture frames, numbered 1..n in order (a row with `copy` makes two). */
export function tableFrames(rows: readonly TablePacket[]): Frame[] {
  const cooked = rows.some((r) => r.copy === true || r.ifIndex !== undefined);
  const frames: Frame[] = [];
  const push = (t: number, ip: { v6: boolean; bytes: Uint8Array }, ifIndex: number): void => {
    const protocol = ip.v6 ? 0x86dd : 0x0800;
    const data = cooked
      ? sll2({ ifIndex, pktType: PACKET_OUTGOING, protocol }, ip.bytes)
      : ethernet({ type: protocol }, ip.bytes);
    const ns = Math.round(t * 1e9);
    frames.push({
      frameNumber: frames.length + 1, tsSec: START_SEC + Math.floor(ns / 1e9), tsNsec: ns % 1e9,
      linkType: cooked ? LINKTYPE_LINUX_SLL2 : LINKTYPE_ETHERNET, interfaceId: 0,
      capturedLength: data.length, originalLength: data.length, fileOffset: 0, data,
    });
  };
  for (const row of rows) {
    const ip = ipPacket(row);
    const ifIndex = row.ifIndex ?? 1;
    push(row.t, ip, ifIndex);
    if (row.copy === true) push(row.t + COPY_DELAY, ip, ifIndex + 1);
  }
  return frames;
}

/** Every finding of every rule for a packet table, in report order (also handy to write a table). */
export function analyzeTable(rows: readonly TablePacket[], options: RuleTesterOptions = {}): FindingWithEvidence[] {
  return analyzeFrames(tableFrames(rows), { serviceCidrs: options.serviceCidrs, path: 'rule-tester', routeRules: options.routeRules }).findings;
}

/**
 * Every case is also analysed with each rule examining every connection: the findings must be the
 * same, or a rule's meta.appliesTo hid a connection it fires on.
 */
function expectRoutingHidesNothing(c: CaseBase, serviceCidrs: string[] | undefined, routed: readonly FindingWithEvidence[]): void {
  const everyConnection = analyzeTable(c.packets, { serviceCidrs, routeRules: false });
  expect(routed, `routing changed the findings; with every connection:\n${describeFindings(everyConnection)}`).toEqual(everyConnection);
}

/** A finding reduced to the fields a case states (detectors where the case names them). */
function observed(f: FindingWithEvidence, want: ExpectedFinding | undefined): Partial<ExpectedFinding> {
  const got: Partial<ExpectedFinding> = {
    messageId: f.messageId, severity: f.severity, resetBy: f.resetBy, count: f.count, frames: f.frames,
  };
  for (const key of ['client', 'server', 'backend'] as const) if (want !== undefined && key in want) got[key] = f[key];
  if (want?.detectors !== undefined) got.detectors = [...f.detectors];
  return got;
}

/** One line per finding, for failure messages: what did fire. */
function describeFindings(findings: readonly FindingWithEvidence[]): string {
  if (findings.length === 0) return 'no findings';
  return findings.map((f) => `${f.rule} ${f.severity} resetBy=${f.resetBy} count=${f.count} frames=[${f.frames.join(',')}]: ${f.summary}`).join('\n');
}

export class RuleTester {
  constructor(private readonly options: RuleTesterOptions = {}) {}

  /** Registers one vitest describe block for the rule, one test per case. */
  run(rule: RuleId, cases: RuleCases): void {
    const analyzeCase = (c: CaseBase): FindingWithEvidence[] => {
      const serviceCidrs = c.serviceCidrs ?? this.options.serviceCidrs;
      const all = analyzeTable(c.packets, { serviceCidrs });
      expectRoutingHidesNothing(c, serviceCidrs, all);
      return all;
    };
    describe(rule, () => {
      if (cases.valid.length > 0) describe('valid', () => {
        for (const c of cases.valid) {
          it(c.name, () => {
            const all = analyzeCase(c);
            const context = `findings:\n${describeFindings(all)}`;
            expect(all.filter((f) => f.rule === rule).map((f) => f.summary), context).toEqual([]);
            const instead = c.firesInstead === undefined ? [] : ([] as RuleId[]).concat(c.firesInstead);
            for (const other of instead) expect(all.some((f) => f.rule === other), `${other} should fire; ${context}`).toBe(true);
          });
        }
      });
      if (cases.invalid.length > 0) describe('invalid', () => {
        for (const c of cases.invalid) {
          it(c.name, () => {
            const all = analyzeCase(c);
            const mine = all.filter((f) => f.rule === rule);
            const got = mine.map((f, i) => observed(f, c.findings[i]));
            expect(got, `findings:\n${describeFindings(all)}`).toEqual(c.findings);
          });
        }
      });
    });
  }
}

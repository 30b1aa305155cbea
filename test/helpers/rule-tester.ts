/**
 * RuleTester: one rule tested on its own, ESLint style. A case is a packet table (plain rows);
 * the tester builds the bytes, feeds them as in-memory frames through the real decoder, flow
 * table, NAT linker and every rule, and compares the named rule's findings with the case.
 *
 *   new RuleTester().run('connection-refused', { valid: [...], invalid: [...] });
 */

import type { RuleId, Severity } from '../../src/rules/types.js';
import type { TcpFlags } from './packet-builder.js';

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
}

export class RuleTester {
  constructor(private readonly options: RuleTesterOptions = {}) {}

  /** Registers one vitest describe block for the rule, one test per case. */
  run(rule: RuleId, cases: RuleCases): void {
    void rule;
    void cases;
    void this.options;
    throw new Error('RuleTester: not implemented yet (stub)');
  }
}

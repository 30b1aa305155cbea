import { afterAll, describe, expect, test } from 'vitest';
import { join, relative } from 'node:path';
import { analyze, analyzeCapture } from '../../src/analysis/analyze.js';
import type { FindingDraft, MessageRef } from '../../src/rules/types.js';
import { conversationWriter, type ConversationPacket } from '../helpers/conversation.js';
import { ROOT, SAMPLES, sampleCaptures } from '../helpers/samples.js';

const RULE = 'idle-timeout';

// ------------------------------------------------------------------ minimal captures

const C = '10.0.0.2';
const S = '10.0.0.3';
const CP = 40200;
const SP = 8080;

type Pkt = ConversationPacket;
const conversation = conversationWriter({ client: C, server: S, clientPort: CP, serverPort: SP, timestamps: false }, 'rstdiag-idle-');
afterAll(() => conversation.cleanup());
const capture = (pkts: Pkt[]): string => conversation.write(pkts);

const CI = 1000;
const SI = 5000;
/** Handshake, request, reply (frames 1–6), then nothing. The server's packets come with TTL 62. */
function opened(): Pkt[] {
  return [
    { t: 0, from: 'c', flags: 'S', seq: CI },
    { t: 0.001, from: 's', flags: 'SA', seq: SI, ack: CI + 1, ttl: 62 },
    { t: 0.0011, from: 'c', flags: 'A', seq: CI + 1, ack: SI + 1 },
    { t: 0.002, from: 'c', flags: 'PA', seq: CI + 1, ack: SI + 1, len: 36 },
    { t: 0.003, from: 's', flags: 'PA', seq: SI + 1, ack: CI + 37, len: 41, ttl: 62 },
    { t: 0.0031, from: 'c', flags: 'A', seq: CI + 37, ack: SI + 42 },
  ];
}
/** After `idle` s the client sends again; the answer is a bare RST (seq = its ack) with this TTL. */
function resetAfter(idle: number, ttl: number): Pkt[] {
  const t = 0.0031 + idle;
  return [...opened(),
    { t, from: 'c', flags: 'PA', seq: CI + 37, ack: SI + 42, len: 36 },
    { t: t + 0.001, from: 's', flags: 'R', seq: SI + 42, ttl }];
}

/** The rules' findings before rendering: their message ids and data say what the rule concluded. */
async function findings(pkts: Pkt[]) {
  return (await analyzeCapture(capture(pkts))).drafts;
}

/** What an idle-timeout finding concluded: its message, the culprit sentence and the betrayals, with their data. */
function conclusion(d: FindingDraft): { messageId: string; idle: unknown; culprit: MessageRef; betrayals: readonly MessageRef[] } {
  const refs = (name: string): readonly MessageRef[] => d.data[name] as readonly MessageRef[];
  return { messageId: d.messageId, idle: d.data['idle'], culprit: refs('culprit')[0]!, betrayals: refs('betrayals') };
}

describe('idle-timeout: silent on every capture where it is not the truth', () => {
  const caps = sampleCaptures().filter((c) => !relative(SAMPLES, c).startsWith('idle/'));
  test('there are such captures', () => expect(caps.length).toBeGreaterThanOrEqual(25));
  for (const cap of caps) {
    test(relative(ROOT, cap), async () => {
      const a = await analyze([cap]);
      expect(a.report.findings.filter((f) => f.rule === RULE)).toEqual([]);
    });
  }
});

describe('idle-timeout: real middlebox timeouts (samples/idle, lab/idle.sh)', () => {
  const cases = [
    // Last packet before the idle, the client's request after it, the lb's RST (verified with tshark).
    { cap: 'idle/client-eth0.pcap', frames: [7, 8, 9], backend: null, shows: {
      idle: '25.0', culprit: { messageId: 'culpritBelowDefaults', data: { natNode: false } },
      betrayals: [{ messageId: 'betrayedByTtl', data: { ttl: 64, usualLow: 63, usualHigh: 63 } }] } },
    { cap: 'idle/lb-any.pcap', frames: [13, 15, 16], backend: '10.244.0.3:8080', shows: {
      idle: '25.0', culprit: { messageId: 'culpritBelowDefaults', data: { natNode: true } },
      betrayals: [{ messageId: 'betrayedByTtl' }, { messageId: 'betrayedByNat' }] } },
    { cap: 'idle/client-eth0-350s.pcap', frames: [7, 8, 9], backend: null, shows: {
      idle: '355', culprit: { messageId: 'culpritKnown', data: { seconds: 350 } } } },
  ];
  for (const c of cases) {
    test(c.cap, async () => {
      const a = await analyze([join(SAMPLES, c.cap)]);
      expect(a.report.findings.map((f) => f.rule)).toEqual([RULE]);
      const f = a.report.findings[0]!;
      expect(f).toMatchObject({
        severity: 'error', resetBy: 'middlebox', resetSender: '10.96.0.20', client: '10.244.1.2:40091',
        server: '10.96.0.20:80', backend: c.backend, count: 1, frames: c.frames,
      });
      const drafts = (await analyzeCapture(join(SAMPLES, c.cap))).drafts;
      expect(drafts).toHaveLength(1);
      expect(conclusion(drafts[0]!)).toMatchObject({ messageId: 'middlebox', ...c.shows });
      expect(f.remediation.join(' ')).toContain('tcp_keepalive_time');
    });
  }
});

describe('idle-timeout: minimal captures', () => {
  const cases: { name: string; pkts: Pkt[]; rule: string | null; resetBy?: string; shows?: object }[] = [
    { name: '245 s idle, RST with the server\'s own TTL: Azure LB default, resetBy server',
      pkts: resetAfter(245, 62), rule: RULE, resetBy: 'server',
      shows: { messageId: 'onPath', culprit: { messageId: 'culpritKnown', data: { seconds: 240 } } } },
    { name: '1210 s idle: GCP Cloud NAT', pkts: resetAfter(1210, 62), rule: RULE, resetBy: 'server',
      shows: { messageId: 'onPath', culprit: { messageId: 'culpritKnown', data: { seconds: 1200 } } } },
    { name: '500 s idle: only an upper bound, the defaults below it listed',
      pkts: resetAfter(500, 62), rule: RULE, resetBy: 'server', shows: { messageId: 'onPath', idle: '500', culprit: { messageId: 'culpritAtMost',
      data: { defaults: [{ messageId: 'knownTimeout', data: { seconds: 240 } }, { messageId: 'knownTimeout', data: { seconds: 350 } }] } } } },
    { name: '605 s idle: a GCP VPC firewall\'s connection tracking (a candidate)', pkts: resetAfter(605, 62), rule: RULE, resetBy: 'server',
      shows: { messageId: 'onPath', culprit: { messageId: 'culpritKnown', data: { seconds: 600 } } } },
    { name: '910 s idle: IPVS\'s TCP timeout', pkts: resetAfter(910, 62), rule: RULE, resetBy: 'server',
      shows: { messageId: 'onPath', culprit: { messageId: 'culpritKnown', data: { seconds: 900 } } } },
    { name: '1805 s idle: Azure outbound rules at 30 min', pkts: resetAfter(1805, 62), rule: RULE, resetBy: 'server',
      shows: { messageId: 'onPath', culprit: { messageId: 'culpritKnown', data: { seconds: 1800 } } } },
    { name: '70 s idle, RST with TTL 64 (the server\'s are 62): a middlebox', pkts: resetAfter(70, 64), rule: RULE, resetBy: 'middlebox',
      shows: { messageId: 'middlebox', betrayals: [{ messageId: 'betrayedByTtl', data: { hops: 2, closer: true } }] } },
    { name: '30 s idle, RST with the server\'s TTL: not an idle timeout (stale-connection says the server lost it)',
      pkts: resetAfter(30, 62), rule: 'stale-connection' },
    { name: '30 s idle, RST one hop closer than the server: a middlebox with a short timeout',
      pkts: resetAfter(30, 63), rule: RULE, resetBy: 'middlebox', shows: { messageId: 'middlebox', culprit: { messageId: 'culpritBelowDefaults' } } },
    { name: '4 s idle (like samples/stale): below the threshold', pkts: resetAfter(4, 62), rule: 'stale-connection' },
    { name: '4 s idle, RST 2 hops closer than the server: not idle-related, a RST made in the server\'s name (injected-reset)',
      pkts: resetAfter(4, 64), rule: 'injected-reset' },
    { name: 'both ends reset at the idle boundary: a middlebox',
      pkts: [...opened(),
        { t: 300.0031, from: 's', flags: 'R', seq: SI + 42, ttl: 62 },
        { t: 300.0032, from: 'c', flags: 'R', seq: CI + 37 }],
      rule: RULE, resetBy: 'middlebox', shows: { messageId: 'middlebox', betrayals: [{ messageId: 'betrayedByBothWays' }] } },
    { name: 'a long idle, then the server answers normally and closes: silent',
      pkts: [...opened(),
        { t: 400, from: 'c', flags: 'PA', seq: CI + 37, ack: SI + 42, len: 36 },
        { t: 400.001, from: 's', flags: 'PA', seq: SI + 42, ack: CI + 73, len: 41, ttl: 62 },
        { t: 400.002, from: 'c', flags: 'A', seq: CI + 73, ack: SI + 83 }],
      rule: null },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const f = await findings(c.pkts);
      const shown = f.filter((x) => x.severity !== 'info');
      expect(shown.map((x) => x.rule)).toEqual(c.rule === null ? [] : [c.rule]);
      if (c.rule !== RULE) return;
      // Only a RST its purported sender did not make excludes the server's own idle close or restart.
      const severity = c.resetBy === 'middlebox' ? 'error' : 'warning';
      expect(shown[0]).toMatchObject({ resetBy: c.resetBy, severity, resetSender: S, client: `${C}:${CP}`, server: `${S}:${SP}` });
      expect(conclusion(shown[0]!)).toMatchObject(c.shows ?? {});
    });
  }
});

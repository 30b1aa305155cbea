import { describe, expect, test } from 'vitest';
import { join } from 'node:path';
import type { ConnEvent } from '../../src/flow/types.js';
import type { FindingDraft, RuleId, Severity } from '../../src/rules/types.js';
import { estimateOffsets } from '../../src/join/clock.js';
import { ConnectionGroups } from '../../src/join/connections.js';
import { mergeFindings, type InputDraft } from '../../src/join/findings.js';
import type { ConnIdentity } from '../../src/join/identity.js';
import { PacketStore } from '../../src/join/packet-store.js';
import { analyze } from '../../src/analysis/analyze.js';
import { renderText } from '../../src/report/text.js';
import { renderFlows } from '../../src/report/flows.js';
import { SAMPLES } from '../helpers/samples.js';

function packet(t: number, dir: 0 | 1, flags: number, seq: number, ack: number, ipId: number, frame: number): ConnEvent {
  const sec = Math.floor(t);
  return {
    frame, sec, nsec: Math.round((t - sec) * 1e9), t, dir, flags, seq, ack, len: 0, window: 0, ttl: 64, ipId, hasTs: false,
    tsVal: 0, tsEcr: 0, copies: null, retransmit: false, icmpType: -1, icmpCode: -1, icmpSender: null,
  };
}

function conn(id: number, isn: number, t0: number, orig = '10.0.0.1:40000', resp = '10.0.0.2:80', packets: ConnEvent[] = []): ConnIdentity {
  return {
    id, origIsn: isn, respIsn: -1, orig, resp, firstT: t0, lastT: t0 + 1, natRole: null, packets: new PacketStore(packets), complete: true,
  };
}

/** A handshake as seen from a host whose clock is `skew` seconds ahead. */
function handshake(id: number, isn: number, t0: number, skew: number): ConnIdentity {
  const at = t0 + skew;
  return conn(id, isn, at, undefined, undefined, [
    packet(at, 0, 0x02, isn, 0, 7, 1), packet(at + 0.001, 1, 0x12, 900, isn + 1, 0, 2), packet(at + 0.0012, 0, 0x10, isn + 1, 901, 8, 3),
  ]);
}

describe('connection identity', () => {
  test('the originator ISN joins two vantage points; the same ISN long after is another connection', () => {
    const a = [conn(1, 1234, 100), conn(2, 1234, 500)];
    const b = [conn(7, 1234, 100.2, '10.0.0.1:40000', '10.96.0.10:80')];
    const g = new ConnectionGroups([a, b], [0, 0], 1);
    expect(g.groups.length).toBe(2);
    expect(g.groupOf(0, 1)).toBe(g.groupOf(1, 7));
    expect(g.groupOf(0, 2)).not.toBe(g.groupOf(0, 1));
  });

  test('a segment seen without handshake joins the connection another input saw on its addresses', () => {
    const client = [conn(1, 1234, 100, '10.0.0.1:40000', '10.96.0.10:80'), conn(2, -1, 100.5, '10.0.0.3:8080', '10.0.0.1:40000')];
    const server = [conn(1, 1234, 100, '10.0.0.1:40000', '10.0.0.3:8080')];
    expect(new ConnectionGroups([client, server], [0, 0], 1).groups.length).toBe(1);
  });
});

describe('clock offsets', () => {
  test('the median difference of matched packets, chained through another input', () => {
    const a = [handshake(1, 1000, 100, 0), handshake(2, 2000, 105, 0)];
    const b = [handshake(1, 1000, 100, 1.7), handshake(2, 2000, 105, 1.7)];
    const c = [handshake(1, 2000, 105, -0.4)]; // shares only the second connection
    const [o0, o1, o2] = estimateOffsets([a, b, c]);
    expect(o0!.offset).toBe(0);
    expect(o1!.offset).toBeCloseTo(1.7, 6);
    expect(o1!.matches).toBe(6);
    expect(o2!.offset).toBeCloseTo(-0.4, 6);
  });

  test('an input sharing no packet has no offset', () => {
    expect(estimateOffsets([[handshake(1, 1000, 100, 0)], [handshake(1, 5000, 100, 0)]])[1]!.offset).toBeNull();
  });
});

describe('finding merge', () => {
  const draft = (rule: RuleId, severity: Severity, count: number, connIds: number[], backend: string | null = null): FindingDraft =>
    ({ rule, severity, count, confidence: 0.9, backend, evidence: [], connections: connIds.map((id) => ({ id })) }) as unknown as FindingDraft;

  test('the more specific rule wins: the node\'s unreversed-dnat over the server pod\'s synack-rejected', () => {
    const groups = new ConnectionGroups([[conn(1, 11, 100), conn(2, 22, 101)], [conn(1, 11, 100), conn(2, 22, 101)]], [0, 0], 1);
    const views: InputDraft[] = [
      { input: 0, draft: draft('synack-rejected', 'error', 2, [1, 2]), shown: undefined },
      { input: 1, draft: draft('unreversed-dnat', 'error', 2, [1, 2], '10.0.0.3:8080'), shown: undefined },
    ];
    const merged = mergeFindings(views, groups);
    expect(merged.length).toBe(1);
    expect(merged[0]!.best.draft.rule).toBe('unreversed-dnat');
    expect(merged[0]!.count).toBe(2);
  });

  test('one rule from two inputs covering different connections counts each once', () => {
    const groups = new ConnectionGroups([[conn(1, 11, 100), conn(2, 22, 101)], [conn(5, 22, 101), conn(6, 33, 102)]], [0, 0], 1);
    const merged = mergeFindings([
      { input: 0, draft: draft('syn-timeout', 'error', 2, [1, 2]), shown: undefined },
      { input: 1, draft: draft('syn-timeout', 'error', 2, [5, 6]), shown: undefined },
    ], groups);
    expect(merged.map((m) => m.count)).toEqual([3]);
  });

  test('findings about unrelated connections stay apart', () => {
    const groups = new ConnectionGroups([[conn(1, 11, 100)], [conn(1, 99, 100)]], [0, 0], 1);
    expect(mergeFindings([
      { input: 0, draft: draft('syn-timeout', 'error', 1, [1]), shown: undefined },
      { input: 1, draft: draft('syn-timeout', 'error', 1, [1]), shown: undefined },
    ], groups).length).toBe(2);
  });
});

describe('reports over several inputs', () => {
  test('text numbers the inputs, states clocks and names frames input#frame; flows say which inputs saw each connection', async () => {
    const dir = join(SAMPLES, 'brnf-off');
    const a = await analyze(['client-eth0.pcap', 'node-any.pcap', 'server-eth0.pcap'].map((f) => join(dir, f)), { connections: true });
    const text = renderText(a);
    expect(text).toContain('Input 3: ');
    expect(text).toMatch(/clock: \+0\.0000\d\d s against input 1/);
    expect(text).toMatch(/│ 2#\d+/);
    expect(a.report.summary.connections).toBe(3);
    expect(a.report.connections!.map((c) => c.inputs)).toEqual([[0, 1, 2], [0, 1, 2], [0, 1, 2]]);
    expect(renderFlows(a, 'text').split('\n')[0]).toContain('seen in');
  });
});

describe('a joint report names the frames of its text by input', () => {
  test('frames, and nothing else, get their input (a duration after a frame stays a duration)', async () => {
    const files = ['client-eth0-v4.pcap', 'server-eth0-v4.pcap'].map((f) => join(SAMPLES, 'cancel-connect', f));
    const a = await analyze(files);
    const texts = a.report.findings.flatMap((f) => [f.summary, f.explanation, ...f.ruledOut.map((r) => r.why)]);
    expect(texts.some((t) => /\bframes? [12]#\d+/.test(t))).toBe(true);
    for (const t of texts) {
      expect(t).not.toMatch(/\bframes? \d+(?!#|\d)/);
      expect(t).not.toMatch(/\d#\d+\.\d+ ms/);
    }
  });
});

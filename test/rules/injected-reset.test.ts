import { afterAll, describe, expect, test } from 'vitest';
import { join, relative } from 'node:path';
import { analyze, analyzeCapture } from '../../src/analysis/analyze.js';
import { conversationWriter, type ConversationPacket } from '../helpers/conversation.js';
import { ROOT, SAMPLES, sampleCaptures } from '../helpers/samples.js';

const RULE = 'injected-reset';

/** The rules' findings before rendering: they carry the detectors that fired (the report does not). */
async function draftsOf(path: string) {
  return (await analyzeCapture(path)).drafts;
}

// ------------------------------------------------------------------ minimal captures

const C = '10.0.0.2';
const S = '10.0.0.3';
const CP = 40100;
const SP = 8080;

type Pkt = ConversationPacket;
const conversation = conversationWriter({ client: C, server: S, clientPort: CP, serverPort: SP, timestamps: true }, 'rstdiag-inj-');
afterAll(() => conversation.cleanup());
const capture = (pkts: Pkt[]): string => conversation.write(pkts);

const CI = 1000; // client ISN
const SI = 5000; // server ISN

/** Handshake, a request, a reply and three streamed lines: the server's IDs count from 0x100. */
function healthy(): Pkt[] {
  let id = 0x100;
  let cid = 0x900;
  const p: Pkt[] = [
    { t: 0, from: 'c', flags: 'S', seq: CI, id: cid++ },
    { t: 0.0001, from: 's', flags: 'SA', seq: SI, ack: CI + 1, id: 0 },
    { t: 0.0002, from: 'c', flags: 'A', seq: CI + 1, ack: SI + 1, id: cid++ },
    { t: 0.001, from: 'c', flags: 'PA', seq: CI + 1, ack: SI + 1, len: 36, id: cid++ },
    { t: 0.0011, from: 's', flags: 'A', seq: SI + 1, ack: CI + 37, id: id++ },
  ];
  let seq = SI + 1;
  for (let i = 0; i < 4; i++) {
    p.push({ t: 0.2 * (i + 1), from: 's', flags: 'PA', seq, ack: CI + 37, len: 14, id: id++ });
    seq += 14;
    p.push({ t: 0.2 * (i + 1) + 0.0001, from: 'c', flags: 'A', seq: CI + 37, ack: seq, id: cid++ });
  }
  return p;
}
/** The server's next seq and next IP ID after healthy(). */
const S_NEXT = SI + 1 + 4 * 14;
const S_ID = 0x105;

async function findings(pkts: Pkt[]) {
  return draftsOf(capture(pkts));
}

describe('injected-reset: silent on every capture where it is not the truth', () => {
  const caps = sampleCaptures().filter((c) => !relative(SAMPLES, c).startsWith('injected/'));
  test('there are such captures', () => expect(caps.length).toBeGreaterThanOrEqual(25));
  for (const cap of caps) {
    test(relative(ROOT, cap), async () => {
      const a = await analyze([cap]);
      expect(a.report.findings.filter((f) => f.rule === RULE)).toEqual([]);
    });
  }
});

describe('injected-reset: real forged RSTs (samples/injected, lab/injected.sh)', () => {
  const cases = [
    // The server's last real line, the three forged RST+ACKs, the server's next line (at the RST's
    // seq) and the client kernel's bare RST answering it (verified with tshark).
    { cap: 'injected/client-eth0.pcap', frames: [14, 16, 17, 18, 19, 20] },
    { cap: 'injected/node-any.pcap', frames: [27, 31, 33, 35, 37, 39] },
  ];
  for (const c of cases) {
    test(c.cap, async () => {
      const a = await analyze([join(SAMPLES, c.cap)]);
      const f = a.report.findings.filter((x) => x.rule === RULE);
      expect(f).toHaveLength(1);
      expect(f[0]).toMatchObject({
        severity: 'error', resetBy: 'middlebox', resetSender: '10.244.0.3',
        client: '10.244.0.2:40081', server: '10.244.0.3:8080', backend: null, count: 1, frames: c.frames,
      });
      const drafts = (await draftsOf(join(SAMPLES, c.cap))).filter((x) => x.rule === RULE);
      expect(drafts.map((d) => d.detectors)).toEqual([['RST_SEQ_DATA', 'RST_SEQ_CHANGE', 'TTL', 'IP_ID', 'NO_TIMESTAMPS']]);
      // The client's real RST answering the server's next line is part of this story, not another finding.
      expect(a.report.findings.map((x) => x.rule)).toEqual([RULE]);
    });
  }
});

describe('injected-reset: minimal captures, one detector at a time', () => {
  const t = 0.9;
  const cases: { name: string; extra: Pkt[]; fired: string[] | null; severity?: string }[] = [
    { name: 'a genuine RST+ACK (timestamps, usual TTL, next IP ID, seq = snd.nxt): silent',
      extra: [{ t, from: 's', flags: 'RA', seq: S_NEXT, ack: CI + 37, id: S_ID }], fired: null },
    { name: 'a RST without timestamps and off the IP ID sequence only (a stack that omits options, a host-wide counter): silent',
      extra: [{ t, from: 's', flags: 'RA', seq: S_NEXT, ack: CI + 37, id: 0x7777, ts: false }], fired: null },
    { name: 'RST_SEQ_DATA: the sender goes on sending at the RST\'s seq',
      extra: [{ t, from: 's', flags: 'RA', seq: S_NEXT, ack: CI + 37, id: S_ID },
        { t: t + 0.2, from: 's', flags: 'PA', seq: S_NEXT, ack: CI + 37, len: 14, id: S_ID + 1 }],
      fired: ['RST_SEQ_DATA'], severity: 'warning' },
    { name: 'RST_SEQ_CHANGE: back-to-back RSTs 1460 apart',
      extra: [{ t, from: 's', flags: 'RA', seq: S_NEXT, ack: CI + 37, id: S_ID },
        { t: t + 0.0001, from: 's', flags: 'RA', seq: S_NEXT + 1460, ack: CI + 37, id: S_ID + 1 }],
      fired: ['RST_SEQ_CHANGE'], severity: 'warning' },
    { name: 'RST_ACK_CHANGE: back-to-back RSTs acking different numbers',
      extra: [{ t, from: 's', flags: 'RA', seq: S_NEXT, ack: CI + 37, id: S_ID },
        { t: t + 0.0001, from: 's', flags: 'RA', seq: S_NEXT, ack: CI + 37 + 1000, id: S_ID + 1 }],
      fired: ['RST_ACK_CHANGE'], severity: 'warning' },
    { name: 'TTL: 56 while the server\'s packets come with 64',
      extra: [{ t, from: 's', flags: 'RA', seq: S_NEXT, ack: CI + 37, id: S_ID, ttl: 56 }],
      fired: ['TTL'], severity: 'warning' },
    { name: 'TTL differing by one only: silent (noise)',
      extra: [{ t, from: 's', flags: 'RA', seq: S_NEXT, ack: CI + 37, id: S_ID, ttl: 63 }], fired: null },
    { name: 'DATA_SEQ_RST with TTL: a RST behind data already sent',
      extra: [{ t, from: 's', flags: 'RA', seq: S_NEXT - 14, ack: CI + 37, id: S_ID, ttl: 50 }],
      fired: ['DATA_SEQ_RST', 'TTL'], severity: 'error' },
    { name: 'IP_ID and NO_TIMESTAMPS with TTL',
      extra: [{ t, from: 's', flags: 'RA', seq: S_NEXT, ack: CI + 37, id: 0x4242, ttl: 50, ts: false }],
      fired: ['TTL', 'IP_ID', 'NO_TIMESTAMPS'], severity: 'error' },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const f = (await findings([...healthy(), ...c.extra])).filter((x) => x.rule === RULE);
      if (c.fired === null) {
        expect(f).toEqual([]);
        return;
      }
      expect(f).toHaveLength(1);
      expect(f[0]).toMatchObject({ resetBy: 'middlebox', resetSender: S, severity: c.severity });
      expect(f[0]!.detectors).toEqual(c.fired);
    });
  }

  test('SYN_ACK_MISMATCH: a RST+ACK to a SYN that does not ack ISN + 1', async () => {
    const f = await findings([
      { t: 0, from: 'c', flags: 'S', seq: CI, id: 1 },
      { t: 0.0001, from: 's', flags: 'RA', seq: 0, ack: CI + 77, id: 0, ts: false },
    ]);
    expect(f.map((x) => x.rule)).toEqual([RULE]);
    expect(f[0]!.detectors).toEqual(['SYN_ACK_MISMATCH']);
  });

  test('a real refusal (RST+ACK acking ISN + 1) stays connection-refused', async () => {
    const f = await findings([
      { t: 0, from: 'c', flags: 'S', seq: CI, id: 1 },
      { t: 0.0001, from: 's', flags: 'RA', seq: 0, ack: CI + 1, id: 0, ts: false },
    ]);
    expect(f.map((x) => x.rule)).toEqual(['connection-refused']);
  });

  test('TOO_FAST with TTL: a RST answering a segment in less than half the RTT', async () => {
    // 20 ms handshake RTT at the client; the "server's" bare RST answers the client's request in 0.1 ms.
    const f = await findings([
      { t: 0, from: 'c', flags: 'S', seq: CI, id: 1 },
      { t: 0.02, from: 's', flags: 'SA', seq: SI, ack: CI + 1, id: 0 },
      { t: 0.0201, from: 'c', flags: 'A', seq: CI + 1, ack: SI + 1, id: 2 },
      { t: 0.03, from: 'c', flags: 'PA', seq: CI + 1, ack: SI + 1, len: 36, id: 3 },
      { t: 0.05, from: 's', flags: 'PA', seq: SI + 1, ack: CI + 37, len: 10, id: 0x100 },
      { t: 0.0501, from: 'c', flags: 'A', seq: CI + 37, ack: SI + 11, id: 4 },
      { t: 0.5, from: 'c', flags: 'PA', seq: CI + 37, ack: SI + 11, len: 36, id: 5 },
      { t: 0.5001, from: 's', flags: 'R', seq: SI + 11, id: 0, ttl: 60, ts: false },
    ]);
    const inj = f.filter((x) => x.rule === RULE);
    expect(inj).toHaveLength(1);
    expect(inj[0]!.detectors).toEqual(['TTL', 'TOO_FAST']);
  });
});

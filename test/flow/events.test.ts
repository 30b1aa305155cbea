import { afterAll, describe, expect, test } from 'vitest';
import { readCapture } from '../../src/capture/reader.js';
import { Pipeline } from '../../src/analysis/pipeline.js';
import { analyze } from '../../src/analysis/analyze.js';
import { conversationWriter, type ConversationPacket } from '../helpers/conversation.js';

const conv = conversationWriter({ client: '10.0.0.2', server: '10.0.0.3', clientPort: 40300, serverPort: 8080, timestamps: true }, 'rstdiag-ev-');
afterAll(() => conv.cleanup());

/** Handshake, then `n` server data segments of 100 bytes, a RST in the server's name, and more data. */
function longThenRst(n: number): ConversationPacket[] {
  const p: ConversationPacket[] = [
    { t: 0, from: 'c', flags: 'S', seq: 1000 },
    { t: 0.001, from: 's', flags: 'SA', seq: 5000, ack: 1001 },
    { t: 0.002, from: 'c', flags: 'A', seq: 1001, ack: 5001 },
  ];
  let seq = 5001;
  for (let i = 0; i < n; i++) {
    p.push({ t: 0.01 + i * 0.01, from: 's', flags: 'PA', seq, ack: 1001, len: 100, id: 0x100 + i });
    seq += 100;
  }
  const t = 0.01 + n * 0.01;
  p.push({ t, from: 's', flags: 'RA', seq, ack: 1001, ttl: 50, id: 0x7777, ts: false });
  p.push({ t: t + 0.005, from: 's', flags: 'PA', seq, ack: 1001, len: 100, id: 0x100 + n });
  return p;
}

describe('evidence events', () => {
  test('packets after a RST are kept even when the routine-event budget is spent', async () => {
    const path = conv.write(longThenRst(60));
    const pipeline = new Pipeline();
    await readCapture(path, pipeline.onFrame);
    const [c] = pipeline.snapshot();
    const frames = c!.events.map((e) => e.frame);
    // 3 handshake + 60 data; the RST is frame 64 and the data after it frame 65.
    expect(frames).toContain(64);
    expect(frames).toContain(65);
    expect(c!.droppedEvents).toBeGreaterThan(0);
    const after = c!.events.find((e) => e.frame === 65)!;
    expect(after).toMatchObject({ dir: 1, len: 100 });
  });

  test('so a forged RST in a long connection is still caught by the data that follows it', async () => {
    const a = await analyze([conv.write(longThenRst(60))]);
    const f = a.report.findings.find((x) => x.rule === 'injected-reset');
    expect(f).toBeDefined();
    expect(f!.explanation).toContain('RST_SEQ_DATA');
    expect(f!.frames).toContain(64);
  });

  /**
   * Handshake, a request, then `n` server segments each sent twice (the second a retransmission,
   * notable: 2n notable events fill the bound), the client's ACKs, both FINs, and a RST from `rst`.
   */
  function lossyThenClose(n: number, rst: { from: 'c' | 's'; flags: 'R' | 'RA' }): ConversationPacket[] {
    const p: ConversationPacket[] = [
      { t: 0, from: 'c', flags: 'S', seq: 1000, id: 1 },
      { t: 0.001, from: 's', flags: 'SA', seq: 5000, ack: 1001, id: 1 },
      { t: 0.002, from: 'c', flags: 'A', seq: 1001, ack: 5001, id: 2 },
      { t: 0.003, from: 'c', flags: 'PA', seq: 1001, ack: 5001, len: 20, id: 3 },
    ];
    let seq = 5001;
    let t = 0.01;
    for (let i = 0; i < n; i++, t += 0.5) {
      p.push({ t, from: 's', flags: 'PA', seq, ack: 1021, len: 100, id: 0x100 + 2 * i });
      p.push({ t: t + 0.3, from: 's', flags: 'PA', seq, ack: 1021, len: 100, id: 0x101 + 2 * i });
      seq += 100;
      p.push({ t: t + 0.301, from: 'c', flags: 'A', seq: 1021, ack: seq, id: 0x1000 + i });
    }
    p.push({ t, from: 's', flags: 'FA', seq, ack: 1021, id: 0x900 });
    p.push({ t: t + 0.001, from: 'c', flags: 'FA', seq: 1021, ack: seq + 1, id: 0x2000 });
    p.push({ t: t + 0.002, from: 's', flags: 'A', seq: seq + 1, ack: 1022, id: 0x901 });
    const from = rst.from;
    p.push({ t: t + 1, from, flags: rst.flags, seq: from === 'c' ? 1022 : seq + 1, ack: from === 'c' ? seq + 1 : 1022, id: 0x3000 });
    return p;
  }

  test('past the evidence bound, the reset and each side\'s FIN are kept with the packets before them', async () => {
    const pkts = lossyThenClose(60, { from: 'c', flags: 'RA' });
    const path = conv.write(pkts);
    const pipeline = new Pipeline();
    await readCapture(path, pipeline.onFrame);
    const [c] = pipeline.snapshot();
    const events = c!.events;
    const last = pkts.length;
    const frames = events.map((e) => e.frame);
    // The RST (last frame), both FINs and the ACK between: kept in capture order, though 120 notable packets came before.
    expect(frames.slice(-4)).toEqual([last - 3, last - 2, last - 1, last]);
    expect(frames).toEqual([...frames].sort((x, y) => x - y));
    expect(events.length).toBeLessThanOrEqual(64 + 4 * 8);
    expect(c!.droppedEvents).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ dir: 0, flags: 0x14 });
  });

  test('a reset past the evidence bound is never silent: the summary\'s resets are in a finding', async () => {
    for (const rst of [{ from: 'c', flags: 'RA' }, { from: 's', flags: 'RA' }, { from: 's', flags: 'R' }] as const) {
      for (const n of [10, 40, 100]) {
        const a = await analyze([conv.write(lossyThenClose(n, rst))], { connections: true });
        expect(a.report.summary.resets).toBe(1);
        const row = a.report.connections![0]!;
        expect(row.findings.length, `${rst.from} ${rst.flags} after ${n} lossy segments`).toBeGreaterThan(0);
        // Both sides had sent FIN: the reset ends a finished exchange, whatever came before.
        expect(a.report.findings.map((f) => f.rule)).toContain('abortive-close');
      }
    }
  });
});

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
});

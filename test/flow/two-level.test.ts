import { describe, expect, it } from 'vitest';
import * as b from '../helpers/packet-builder.js';
import { FlowTable, type ConnectionRecord } from '../../src/flow/table.js';
import { Decoder } from '../../src/decode/decoder.js';
import { Packet } from '../../src/decode/packet.js';

// The flow table keeps each connection's first evidence events in the slot, the rest in blocks
// taken from a pool when a connection outgrows them (src/flow/block-pool.ts); copies are found in
// the copy window (src/flow/copies.ts), whose entries name their slot and connection.
// Thousands of interleaved connections make the pools grow, and retired ones hand their blocks
// back to new ones: the evidence and the copies found must be those of the connection itself.

const ROUNDS = 14;
const decoder = new Decoder();
const packet = new Packet();

/** Packet `round` of connection `i`: a SYN, data either way (ipId and seq tell them apart), the client's RST. */
function data(i: number, round: number, base: number): Uint8Array {
  const fromClient = round % 2 === 0;
  const flags = round === 0 ? 'S' : round === ROUNDS ? 'RA' : 'PA';
  const seg = b.tcp({ sport: fromClient ? base + i : 80, dport: fromClient ? 80 : base + i, seq: 1000 + round * 10,
    ack: round === 0 ? 0 : 1, flags }, new Uint8Array(flags === 'PA' ? 10 : 0));
  const [src, dst] = fromClient ? ['10.1.0.1', '10.2.0.1'] : ['10.2.0.1', '10.1.0.1'];
  return b.ethernet({ type: 0x0800 }, b.ipv4({ src, dst, proto: 6, id: base + round }, seg));
}

class Feed {
  frameNumber = 0;
  constructor(readonly table: FlowTable) {}
  send(bytes: Uint8Array, t: number, interfaceId = 0): number {
    const f = { ...b.frame(bytes, 1, { frameNumber: ++this.frameNumber, interfaceId }), tsSec: Math.floor(t), tsNsec: Math.round((t % 1) * 1e9) };
    decoder.decode(f, packet);
    this.table.observe(packet, f);
    return f.frameNumber;
  }
}

/** `n` connections sent round by round from time t0; every third one's round-9 packet seen again on interface 1. */
function run(feed: Feed, n: number, base: number, t0: number): { frames: number[][]; copyFrame: number[] } {
  const frames: number[][] = Array.from({ length: n }, () => []);
  const copyFrame: number[] = [];
  for (let r = 0; r <= ROUNDS; r++) {
    for (let i = 0; i < n; i++) {
      const t = t0 + r * 0.1 + i * 1e-5;
      frames[i]!.push(feed.send(data(i, r, base), t));
      if (r === 9 && i % 3 === 0) copyFrame[i] = feed.send(data(i, r, base), t + 1e-6, 1);
    }
  }
  return { frames, copyFrame };
}

function check(records: Map<number, ConnectionRecord>, base: number, sent: { frames: number[][]; copyFrame: number[] }): void {
  sent.frames.forEach((frames, i) => {
    const rec = records.get(base + i)!;
    expect(rec.events.map((e) => e.frame)).toEqual(frames);
    expect(rec.events.map((e) => e.seq)).toEqual(frames.map((_, r) => 1000 + r * 10));
    expect(rec.events.map((e) => e.copies ?? [])).toEqual(frames.map((_, r) => r === 9 && i % 3 === 0 ? [sent.copyFrame[i]] : []));
    expect(rec.dirs[0].duplicates + rec.dirs[1].duplicates).toBe(i % 3 === 0 ? 1 : 0);
  });
}

describe('flow table: evidence in two levels, copies in the copy window', () => {
  it('keeps each connection\'s own events and copies while the pools grow and blocks are reused', () => {
    const records = new Map<number, ConnectionRecord>();
    const table = new FlowTable({ onRetire: (c) => records.set(c.orig.port === 80 ? c.resp.port : c.orig.port, c) });
    const feed = new Feed(table);
    const first = run(feed, 3000, 20000, 100);
    // A minute and more later the first connections are quiet and retire; the next take their slots and blocks.
    const second = run(feed, 4000, 40000, 300);
    expect(records.size).toBe(3000);
    table.finish();
    expect(records.size).toBe(7000);
    check(records, 20000, first);
    check(records, 40000, second);
  });

  it('keeps a lone SYN in the slot alone, and starts over with new storage after finish', () => {
    const records: ConnectionRecord[] = [];
    const table = new FlowTable({ onRetire: (c) => records.push(c) });
    const feed = new Feed(table);
    const frame = feed.send(data(0, 0, 30000), 100);
    table.finish();
    expect(records.map((c) => c.events.map((e) => e.frame))).toEqual([[frame]]);
    const sent = run(feed, 5000, 50000, 200);
    table.finish();
    expect(records).toHaveLength(5001);
    check(new Map(records.slice(1).map((c) => [c.orig.port, c])), 50000, sent);
  });
});

import { describe, expect, it } from 'vitest';
import { Packet, Transport } from '../../src/decode/packet.js';
import type { Frame } from '../../src/capture/types.js';
import { CopyPrefilter } from '../../src/flow/copy-prefilter.js';
import { TupleIndex } from '../../src/flow/tuple-index.js';
import { ConnSlots } from '../../src/flow/slots.js';

function frameAt(t: number): Frame {
  const tsSec = Math.floor(t);
  return {
    frameNumber: 1, tsSec, tsNsec: Math.round((t - tsSec) * 1e9), linkType: 1, interfaceId: 0, capturedLength: 60,
    originalLength: 60, fileOffset: 0, data: new Uint8Array(0),
  };
}

function tcp(fields: Partial<{ seq: number; ack: number; flags: number; len: number; ipId: number; tsVal: number; reverse: boolean; v6: boolean }> = {}): Packet {
  const p = new Packet();
  p.transport = Transport.Tcp;
  p.ipVersion = fields.v6 === true ? 6 : 4;
  const a = fields.v6 === true ? Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? 1 : i === 0 ? 0xfd : 0)) : Uint8Array.of(10, 0, 0, 1);
  const b = fields.v6 === true ? Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? 2 : i === 0 ? 0xfd : 0)) : Uint8Array.of(10, 0, 0, 2);
  // The address arrays are the packet's own (16 bytes, allocated once): filled, not replaced.
  p.src.set(fields.reverse === true ? b : a);
  p.dst.set(fields.reverse === true ? a : b);
  p.srcPort = fields.reverse === true ? 80 : 40000;
  p.dstPort = fields.reverse === true ? 40000 : 80;
  p.seq = fields.seq ?? 0x90000000;
  p.ack = fields.ack ?? 1;
  p.flags = fields.flags ?? 0x10;
  p.payloadLength = fields.len ?? 0;
  p.ipId = fields.ipId ?? 7;
  p.hasTimestamps = fields.tsVal !== undefined;
  p.tsVal = fields.tsVal ?? 0;
  return p;
}

/** p.unrepeated after marking p, seen at time t. */
function mark(filter: CopyPrefilter, p: Packet, t: number): boolean {
  filter.mark(frameAt(t), p);
  return p.unrepeated;
}

describe('CopyPrefilter', () => {
  it('marks a packet unrepeated unless one with its direction and fields was seen within the copy window', () => {
    const f = new CopyPrefilter();
    expect(mark(f, tcp(), 1.0)).toBe(true);
    // Its copy on another interface, 1 ms later: the copy window must look.
    expect(mark(f, tcp(), 1.001)).toBe(false);
    // The other direction, another field, or the same fields past the window: cannot be a copy.
    expect(mark(f, tcp({ reverse: true }), 1.002)).toBe(true);
    expect(mark(f, tcp({ ipId: 8 }), 1.003)).toBe(true);
    expect(mark(f, tcp({ tsVal: 5 }), 1.004)).toBe(true);
    expect(mark(f, tcp({ ipId: 8 }), 1.06)).toBe(true);
    expect(mark(f, tcp({ v6: true }), 1.07)).toBe(true);
    expect(mark(f, tcp({ v6: true }), 1.08)).toBe(false);
  });

  it('leaves other packets unmarked', () => {
    const f = new CopyPrefilter();
    const p = tcp();
    p.transport = Transport.Udp;
    expect(mark(f, p, 1)).toBe(false);
  });

  it('keeps every fingerprint of the window however many packets it holds (the ring grows)', () => {
    const f = new CopyPrefilter();
    for (let i = 0; i < 20000; i++) expect(mark(f, tcp({ seq: i }), 5 + i * 1e-6)).toBe(true);
    for (let i = 0; i < 20000; i += 997) expect(mark(f, tcp({ seq: i }), 5.03)).toBe(false);
  });

  it('turns itself off when the capture clock steps back: nothing is marked after that', () => {
    const f = new CopyPrefilter();
    expect(mark(f, tcp({ seq: 1 }), 10)).toBe(true);
    expect(mark(f, tcp({ seq: 2 }), 9)).toBe(false);
    expect(mark(f, tcp({ seq: 3 }), 11)).toBe(false);
  });

  it('carries the tuple hash of the flow table, the same both ways, also once the filter is off', () => {
    const f = new CopyPrefilter();
    const index = new TupleIndex(new ConnSlots());
    for (const v6 of [false, true]) {
      const p = tcp({ v6 });
      const q = tcp({ v6, reverse: true });
      mark(f, p, 20);
      mark(f, q, 20);
      index.load(p.ipVersion, p.src, p.dst);
      expect(p.tupleHash).toBe(index.hash(p.ipVersion, p.srcPort, p.dstPort));
      expect(q.tupleHash).toBe(p.tupleHash);
    }
    const r = tcp();
    mark(f, r, 1);
    expect(r.tupleHash).not.toBe(0);
    expect(r.unrepeated).toBe(false);
  });
});


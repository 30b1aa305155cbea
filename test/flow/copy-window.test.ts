import { describe, expect, it } from 'vitest';
import { CopyWindow } from '../../src/flow/copies.js';
import { ConnSlots } from '../../src/flow/slots.js';
import { Packet, TcpFlag, Transport } from '../../src/decode/packet.js';

function packet(seq: number, point: number): Packet {
  const p = new Packet();
  p.transport = Transport.Tcp;
  p.ipVersion = 4;
  p.seq = seq;
  p.ack = 1;
  p.flags = TcpFlag.ACK;
  p.payloadLength = 10;
  p.ipId = seq & 0xffff;
  p.ttl = 64;
  p.capturePoint = point;
  return p;
}

/** A copy window whose ring has numbered `entries` entries already, over one held connection (slot 0). */
function windowAt(entries: number): { w: CopyWindow; conns: ConnSlots } {
  const conns = new ConnSlots();
  conns.grow(4);
  conns.reset(0);
  conns.setId(0, 1);
  const w = new CopyWindow(conns);
  (w as unknown as { count: number }).count = entries;
  return { w, conns };
}

describe('CopyWindow', () => {
  for (const start of [0, 2 ** 32 - 2, 2 ** 33 + 5]) {
    it(`finds a copy through its direction's chain, the head's number kept in 32 bits (entries from ${start})`, () => {
      const { w } = windowAt(start);
      w.now = 1;
      for (const seq of [100, 110, 120]) w.remember(0, 0, packet(seq, 1), seq);
      w.now = 1.001;
      // The first packet again on another interface: a copy of the entry holding event 100.
      const e = w.find(0, 0, packet(100, 2));
      expect(e).toBeGreaterThanOrEqual(0);
      expect(w.eventAt(e)).toBe(100);
      // Not the other direction's, nor a packet never seen.
      expect(w.find(0, 1, packet(100, 2))).toBe(-1);
      expect(w.find(0, 0, packet(130, 2))).toBe(-1);
      // Past the window: no copy.
      w.now = 1.2;
      expect(w.find(0, 0, packet(110, 2))).toBe(-1);
    });
  }

  it('starts a reused slot\'s chain afresh (its row reset)', () => {
    const { w, conns } = windowAt(0);
    w.now = 1;
    w.remember(0, 0, packet(100, 1), 7);
    conns.reset(0);
    conns.setId(0, 2);
    w.now = 1.001;
    expect(w.find(0, 0, packet(100, 2))).toBe(-1);
  });
});

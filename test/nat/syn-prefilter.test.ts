import { describe, expect, it } from 'vitest';
import { Packet, TcpFlag, Transport } from '../../src/decode/packet.js';
import type { Frame } from '../../src/capture/types.js';
import { SynTwinPrefilter } from '../../src/nat/syn-prefilter.js';

function frameAt(t: number): Frame {
  const tsSec = Math.floor(t);
  return {
    frameNumber: 1, tsSec, tsNsec: Math.round((t - tsSec) * 1e9), linkType: 1, interfaceId: 0, capturedLength: 60,
    originalLength: 60, fileOffset: 0, data: new Uint8Array(0),
  };
}

function tcp(flags: number, seq: number, ack = 0): Packet {
  const p = new Packet();
  p.transport = Transport.Tcp;
  p.ipVersion = 4;
  p.flags = flags;
  p.seq = seq;
  p.ack = ack;
  return p;
}

const SYN = TcpFlag.SYN;
const SYN_ACK = TcpFlag.SYN | TcpFlag.ACK;

/** p.noSynTwin after marking p, seen at time t. */
function mark(f: SynTwinPrefilter, p: Packet, t: number): boolean {
  f.mark(frameAt(t), p);
  return p.noSynTwin;
}

describe('SynTwinPrefilter', () => {
  it('marks a SYN or SYN-ACK with no earlier SYN of its ISN within the link window', () => {
    const f = new SynTwinPrefilter();
    expect(mark(f, tcp(SYN, 100), 1)).toBe(true);
    // The same SYN after DNAT: the linker must look.
    expect(mark(f, tcp(SYN, 100), 1.001)).toBe(false);
    expect(mark(f, tcp(SYN, 0xfffffff0), 2.5)).toBe(true);
    // A SYN-ACK acknowledging one of them (ISN + 1, across the 32-bit wrap too), and one acknowledging none.
    expect(mark(f, tcp(SYN_ACK, 7, 101), 3)).toBe(false);
    expect(mark(f, tcp(SYN_ACK, 8, 0xfffffff1), 3)).toBe(false);
    expect(mark(f, tcp(SYN_ACK, 9, 501), 3)).toBe(true);
    // Past the window (5 s after the last SYN of ISN 100): nothing to link with.
    expect(mark(f, tcp(SYN_ACK, 10, 101), 6.002)).toBe(true);
  });

  it('remembers SYNs without ACK only (the linker indexes those)', () => {
    const f = new SynTwinPrefilter();
    expect(mark(f, tcp(SYN_ACK, 300, 1), 1)).toBe(true);
    expect(mark(f, tcp(SYN, 300), 1.1)).toBe(true);
  });

  it('leaves packets without SYN unmarked', () => {
    const f = new SynTwinPrefilter();
    mark(f, tcp(SYN, 100), 1);
    const p = tcp(TcpFlag.ACK, 100, 5);
    expect(mark(f, p, 1.1)).toBe(false);
    const udp = tcp(SYN, 100);
    udp.transport = Transport.Udp;
    expect(mark(f, udp, 1.2)).toBe(false);
  });

  it('keeps every SYN of the window when they outnumber its ring (it grows)', () => {
    const f = new SynTwinPrefilter();
    for (let i = 0; i < 20000; i++) mark(f, tcp(SYN, 1000 + i), 1 + i / 10000);
    expect(mark(f, tcp(SYN_ACK, 1, 1001), 3.5)).toBe(false);
    expect(mark(f, tcp(SYN_ACK, 1, 999), 3.5)).toBe(true);
  });

  it('turns off (nothing marked) once the capture clock steps back', () => {
    const f = new SynTwinPrefilter();
    expect(mark(f, tcp(SYN, 100), 10)).toBe(true);
    expect(mark(f, tcp(SYN, 200), 9)).toBe(false);
    expect(mark(f, tcp(SYN, 300), 11)).toBe(false);
  });
});

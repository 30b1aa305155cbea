import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/types.js';
import { readRecord, RECORD_WORDS, writeRecord } from '../../src/analysis/packet-record.js';
import { Decoder } from '../../src/decode/decoder.js';
import { Packet, PACKET_FIELDS, Transport } from '../../src/decode/packet.js';
import * as b from '../helpers/packet-builder.js';

const tcp = (seq: number): Uint8Array =>
  b.tcp({ sport: 40000, dport: 443, seq, ack: 0xfffffff0, flags: 'PA', ts: [0x80000001, 7], window: 512 }, new Uint8Array(10));
const v4 = (payload: Uint8Array, proto = 6): Uint8Array => b.ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto, id: 0xbeef }, payload);
const v6 = (payload: Uint8Array, nextHeader = 6): Uint8Array => b.ipv6({ src: 'fd00::1', dst: 'fd00::2', nextHeader }, payload);

const packets: { name: string; data: Uint8Array }[] = [
  { name: 'TCP over IPv4', data: b.ethernet({ type: 0x0800 }, v4(tcp(0xfedcba98))) },
  { name: 'TCP over IPv6', data: b.ethernet({ type: 0x86dd }, v6(tcp(1))) },
  { name: 'ICMP error quoting TCP', data: b.ethernet({ type: 0x0800 }, v4(b.icmpUnreachable({}, v4(tcp(0x90000000))), 1)) },
  { name: 'ICMPv6 error quoting TCP', data: b.ethernet({ type: 0x86dd }, v6(b.icmp6Error({}, v6(tcp(5))), 58)) },
  { name: 'ICMP error with a short quote', data: b.ethernet({ type: 0x0800 }, v4(b.icmpUnreachable({ quoteLength: 24 }, v4(tcp(5))), 1)) },
  { name: 'UDP', data: b.ethernet({ type: 0x0800 }, v4(b.udp({ sport: 53, dport: 5353 }), 17)) },
  { name: 'not IP', data: b.ethernet({ type: 0x0806 }, new Uint8Array(28)) },
];

/** The fields a row carries for this packet (sections nest: transport, then ICMP). */
function carried(p: Packet): string[] {
  const hasTransport = p.transport === Transport.Tcp || p.transport === Transport.IcmpError;
  return Object.entries(PACKET_FIELDS)
    .filter(([, spec]) => spec.row === 'always' || (spec.row === 'transport' && hasTransport) ||
      (spec.row === 'icmp' && p.transport === Transport.IcmpError))
    .map(([name]) => name);
}

function view(p: Packet, names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const value = (p as unknown as Record<string, unknown>)[name];
    out[name] = value instanceof Uint8Array ? Array.from(value) : value;
  }
  return out;
}

describe('packet record rows', () => {
  it.each(packets)('$name: the row carries the fields the schema marks', ({ data }) => {
    const decoded = new Packet();
    const frame = { ...b.frame(data), frameNumber: 4_000_000_000, tsSec: 2 ** 33 + 5, tsNsec: 999_999_999 };
    new Decoder().decode(frame, decoded);
    const rows = new Int32Array(RECORD_WORDS * 2);
    writeRecord(rows, RECORD_WORDS, frame, decoded);
    const read = new Packet();
    const readFrame: Frame = { ...b.frame(new Uint8Array(0)), frameNumber: 0, tsSec: 0, tsNsec: 0 };
    readRecord(rows, RECORD_WORDS, readFrame, read);
    expect([readFrame.frameNumber, readFrame.tsSec, readFrame.tsNsec]).toEqual([frame.frameNumber, frame.tsSec, frame.tsNsec]);
    const names = carried(decoded);
    expect(view(read, names)).toEqual(view(decoded, names));
    expect(rows.subarray(0, RECORD_WORDS).every((w) => w === 0)).toBe(true);
  });
});

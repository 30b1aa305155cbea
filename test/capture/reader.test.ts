import { afterAll, describe, expect, test } from 'vitest';
import { readCapture } from '../../src/capture/reader.js';
import { Frame } from '../../src/capture/types.js';
import { writePcap, writePcapng } from '../helpers/pcap-writer.js';
import { bytes, pkt, readChunked, readFile, removeTempDir, tmpFile } from './reader-harness.js';

afterAll(removeTempDir);

describe('classic pcap', () => {
  const frames = [
    { sec: 1700000000, nsec: 123456789, data: pkt(60, 1) },
    { sec: 1700000001, nsec: 999999999, data: pkt(61, 2), origLen: 1514 },
    { sec: 4294967295, nsec: 1000, data: pkt(3, 3) },
  ];
  for (const nanosecond of [false, true]) {
    for (const bigEndian of [false, true]) {
      test(`${nanosecond ? 'ns' : 'µs'} ${bigEndian ? 'big' : 'little'}-endian`, async () => {
        const file = tmpFile(writePcap(frames, { nanosecond, bigEndian, linkType: 113, snapLen: 65535 }));
        const { info, frames: got } = await readFile(file);
        expect(info.format).toBe('pcap');
        expect(info.compressed).toBe(false);
        expect(info.truncated).toBe(false);
        expect(info.warnings).toEqual([]);
        expect(info.packets).toBe(3);
        expect(info.linkTypes).toEqual([113]);
        expect(info.interfaces).toEqual([{ linkType: 113, name: null, description: null, snapLen: 65535, tsResolution: nanosecond ? '10^-9' : '10^-6' }]);
        expect(info.bytes).toBe(24 + 16 * 3 + 60 + 61 + 3);
        expect(got.map((f) => f.frameNumber)).toEqual([1, 2, 3]);
        expect(got.map((f) => [f.tsSec, f.tsNsec])).toEqual([
          [1700000000, nanosecond ? 123456789 : 123456000],
          [1700000001, nanosecond ? 999999999 : 999999000],
          [4294967295, nanosecond ? 1000 : 1000],
        ]);
        expect(got.map((f) => f.fileOffset)).toEqual([24, 24 + 16 + 60, 24 + 32 + 121]);
        expect(got.map((f) => [f.capturedLength, f.originalLength])).toEqual([[60, 60], [61, 1514], [3, 3]]);
        expect(got[1].data).toEqual(Array.from(frames[1].data));
        expect(got.every((f) => f.linkType === 113 && f.interfaceId === 0)).toBe(true);
      });
    }
  }

  test('one reused Frame object; data is a view, not a copy', async () => {
    const file = tmpFile(writePcap(frames));
    const seen = new Set<Frame>();
    let views = 0;
    await readCapture(file, (f) => {
      seen.add(f);
      if (f.data.buffer.byteLength > f.data.byteLength) views++;
    });
    expect(seen.size).toBe(1);
    expect(views).toBe(3);
  });

  test('caplen > origlen and caplen > snaplen are tolerated with one warning each', async () => {
    const buf = writePcap(
      [
        { sec: 1, nsec: 0, data: pkt(100, 1), origLen: 50 },
        { sec: 2, nsec: 0, data: pkt(100, 1), origLen: 50 },
      ],
      { snapLen: 64 },
    );
    const { info, frames: got } = await readFile(tmpFile(buf));
    expect(got).toHaveLength(2);
    expect(got[0].capturedLength).toBe(100);
    expect(info.warnings).toHaveLength(2);
    expect(info.warnings[0]).toMatch(/byte offset 24: captured length 100 exceeds original length 50/);
    expect(info.warnings[1]).toMatch(/exceeds snapshot length 64/);
    expect(info.truncated).toBe(false);
  });

  test("Kuznetzov's modified pcap (24-byte record headers)", async () => {
    const hdr = writePcap([]);
    hdr.writeUInt32LE(0xa1b2cd34, 0);
    const rec = Buffer.alloc(24 + 4);
    rec.writeUInt32LE(1700000000, 0);
    rec.writeUInt32LE(250000, 4);
    rec.writeUInt32LE(4, 8);
    rec.writeUInt32LE(60, 12);
    rec.set([9, 8, 7, 6], 24);
    const { info, frames: got } = await readFile(tmpFile(Buffer.concat([hdr, rec, rec])));
    expect(info.packets).toBe(2);
    expect(got[1]).toMatchObject({ frameNumber: 2, tsSec: 1700000000, tsNsec: 250000000, capturedLength: 4, originalLength: 60, fileOffset: 52, data: [9, 8, 7, 6] });
  });

  test('pcap before 2.3 stored caplen and len swapped (as libpcap reads it)', async () => {
    const buf = writePcap([{ sec: 1, nsec: 0, data: pkt(10, 1), origLen: 10 }]);
    buf.writeUInt16LE(2, 6); // version 2.2
    buf.writeUInt32LE(1500, 24 + 8); // "caplen" field holds len
    buf.writeUInt32LE(10, 24 + 12); // "len" field holds caplen
    const { frames: got } = await readFile(tmpFile(buf));
    expect([got[0].capturedLength, got[0].originalLength]).toEqual([10, 1500]);
  });

  test('sub-second field of a second or more is normalised into the seconds, with a warning', async () => {
    const buf = writePcap([{ sec: 10, nsec: 0, data: pkt(4, 0) }]);
    buf.writeUInt32LE(1500000, 24 + 4); // 1.5 s in µs
    const { info, frames: got } = await readFile(tmpFile(buf));
    expect([got[0].tsSec, got[0].tsNsec]).toEqual([11, 500000000]);
    expect(info.warnings[0]).toMatch(/byte offset 24/);
  });
});

describe('pcapng', () => {
  const big = 1700000000123456789n; // > 2^53: loses precision as a double
  const sections = writePcapng([
    {
      comment: 'section one',
      interfaces: [
        { linkType: 1, name: 'eth0', description: 'uplink', comment: 'if comment', snapLen: 262144 },
        { linkType: 113, tsresol: 9, name: 'any' },
        { linkType: 101, tsresol: 0x80 | 20, tsoffset: 1000n },
      ],
      extraBlocks: [
        { type: 0x12345678, body: bytes(1, 2, 3, 4, 5, 6, 7, 8) }, // unknown: skipped
        { type: 4, body: bytes(0, 0, 0, 0) }, // NRB with only end-of-records
      ],
      packets: [
        { interfaceId: 0, ts: 1700000000654321n, data: pkt(60, 1), comment: 'first packet' },
        { interfaceId: 1, ts: big, data: pkt(45, 2), origLen: 1500 },
        { interfaceId: 2, ts: (1700000000n << 20n) | 524288n, data: pkt(20, 3) },
        { interfaceId: 0, ts: 0n, data: pkt(42, 4), kind: 'spb' },
        { interfaceId: 1, ts: 1700000002000000001n, data: pkt(33, 5), kind: 'opb' },
      ],
    },
    {
      bigEndian: true,
      interfaces: [
        { linkType: 228, tsresol: 9 },
        { linkType: 1, tsresol: 12, snapLen: 100 },
      ],
      packets: [
        { interfaceId: 1, ts: 1700000123456789123n, data: pkt(10, 6) },
        { interfaceId: 0, ts: 18446744073709551615n, data: pkt(11, 7) },
        { interfaceId: 0, ts: 0n, data: pkt(200, 8), kind: 'spb' },
      ],
    },
  ]);

  test('multi-section, mixed byte order, several interfaces and resolutions', async () => {
    for (const read of [() => readFile(tmpFile(sections)), () => readChunked(sections, 5), () => readChunked(sections, 97)]) {
      const { info, frames: got } = await read();
      expect(info.format).toBe('pcapng');
      expect(info.truncated).toBe(false);
      expect(info.warnings).toEqual([]);
      expect(info.packets).toBe(8);
      expect(info.bytes).toBe(sections.length);
      expect(info.linkTypes).toEqual([1, 113, 101, 228]);
      expect(info.interfaces.map((i) => [i.linkType, i.name, i.description, i.tsResolution])).toEqual([
        [1, 'eth0', 'uplink', '10^-6'],
        [113, 'any', null, '10^-9'],
        [101, null, null, '2^-20'],
        [228, null, null, '10^-9'],
        [1, null, null, '10^-12'],
      ]);
      expect(info.comments).toEqual(['section one', 'if comment', 'first packet']);
      expect(got.map((f) => f.frameNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(got.map((f) => [f.interfaceId, f.linkType])).toEqual([
        [0, 1], [1, 113], [2, 101], [0, 1], [1, 113], [1, 1], [0, 228], [0, 228],
      ]);
      expect(got.map((f) => [f.tsSec, f.tsNsec])).toEqual([
        [1700000000, 654321000],
        [1700000000, 123456789], // exact although the raw value exceeds 2^53
        [1700001000, 500000000], // 2^-20 resolution + if_tsoffset 1000 s
        [0, 0], // SPB: no timestamp
        [1700000002, 1],
        [1700000, 123456789], // ps resolution truncated to ns
        [18446744073, 709551615], // 2^64-1 ns
        [0, 0],
      ]);
      expect(got.map((f) => [f.capturedLength, f.originalLength])).toEqual([
        [60, 60], [45, 1500], [20, 20], [42, 42], [33, 33], [10, 10], [11, 11], [200, 200],
      ]);
      expect(got[4].data).toEqual(Array.from(pkt(33, 5)));
      expect(got[7].data).toEqual(Array.from(pkt(200, 8)));
    }
  });

  test('SPB captured length is capped by the interface snaplen', async () => {
    const buf = writePcapng([{ interfaces: [{ linkType: 1, snapLen: 64 }], packets: [{ interfaceId: 0, ts: 0n, data: pkt(100, 1), kind: 'spb' }] }]);
    const { frames: got } = await readFile(tmpFile(buf));
    expect([got[0].capturedLength, got[0].originalLength]).toEqual([64, 100]);
    expect(got[0].data).toEqual(Array.from(pkt(100, 1)).slice(0, 64));
  });

  test('custom blocks consume a frame number (as in Wireshark) but are not delivered', async () => {
    const buf = writePcapng([
      {
        interfaces: [{ linkType: 1 }],
        extraBlocks: [{ type: 0x00000bad, body: bytes(0, 0, 0x7f, 0xfe, 1, 2, 3, 4) }],
        packets: [{ interfaceId: 0, ts: 5n, data: pkt(10, 1) }],
      },
    ]);
    const { info, frames: got } = await readFile(tmpFile(buf));
    expect(got.map((f) => f.frameNumber)).toEqual([2]);
    expect(info.otherRecords).toBe(1);
    expect(info.packets).toBe(1);
  });

  test('a packet naming an undefined interface is skipped, not numbered, warned once', async () => {
    const buf = writePcapng([
      {
        interfaces: [{ linkType: 1 }],
        packets: [
          { interfaceId: 3, ts: 1n, data: pkt(10, 1) },
          { interfaceId: 0, ts: 2n, data: pkt(10, 2) },
          { interfaceId: 3, ts: 3n, data: pkt(10, 3) },
        ],
      },
    ]);
    const { info, frames: got } = await readFile(tmpFile(buf));
    expect(got.map((f) => [f.frameNumber, f.tsNsec])).toEqual([[1, 2000]]);
    expect(info.warnings).toHaveLength(1);
    expect(info.warnings[0]).toMatch(/byte offset \d+ names interface 3/);
    expect(info.truncated).toBe(false);
  });

  test('interfaces reset per section', async () => {
    const buf = writePcapng([
      { interfaces: [{ linkType: 1 }, { linkType: 113 }], packets: [{ interfaceId: 1, ts: 1n, data: pkt(4, 1) }] },
      { interfaces: [{ linkType: 228 }], packets: [{ interfaceId: 1, ts: 1n, data: pkt(4, 1) }, { interfaceId: 0, ts: 1n, data: pkt(4, 1) }] },
    ]);
    const { info, frames: got } = await readFile(tmpFile(buf));
    expect(got.map((f) => [f.frameNumber, f.linkType])).toEqual([[1, 113], [2, 228]]);
    expect(info.warnings[0]).toMatch(/interface 1, which its section does not define \(1 defined\)/);
  });
});

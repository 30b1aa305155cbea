import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { readCapture, readCaptureStream } from '../../src/capture/reader.js';
import { CaptureOpenError } from '../../src/capture/types.js';
import { writePcap, writePcapng } from '../helpers/pcap-writer.js';
import { pkt, readChunked, readFile, removeTempDir, tempDir as dir, tmpFile } from './reader-harness.js';

afterAll(removeTempDir);

describe('gzip and streams', () => {
  const plain = writePcap(
    Array.from({ length: 200 }, (_, i) => ({ sec: 1700000000 + i, nsec: i * 1000, data: pkt(50 + (i % 30), i) })),
    { nanosecond: true },
  );

  test('gzip detected by magic bytes, not by name', async () => {
    const file = tmpFile(gzipSync(plain), 'capture.pcap'); // no .gz suffix on purpose
    const { info, frames: got } = await readFile(file);
    expect(info.compressed).toBe(true);
    expect(info.packets).toBe(200);
    expect(info.bytes).toBe(plain.length);
    expect(info.truncated).toBe(false);
    expect(got[199]).toMatchObject({ frameNumber: 200, tsSec: 1700000199, tsNsec: 199000 });
  });

  test('a gzip stream cut short keeps what was read, with a warning', async () => {
    const gz = gzipSync(plain);
    const { info, frames: got } = await readFile(tmpFile(gz.subarray(0, Math.floor(gz.length * 0.6))));
    expect(info.compressed).toBe(true);
    expect(info.truncated).toBe(true);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(200);
    expect(got.map((f) => f.frameNumber)).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));
    expect(info.warnings.some((w) => /gzip stream cut short/.test(w))).toBe(true);
  });

  test('stdin-like stream, records split at every possible place', async () => {
    const ref = await readFile(tmpFile(plain));
    for (const chunk of [1, 3, 16, 17, 1000, 1 << 20]) {
      const got = await readChunked(plain, chunk);
      expect(got.frames).toEqual(ref.frames);
      expect(got.info).toEqual({ ...ref.info, path: 'stream-input' });
    }
  });

  test('gzip on a stream', async () => {
    const { info, frames: got } = await readChunked(gzipSync(plain), 100);
    expect(info.compressed).toBe(true);
    expect(got).toHaveLength(200);
  });

  test('onProgress reports bytes read and the file size', async () => {
    const file = tmpFile(plain);
    const calls: Array<[number, number | null]> = [];
    await readCapture(file, () => undefined, { onProgress: (a, b) => calls.push([a, b]) });
    expect(calls[calls.length - 1]).toEqual([plain.length, plain.length]);
  });
});

describe('damage', () => {
  const three = writePcap([
    { sec: 1, nsec: 0, data: pkt(100, 1) },
    { sec: 2, nsec: 0, data: pkt(100, 2) },
    { sec: 3, nsec: 0, data: pkt(1514, 3) },
  ]);
  const thirdAt = 24 + 2 * 116;

  test('truncated tail: earlier frames kept, warning names the offset (file and stream)', async () => {
    const cut = three.subarray(0, thirdAt + 16 + 200);
    for (const r of [await readFile(tmpFile(cut)), await readChunked(cut, 64)]) {
      expect(r.frames.map((f) => f.frameNumber)).toEqual([1, 2]);
      expect(r.info.truncated).toBe(true);
      expect(r.info.packets).toBe(2);
      expect(r.info.bytes).toBe(thirdAt);
      expect(r.info.warnings).toEqual([`truncated record at byte offset ${thirdAt}: header claims 1514 bytes, 200 present`]);
    }
  });

  test('truncated record header', async () => {
    const { info, frames: got } = await readFile(tmpFile(three.subarray(0, thirdAt + 5)));
    expect(got).toHaveLength(2);
    expect(info.warnings[0]).toBe(`truncated record header at byte offset ${thirdAt}: 16 bytes needed, 5 present`);
  });

  test('absurd record length: stop with a warning, no allocation by the claimed length', async () => {
    const buf = Buffer.from(three);
    buf.writeUInt32LE(0xfffffff0, thirdAt + 8);
    const before = process.memoryUsage().arrayBuffers;
    for (const r of [await readFile(tmpFile(buf)), await readChunked(buf, 50)]) {
      expect(r.frames).toHaveLength(2);
      expect(r.info.truncated).toBe(true);
      expect(r.info.warnings[0]).toMatch(new RegExp(`^record at byte offset ${thirdAt} claims 4294967280 captured bytes`));
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  test('maxRecordBytes option', async () => {
    const { info, frames: got } = await readFile(tmpFile(three), 1000);
    expect(got).toHaveLength(2);
    expect(info.warnings[0]).toMatch(/claims 1514 captured bytes \(more than the 1000-byte limit\)/);
  });

  const ng = writePcapng([
    {
      interfaces: [{ linkType: 1 }],
      packets: [
        { interfaceId: 0, ts: 1n, data: pkt(64, 1) },
        { interfaceId: 0, ts: 2n, data: pkt(64, 2) },
      ],
    },
  ]);
  const secondBlock = 28 + 20 + 96; // SHB, IDB, first EPB

  test('pcapng: truncated block', async () => {
    for (const r of [await readFile(tmpFile(ng.subarray(0, ng.length - 10))), await readChunked(ng.subarray(0, ng.length - 10), 7)]) {
      expect(r.frames).toHaveLength(1);
      expect(r.info.truncated).toBe(true);
      expect(r.info.warnings).toEqual([`truncated block at byte offset ${secondBlock}: header claims 96 bytes, 86 present`]);
    }
  });

  test('pcapng: absurd, misaligned and mismatched block lengths', async () => {
    const cases: Array<[number, RegExp]> = [
      [0x7ffffff0, /block at byte offset 144 claims 2147483632 bytes/],
      [98, /block length 98 is not a multiple of 4/],
      [8, /block length 8 is below the 12-byte minimum/],
    ];
    for (const [len, re] of cases) {
      const buf = Buffer.from(ng);
      buf.writeUInt32LE(len, secondBlock + 4);
      for (const r of [await readFile(tmpFile(buf)), await readChunked(buf, 13)]) {
        expect(r.frames).toHaveLength(1);
        expect(r.info.truncated).toBe(true);
        expect(r.info.warnings[0]).toMatch(re);
      }
    }
    const buf = Buffer.from(ng);
    buf.writeUInt32LE(92, ng.length - 4); // trailer disagrees
    const r = await readFile(tmpFile(buf));
    expect(r.frames).toHaveLength(1);
    expect(r.info.warnings[0]).toMatch(/byte offset 144: trailing length 92 does not match leading length 96/);
  });

  test('pcapng: captured length larger than its block', async () => {
    const buf = Buffer.from(ng);
    buf.writeUInt32LE(5000, secondBlock + 20);
    const r = await readFile(tmpFile(buf));
    expect(r.frames).toHaveLength(1);
    expect(r.info.warnings[0]).toMatch(/byte offset 144: captured length 5000 does not fit/);
  });
});

describe('not a capture', () => {
  async function openError(path: string): Promise<string> {
    try {
      await readCapture(path, () => undefined);
    } catch (e) {
      expect(e).toBeInstanceOf(CaptureOpenError);
      const msg = (e as Error).message;
      expect(msg).not.toMatch(/\n/);
      expect(msg.startsWith(path)).toBe(true);
      return msg;
    }
    throw new Error('expected a CaptureOpenError');
  }

  test('text file', async () => {
    const p = tmpFile('HTTP/1.1 200 OK\r\n\r\n');
    expect(await openError(p)).toBe(`${p}: not a pcap or pcapng capture (first bytes 48 54 54 50)`);
  });
  test('empty file', async () => {
    const p = tmpFile('');
    expect(await openError(p)).toBe(`${p}: empty file`);
  });
  test('directory', async () => {
    const p = join(dir, 'subdir');
    mkdirSync(p);
    expect(await openError(p)).toBe(`${p}: is a directory`);
  });
  test('missing file', async () => {
    const p = join(dir, 'nope.pcap');
    expect(await openError(p)).toBe(`${p}: no such file`);
  });
  test('pcap header cut short, tiny file', async () => {
    const p = tmpFile(writePcap([]).subarray(0, 10));
    expect(await openError(p)).toBe(`${p}: pcap file header cut short (10 of 24 bytes present)`);
    expect(await openError(tmpFile(Buffer.from([0xd4, 0xc3])))).toMatch(/only 2 bytes: d4 c3/);
  });
  test('unsupported versions', async () => {
    const b = writePcap([]);
    b.writeUInt16LE(5, 6);
    expect(await openError(tmpFile(b))).toMatch(/unsupported pcap version 2\.5/);
    const ng = writePcapng([{ interfaces: [], packets: [] }]);
    ng.writeUInt16LE(1, 14);
    expect(await openError(tmpFile(ng))).toMatch(/unsupported pcapng version 1\.1/);
  });
  test('gzip of a text file', async () => {
    const p = tmpFile(gzipSync(Buffer.from('hello world')));
    expect(await openError(p)).toMatch(/not a pcap or pcapng capture \(first bytes 68 65 6c 6c\)/);
  });
  test('stream input is named <stdin> for "-"-style paths', async () => {
    await expect(readCaptureStream(Readable.from([Buffer.from('garbage!')]), '-', () => undefined)).rejects.toThrow(
      '<stdin>: not a pcap or pcapng capture (first bytes 67 61 72 62)',
    );
  });
});

/**
 * Property tests: damaged captures (random truncation and byte changes) never throw anything but
 * CaptureOpenError, and reading a file gives exactly what reading the same bytes as a stream in
 * arbitrary chunks gives.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, expect, test } from 'vitest';
import { readCapture, readCaptureStream } from '../../src/capture/reader.js';
import { CaptureInfo, CaptureOpenError } from '../../src/capture/types.js';
import { writePcap, writePcapng } from '../helpers/pcap-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'rstdiag-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pkt = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);
const bases = [
  writePcap([
    { sec: 1700000000, nsec: 5000, data: pkt(60, 1) },
    { sec: 1700000001, nsec: 6000, data: pkt(33, 2), origLen: 99 },
    { sec: 1700000002, nsec: 7000, data: pkt(70, 3) },
  ]),
  writePcapng([
    {
      comment: 'c',
      interfaces: [{ linkType: 1, name: 'eth0' }, { linkType: 113, tsresol: 9 }],
      extraBlocks: [{ type: 0x0bad, body: pkt(12, 9) }],
      packets: [
        { interfaceId: 0, ts: 1700000000000001n, data: pkt(40, 4), comment: 'p' },
        { interfaceId: 1, ts: 1700000000000000001n, data: pkt(21, 5) },
        { interfaceId: 0, ts: 0n, data: pkt(30, 6), kind: 'spb' },
      ],
    },
    { bigEndian: true, interfaces: [{ linkType: 228, tsresol: 0x80 | 24 }], packets: [{ interfaceId: 0, ts: 123456789n, data: pkt(17, 7), kind: 'opb' }] },
  ]),
];

type Outcome = { error: string } | { info: CaptureInfo; frames: string[] };

async function viaFile(buf: Buffer, name: string): Promise<Outcome> {
  const p = join(dir, name);
  writeFileSync(p, buf);
  const frames: string[] = [];
  try {
    const info = await readCapture(p, (f) => frames.push(`${f.frameNumber} ${f.tsSec}.${f.tsNsec} ${f.interfaceId} ${f.linkType} ${f.capturedLength}/${f.originalLength} @${f.fileOffset} ${Buffer.from(f.data).toString('hex')}`));
    return { info: { ...info, path: 'x' }, frames };
  } catch (e) {
    expect(e).toBeInstanceOf(CaptureOpenError);
    return { error: (e as Error).message.replace(p, 'x') };
  }
}

async function viaStream(buf: Buffer, chunk: number): Promise<Outcome> {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) parts.push(buf.subarray(i, i + chunk));
  const frames: string[] = [];
  try {
    const info = await readCaptureStream(Readable.from(parts), 'x', (f) => frames.push(`${f.frameNumber} ${f.tsSec}.${f.tsNsec} ${f.interfaceId} ${f.linkType} ${f.capturedLength}/${f.originalLength} @${f.fileOffset} ${Buffer.from(f.data).toString('hex')}`));
    return { info, frames };
  } catch (e) {
    expect(e).toBeInstanceOf(CaptureOpenError);
    return { error: (e as Error).message };
  }
}

test('every truncation point: file and stream agree, nothing but CaptureOpenError', async () => {
  for (const [i, base] of bases.entries()) {
    for (let cut = 0; cut <= base.length; cut++) {
      const buf = base.subarray(0, cut);
      const a = await viaFile(buf, `cut${i}`);
      const b = await viaStream(buf, 7);
      if (cut === 0) {
        expect(a).toEqual({ error: 'x: empty file' });
        continue;
      }
      expect(b).toEqual(a);
      if ('info' in a && cut < base.length) expect(a.info.truncated || a.info.bytes === cut).toBe(true);
    }
  }
});

test('random byte damage: file and stream agree, nothing but CaptureOpenError', async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: bases.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 1, max: 300 }),
      async (which, edits, chunk) => {
        const buf = Buffer.from(bases[which]);
        for (const [pos, v] of edits) buf[pos % buf.length] = v;
        const a = await viaFile(buf, `mut${n++ % 4}`);
        const b = await viaStream(buf, chunk);
        expect(b).toEqual(a);
        if ('info' in a) for (const w of a.info.warnings) expect(w).not.toMatch(/\n/);
        if ('error' in a) expect(a.error).not.toMatch(/\n/);
      },
    ),
    { numRuns: 400 },
  );
});

test('a pcap 2.0 (caplen and len swapped) cut mid-record: the stream names the length the file does', async () => {
  const buf = Buffer.from(bases[0]);
  buf[6] = 0; // version 2.0
  buf[37] = 1; // the first record's second length field: 60 → 316
  const a = await viaFile(buf, 'v20');
  expect(a).toMatchObject({ info: { warnings: ['truncated record at byte offset 24: header claims 316 bytes, 195 present'] } });
  expect(await viaStream(buf, 1)).toEqual(a);
});

test('an exception thrown by the frame callback propagates unchanged', async () => {
  const p = join(dir, 'cb');
  writeFileSync(p, bases[0]);
  const boom = new Error('consumer failed');
  await expect(readCapture(p, () => { throw boom; })).rejects.toBe(boom);
  await expect(readCaptureStream(Readable.from([bases[1]]), 's', () => { throw boom; })).rejects.toBe(boom);
});

/**
 * What the reader tests share: temporary capture files, and frames copied out of the reused Frame
 * (read from a file, or from a stream cut into chunks of any size).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readCapture, readCaptureStream } from '../../src/capture/reader.js';
import { CaptureInfo, Frame } from '../../src/capture/types.js';

export const tempDir = mkdtempSync(join(tmpdir(), 'rstdiag-capture-'));
/** For afterAll in every file that uses tmpFile. */
export function removeTempDir(): void {
  rmSync(tempDir, { recursive: true, force: true });
}
let fileNo = 0;
export function tmpFile(content: Buffer | string, name?: string): string {
  const p = join(tempDir, name ?? `f${fileNo++}`);
  writeFileSync(p, content);
  return p;
}

/** A frame copied out of the reused Frame. */
export type Got = Omit<Frame, 'data'> & { data: number[] };

function copy(f: Frame): Got {
  return {
    frameNumber: f.frameNumber,
    tsSec: f.tsSec,
    tsNsec: f.tsNsec,
    linkType: f.linkType,
    interfaceId: f.interfaceId,
    capturedLength: f.capturedLength,
    originalLength: f.originalLength,
    fileOffset: f.fileOffset,
    data: Array.from(f.data),
  };
}

export async function readFile(path: string, maxRecordBytes?: number): Promise<{ info: CaptureInfo; frames: Got[] }> {
  const frames: Got[] = [];
  const info = await readCapture(path, (f) => frames.push(copy(f)), maxRecordBytes ? { maxRecordBytes } : undefined);
  return { info, frames };
}

/** Feed `buf` as a stream in chunks of `chunk` bytes (splitting records anywhere). */
export async function readChunked(buf: Buffer, chunk: number, maxRecordBytes?: number): Promise<{ info: CaptureInfo; frames: Got[] }> {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) parts.push(buf.subarray(i, i + chunk));
  const frames: Got[] = [];
  const info = await readCaptureStream(Readable.from(parts), 'stream-input', (f) => frames.push(copy(f)), maxRecordBytes ? { maxRecordBytes } : undefined);
  return { info, frames };
}

export const bytes = (...v: number[]): Uint8Array => Uint8Array.from(v);
export const pkt = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

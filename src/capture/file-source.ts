/**
 * Reading a capture file: a regular file is read in chunks into two buffers used in turn (the
 * next chunk is read while this one is parsed); a gzip file or anything that is not a regular
 * file (FIFO, character device) is read as a stream.
 */

import { createReadStream, promises as fsp } from 'node:fs';
import { captureOpenError, openErrorFor } from './capture-errors.js';
import { CaptureParser } from './capture-parser.js';
import { ChunkFeeder } from './chunk-feeder.js';
import { consumeStream, readErrorAfter, toBuffer } from './stream-source.js';
import { ProgressCallback } from './types.js';

const READ_CHUNK = 1024 * 1024;

export async function readCaptureFile(path: string, parser: CaptureParser, onProgress: ProgressCallback | undefined): Promise<void> {
  let st;
  try {
    st = await fsp.stat(path);
  } catch (e) {
    throw openErrorFor(path, e);
  }
  if (st.isDirectory()) throw captureOpenError(path, 'is a directory');
  if (!st.isFile()) {
    // FIFO, character device, …: size unknown, read as a stream.
    await consumeStream(createReadStream(path, { highWaterMark: READ_CHUNK }), parser, onProgress, null);
    return;
  }
  if (st.size === 0) throw captureOpenError(path, 'empty file');
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (e) {
    throw openErrorFor(path, e);
  }
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    let n: number;
    try {
      n = (await fh.read(buf, 0, READ_CHUNK, null)).bytesRead;
    } catch (e) {
      throw openErrorFor(path, e);
    }
    if (n >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
      const first = Buffer.from(buf.subarray(0, n));
      const rest = fh.createReadStream({ highWaterMark: READ_CHUNK, autoClose: false });
      async function* chunks(): AsyncGenerator<Buffer> {
        yield first;
        for await (const c of rest) yield toBuffer(c);
      }
      await consumeStream(chunks(), parser, onProgress, st.size);
      return;
    }
    parser.knownTotal = st.size;
    const feeder = new ChunkFeeder(parser);
    // Two buffers: the next chunk is read (on libuv's thread pool) while this one is parsed. The
    // feeder copies any partial record out of a chunk, so a buffer is free again once fed.
    const spare = Buffer.allocUnsafe(READ_CHUNK);
    const readInto = (b: Buffer): Promise<number | Error> =>
      fh.read(b, 0, READ_CHUNK, null).then((r) => r.bytesRead, (e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    let current = buf;
    let next = spare;
    let read = 0;
    let go = true;
    let got: number | Error = n;
    while (typeof got === 'number' && got > 0) {
      n = got;
      read += n;
      const ahead = readInto(next);
      go = feeder.feed(n === READ_CHUNK ? current : current.subarray(0, n));
      if (onProgress) onProgress(read, st.size);
      got = await ahead;
      if (!go) break;
      const t = current;
      current = next;
      next = t;
    }
    if (go && got instanceof Error) {
      const e = got;
      if (!parser.started) throw openErrorFor(path, e);
      readErrorAfter(parser, read, e);
    }
    if (go) feeder.finish(false);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

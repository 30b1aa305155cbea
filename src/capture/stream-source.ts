/**
 * Reading a capture from a stream of chunks (standard input, a FIFO, a gzip file after its first
 * chunk), gzip-decompressed when the first two bytes are the gzip magic.
 */

import { Readable } from 'node:stream';
import { captureOpenError, errorCode, openErrorFor } from './capture-errors.js';
import { CaptureParser } from './capture-parser.js';
import { ChunkFeeder } from './chunk-feeder.js';
import { ProgressCallback } from './types.js';
import { builtin } from '../lazy-builtin.js';

export function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'latin1');
  throw new TypeError('capture stream yielded a non-binary chunk');
}

/** Keep what was decoded before a read error, with a warning. */
export function readErrorAfter(parser: CaptureParser, bytesRead: number, e: unknown): void {
  parser.warn(`read error after ${bytesRead} bytes (${errorCode(e)}); kept what was read`);
  parser.info.truncated = true;
}

/**
 * Decode the stream of chunks (already decompressed, or to be decompressed when gzip magic is
 * seen). `totalBytes` is only passed on to `onProgress`.
 */
export async function consumeStream(
  source: AsyncIterable<unknown>,
  parser: CaptureParser,
  onProgress: ProgressCallback | undefined,
  totalBytes: number | null,
): Promise<void> {
  const it = source[Symbol.asyncIterator]();
  let rawRead = 0;
  const prefix: Buffer[] = [];
  let prefixLen = 0;
  let ended = false;
  // Sniff at least two bytes for the gzip magic.
  try {
    while (prefixLen < 2) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      const b = toBuffer(r.value);
      if (b.length === 0) continue;
      prefix.push(b);
      prefixLen += b.length;
      rawRead += b.length;
    }
  } catch (e) {
    throw openErrorFor(parser.info.path, e);
  }
  const head = prefix.length === 1 ? prefix[0] : Buffer.concat(prefix);
  const gz = prefixLen >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  const feeder = new ChunkFeeder(parser);

  if (!gz) {
    let go = true;
    for (const b of prefix) if (go) go = feeder.feed(b);
    if (onProgress) onProgress(rawRead, totalBytes);
    if (go && !ended) {
      const end = await feedAll(it, feeder, (length) => {
        rawRead += length;
        if (onProgress) onProgress(rawRead, totalBytes);
      });
      if (end.kind === 'failed') {
        if (!parser.started) throw openErrorFor(parser.info.path, end.error);
        readErrorAfter(parser, rawRead, end.error);
      } else if (end.kind === 'stopped') {
        go = false;
        if (it.return) await it.return(undefined).catch(() => undefined);
      }
    }
    if (go) feeder.finish(false);
    return;
  }

  parser.info.compressed = true;
  let readError: unknown = null;
  async function* raw(): AsyncGenerator<Buffer> {
    for (const b of prefix) yield b;
    if (ended) return;
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        const b = toBuffer(r.value);
        rawRead += b.length;
        yield b;
        if (onProgress) onProgress(rawRead, totalBytes);
      }
    } catch (e) {
      readError = e;
    } finally {
      if (it.return) await it.return(undefined).catch(() => undefined);
    }
  }
  const src = Readable.from(raw());
  const gunzip = builtin<typeof import('node:zlib')>('node:zlib').createGunzip({ chunkSize: 256 * 1024 });
  src.on('error', (e: unknown) => gunzip.destroy(e instanceof Error ? e : new Error(String(e))));
  src.pipe(gunzip);
  let go = true;
  let unzipped = 0;
  try {
    const end = await feedAll(gunzip[Symbol.asyncIterator](), feeder, (length) => {
      unzipped += length;
    });
    if (end.kind === 'stopped') go = false;
    else if (end.kind === 'failed') {
      const code = errorCode(end.error);
      const what = code === 'Z_BUF_ERROR' ? 'gzip stream cut short' : `gzip stream damaged (${code})`;
      if (!parser.started && unzipped === 0) throw captureOpenError(parser.info.path, what);
      parser.warn(`${what} after ${unzipped} uncompressed bytes; kept what was read`);
      parser.info.truncated = true;
    }
  } finally {
    src.destroy();
    gunzip.destroy();
  }
  if (readError !== null) readErrorAfter(parser, rawRead, readError);
  if (onProgress) onProgress(rawRead, totalBytes);
  if (go) feeder.finish(true);
}

type FeedEnd = { kind: 'ended' } | { kind: 'stopped' } | { kind: 'failed'; error: unknown };

/**
 * Feed every chunk `chunks` yields until it ends, the parser stops (damage), or reading throws.
 * `fed` is told each chunk's length once it has been fed. Exceptions from the parser
 * (CaptureOpenError) or from onFrame propagate as they are.
 */
async function feedAll(chunks: AsyncIterator<unknown>, feeder: ChunkFeeder, fed: (length: number) => void): Promise<FeedEnd> {
  for (;;) {
    let r: IteratorResult<unknown>;
    try {
      r = await chunks.next();
    } catch (error) {
      return { kind: 'failed', error };
    }
    if (r.done) return { kind: 'ended' };
    const b = toBuffer(r.value);
    if (!feeder.feed(b)) return { kind: 'stopped' };
    fed(b.length);
  }
}

/**
 * Streaming capture reader: classic pcap (µs / ns, both byte orders, Kuznetzov's modified pcap)
 * and pcapng (sections, interfaces, if_tsresol, if_tsoffset, EPB / SPB / OPB), from a file, from
 * standard input or from any readable stream, gzip-compressed or not (detected by magic bytes).
 *
 * Design:
 * - The input is read in chunks (file-source.ts, stream-source.ts). Records are decoded straight
 *   out of each chunk; only a record split across two chunks is copied (chunk-feeder.ts).
 * - One `Frame` object is reused for every record; `frame.data` is a view into the current chunk
 *   (or the carry-over buffer), valid only during the callback.
 * - Frame numbers follow Wireshark: 1-based across all sections. pcapng blocks that Wireshark
 *   turns into records without being packets (custom blocks 0x0BAD / 0x40000BAD, systemd journal
 *   export 0x9, sysdig event blocks) consume a frame number but are not delivered; they are counted
 *   in `info.otherRecords`.
 * - An EPB / OPB / SPB naming an interface the section does not define is skipped with one warning
 *   per interface id and does NOT consume a frame number (Wireshark stops with an error there).
 * - Damage (a truncated tail, an impossible length, a broken block trailer) stops decoding with a
 *   warning naming the byte offset in the uncompressed stream; everything before it is kept.
 */

import { Readable } from 'node:stream';
import { CaptureParser } from './capture-parser.js';
import { readCaptureFile } from './file-source.js';
import { consumeStream } from './stream-source.js';
import { CaptureInfo, FrameCallback, ProgressCallback } from './types.js';

export interface ReadCaptureOptions {
  /** Called after every chunk with the bytes read from the source (compressed bytes for .gz). */
  onProgress?: ProgressCallback;
  /** Largest record / block accepted; anything claiming more stops the read. Default 256 MiB. */
  maxRecordBytes?: number;
  /**
   * Handed the CaptureInfo before the first frame; it is filled in as the read goes (an
   * interface is in `interfaces` before any frame names it): for a consumer that copies frames.
   */
  onInfo?: (info: CaptureInfo) => void;
}

export const DEFAULT_MAX_RECORD_BYTES = 256 * 1024 * 1024;

function newParser(path: string, onFrame: FrameCallback, options: ReadCaptureOptions | undefined): CaptureParser {
  const parser = new CaptureParser(path, onFrame, options?.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES);
  options?.onInfo?.(parser.info);
  return parser;
}

function finalize(parser: CaptureParser): CaptureInfo {
  const info = parser.info;
  info.bytes = parser.consumed;
  return info;
}

/**
 * Read a capture file (`'-'` = standard input), calling `onFrame` synchronously for every packet
 * with one reused Frame. Resolves with what was learned about the input; rejects with
 * CaptureOpenError when the input is not a capture at all. Exceptions thrown by `onFrame`
 * propagate unchanged.
 */
export async function readCapture(path: string, onFrame: FrameCallback, options?: ReadCaptureOptions): Promise<CaptureInfo> {
  if (path === '-') return readCaptureStream(process.stdin, path, onFrame, options);
  const parser = newParser(path, onFrame, options);
  await readCaptureFile(path, parser, options?.onProgress);
  return finalize(parser);
}

/**
 * Read a capture from any readable byte stream (gzip detected by magic bytes). `path` is only
 * used to name the input in messages and in `info.path`.
 */
export async function readCaptureStream(
  stream: NodeJS.ReadableStream | Readable,
  path: string,
  onFrame: FrameCallback,
  options?: ReadCaptureOptions,
): Promise<CaptureInfo> {
  const parser = newParser(path, onFrame, options);
  await consumeStream(stream as AsyncIterable<unknown>, parser, options?.onProgress, null);
  return finalize(parser);
}

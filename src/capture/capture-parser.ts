/**
 * Incremental decoder for one capture: recognises the file header (pcap or pcapng, throwing
 * CaptureOpenError for anything else) and then hands every chunk to that format's parser.
 */

import { captureOpenError, hexBytes } from './capture-errors.js';
import { PCAP_FILE_HEADER_LENGTH, PcapRecordParser, pcapByteOrder } from './pcap-records.js';
import { BLOCK_HEADER_LENGTH, PCAPNG_SHB, PcapngBlockParser, claimedSectionLength } from './pcapng-blocks.js';
import { ReadState } from './read-state.js';
import { CaptureInfo, FrameCallback } from './types.js';

/**
 * `parse(buf, start, end)` decodes every complete record in buf[start, end) and returns the
 * position of the first incomplete one; `need` is then the number of bytes (from that position)
 * required to make progress.
 */
export class CaptureParser {
  private readonly state: ReadState;
  /** The parser for the format the header named; null until the header has been read. */
  private format: PcapRecordParser | PcapngBlockParser | null = null;

  constructor(path: string, onFrame: FrameCallback, maxRecord: number) {
    this.state = new ReadState(path, onFrame, maxRecord);
  }

  get info(): CaptureInfo {
    return this.state.info;
  }

  /** Bytes needed at the first unconsumed position to make progress. */
  get need(): number {
    return this.state.need;
  }

  /** Absolute offset (uncompressed stream) of the first byte not yet consumed. */
  get consumed(): number {
    return this.state.consumed;
  }

  /** Total uncompressed size when known (plain regular file), for early truncation detection. */
  set knownTotal(total: number | null) {
    this.state.knownTotal = total;
  }

  get stopped(): boolean {
    return this.state.stopped;
  }

  /** A capture header has been recognised. */
  get started(): boolean {
    return this.format !== null;
  }

  warn(msg: string): void {
    this.state.warn(msg);
  }

  parse(buf: Buffer, start: number, end: number): number {
    if (this.state.stopped) return start;
    let format = this.format;
    let p = start;
    if (format === null) {
      p = this.parseStart(buf, start, end);
      format = this.format;
      if (format === null) return p;
    }
    return format.parse(buf, p, end);
  }

  /** Recognise the file header. Throws CaptureOpenError for anything that is not a capture. */
  private parseStart(buf: Buffer, p: number, end: number): number {
    const state = this.state;
    if (end - p < 4) {
      state.need = 4;
      return p;
    }
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
    if (dv.getUint32(p, true) === PCAPNG_SHB) {
      const pcapng = new PcapngBlockParser(state);
      const next = pcapng.openFirstSection(buf, dv, p, end);
      if (next !== p) this.format = pcapng;
      return next;
    }
    const le = pcapByteOrder(dv, p);
    if (le === null) throw captureOpenError(state.info.path, `not a pcap or pcapng capture (first bytes ${hexBytes(buf, p, p + 4)})`);
    if (end - p < PCAP_FILE_HEADER_LENGTH) {
      state.need = PCAP_FILE_HEADER_LENGTH;
      return p;
    }
    this.format = PcapRecordParser.open(state, dv, p, le);
    return p + PCAP_FILE_HEADER_LENGTH;
  }

  /**
   * End of input. Throws CaptureOpenError when no capture header was recognised; otherwise records
   * a truncation warning for an incomplete trailing record held in `tail`.
   */
  finish(tail: Buffer, tailLen: number, compressed: boolean): void {
    const state = this.state;
    if (this.format === null) {
      const path = state.info.path;
      if (state.consumed + tailLen === 0) throw captureOpenError(path, compressed ? 'empty after gzip decompression' : 'empty file');
      if (tailLen < 4) {
        throw captureOpenError(path, `not a pcap or pcapng capture (only ${tailLen} byte${tailLen === 1 ? '' : 's'}: ${hexBytes(tail, 0, tailLen)})`);
      }
      if (tail.readUInt32LE(0) === PCAPNG_SHB) {
        if (tailLen >= BLOCK_HEADER_LENGTH) {
          throw captureOpenError(path, `pcapng section header cut short (${claimedSectionLength(tail, tailLen)} bytes claimed, ${tailLen} present)`);
        }
        throw captureOpenError(path, `pcapng section header cut short (${tailLen} bytes present)`);
      }
      throw captureOpenError(path, `pcap file header cut short (${tailLen} of ${PCAP_FILE_HEADER_LENGTH} bytes present)`);
    }
    if (state.stopped || tailLen === 0) return;
    this.format.finishTail(tail, tailLen);
  }
}

/**
 * What the pcap and pcapng parsers share while reading one capture: the reused Frame, the
 * CaptureInfo being filled in, frame numbering, the position in the uncompressed stream, and the
 * warn / stop policy (damage stops decoding with one warning; oddities are warned about once).
 */

import { CaptureInfo, Frame, FrameCallback } from './types.js';

const MAX_WARNINGS = 100;
const MAX_COMMENTS = 256;
const MAX_COMMENT_CHARS = 4096;

/** A string option's value: writers often NUL-terminate them; capped in length. */
export function optionString(buf: Buffer, start: number, len: number): string {
  let s = buf.toString('utf8', start, start + len);
  const nul = s.indexOf('\0');
  if (nul >= 0) s = s.slice(0, nul);
  return s.length > MAX_COMMENT_CHARS ? s.slice(0, MAX_COMMENT_CHARS) : s;
}

function newInfo(path: string): CaptureInfo {
  return {
    path,
    format: null,
    compressed: false,
    linkTypes: [],
    interfaces: [],
    packets: 0,
    bytes: 0,
    truncated: false,
    warnings: [],
    comments: [],
    otherRecords: 0,
  };
}

export class ReadState {
  readonly info: CaptureInfo;
  /** Reused for every record; `data` is a view into the chunk being parsed. */
  readonly frame: Frame = {
    frameNumber: 0,
    tsSec: 0,
    tsNsec: 0,
    linkType: 0,
    interfaceId: 0,
    interfaceIndex: 0,
    capturedLength: 0,
    originalLength: 0,
    fileOffset: 0,
    data: new Uint8Array(0),
  };
  readonly onFrame: FrameCallback;
  /** Largest record / block accepted. */
  readonly maxRecord: number;

  /** Absolute offset (uncompressed stream) of the first byte not yet consumed. */
  consumed = 0;
  /** Bytes needed at `consumed` to make progress. */
  need = 4;
  /** Total uncompressed size when known (plain regular file), for early truncation detection. */
  knownTotal: number | null = null;
  /** Damage was found: nothing more is decoded. */
  stopped = false;
  /** Wireshark's frame.number of the last record numbered. */
  frameCount = 0;

  private lastLinkType = -1;
  private warnedCapOverSnap = false;
  private warnedCapOverOrig = false;
  private warnedTsFrac = false;

  constructor(path: string, onFrame: FrameCallback, maxRecord: number) {
    this.info = newInfo(path);
    this.onFrame = onFrame;
    this.maxRecord = maxRecord;
  }

  warn(msg: string): void {
    const w = this.info.warnings;
    if (w.length < MAX_WARNINGS) w.push(msg);
    else if (w.length === MAX_WARNINGS) w.push('further warnings suppressed');
  }

  /** Stop decoding because of damage. */
  stop(msg: string): void {
    this.warn(msg);
    this.info.truncated = true;
    this.stopped = true;
  }

  /**
   * Number and hand over one packet whose timestamp is already in `frame`; its bytes are the
   * `capturedLength` bytes at `dataStart` in `memory` (the chunk's ArrayBuffer, fetched once per
   * chunk by the caller).
   */
  deliver(
    memory: ArrayBufferLike,
    dataStart: number,
    linkType: number,
    interfaceId: number,
    capturedLength: number,
    originalLength: number,
    fileOffset: number,
  ): void {
    const frame = this.frame;
    frame.frameNumber = ++this.frameCount;
    frame.linkType = linkType;
    frame.interfaceId = interfaceId;
    frame.capturedLength = capturedLength;
    frame.originalLength = originalLength;
    frame.fileOffset = fileOffset;
    frame.data = new Uint8Array(memory, dataStart, capturedLength);
    if (linkType !== this.lastLinkType) this.noteLinkType(linkType);
    this.info.packets++;
    this.onFrame(frame);
  }

  private noteLinkType(linkType: number): void {
    this.lastLinkType = linkType;
    const seen = this.info.linkTypes;
    if (!seen.includes(linkType)) seen.push(linkType);
  }

  /** Captured length over the original or the snapshot length: tolerated, warned once each. */
  lengthOddity(at: number, incl: number, orig: number, snap: number): void {
    if (incl > orig && !this.warnedCapOverOrig) {
      this.warnedCapOverOrig = true;
      this.warn(`record at byte offset ${at}: captured length ${incl} exceeds original length ${orig} (tolerated; further occurrences not reported)`);
    }
    if (snap !== 0 && incl > snap && !this.warnedCapOverSnap) {
      this.warnedCapOverSnap = true;
      this.warn(`record at byte offset ${at}: captured length ${incl} exceeds snapshot length ${snap} (tolerated; further occurrences not reported)`);
    }
  }

  fracOverflow(at: number): void {
    if (this.warnedTsFrac) return;
    this.warnedTsFrac = true;
    this.warn(`record at byte offset ${at} has a sub-second timestamp field of one second or more; normalised (further occurrences not reported)`);
  }

  get commentsFull(): boolean {
    return this.info.comments.length >= MAX_COMMENTS;
  }

  addComment(buf: Buffer, start: number, len: number): void {
    if (!this.commentsFull) this.info.comments.push(optionString(buf, start, len));
  }
}

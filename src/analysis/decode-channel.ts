/**
 * The shared-memory channel between the decoding thread and the analysis: SLOTS slots of
 * SLOT_PACKETS packet records (src/analysis/packet-record.ts), handed back and forth through a
 * small control array of 32-bit words.
 */
import { RECORD_WORDS } from './packet-record.js';

export const SLOTS = 8;
export const SLOT_PACKETS = 4096;

/** Control words: per slot its state, its record count and whether it is the last; then ABORT. */
export const enum C {
  State = 0,
  Count = State + SLOTS,
  Final = Count + SLOTS,
  /** Set by the analysis when it stops early: the decoding thread stops waiting and exits. */
  Abort = Final + SLOTS,
  Size,
}

export const EMPTY = 0;
export const FULL = 1;

export const DATA_WORDS = SLOTS * SLOT_PACKETS * RECORD_WORDS;

/** What the decoding thread is started with: the shared memory (the captures come by message). */
export interface DecodeJob {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
  /** Where its messages go (the analysis's end of a MessageChannel). */
  port: import('node:worker_threads').MessagePort;
}

/** The shared memory and the message port the analysis reads a decoding thread's output from. */
export interface DecodedChannel {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
  port: import('node:worker_threads').MessagePort;
}

/** The decoding thread's messages: progress, then one 'done' or 'error' per capture (after its last slot). */
export type DecodeResult =
  | { type: 'done'; info: import('../capture/types.js').CaptureInfo; counts: import('../decode/undecoded.js').DecoderCounts }
  | { type: 'error'; open: boolean; path: string; message: string }
  | { type: 'progress'; bytes: number; total: number | null };

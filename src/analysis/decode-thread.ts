/**
 * Reading and decoding on a second thread (decode-worker.ts): the analysis receives decoded
 * packets as records in shared memory (decode-channel.ts) and spends its own thread on the flow
 * table and the rules. Same frames, same packets, same errors as reading in-thread.
 */
import type { MessagePort } from 'node:worker_threads';
import { CaptureOpenError, type CaptureInfo, type Frame } from '../capture/types.js';
import { builtin } from '../lazy-builtin.js';
import { Packet } from '../decode/packet.js';
import type { DecoderCounts } from '../decode/undecoded.js';
import { C, DATA_WORDS, EMPTY, FULL, SLOT_PACKETS, SLOTS, type DecodedChannel, type DecodeJob, type DecodeResult } from './decode-channel.js';
import { readRecord, RECORD_WORDS } from './packet-record.js';

/** Atomics.waitAsync (Node 16+; typed in TypeScript's ES2024 lib, which this build does not use). */
type WaitAsync = (array: Int32Array, index: number, value: number, timeout?: number) =>
  { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export interface StartedDecoder {
  /** For the analysis (transfer `channel.port` to the thread that consumes it). */
  channel: DecodedChannel;
  /** The captures to decode, in order (the thread waits for them). */
  begin(paths: string[]): void;
  /** Stops the decoding thread (the analysis failed, ended early, or never began). */
  abort(): void;
}

/** Starts the decoding thread (a built script, dist/decode-worker.js, beside this one); it waits for `begin`. */
export function startDecoder(): StartedDecoder {
  const control = new SharedArrayBuffer(C.Size * 4);
  const data = new SharedArrayBuffer(DATA_WORDS * 4);
  const { MessageChannel, Worker } = builtin<typeof import('node:worker_threads')>('node:worker_threads');
  const { port1, port2 } = new MessageChannel();
  const job: DecodeJob = { control, data, port: port1 };
  // It allocates almost nothing per packet (a reused frame and packet): a small young generation.
  // Beside this file: dist/analysis/ as tsc writes it, or dist/cli/ in the bundle (postbuild.mjs).
  const worker = new Worker(new URL('./decode-worker.js', import.meta.url), {
    workerData: job, transferList: [port1], resourceLimits: { maxYoungGenerationSizeMb: 4 },
  });
  // Its failures reach the analysis through the channel (a closed port); none may go unhandled here.
  worker.on('error', () => undefined);
  const ctrl = new Int32Array(control);
  return {
    channel: { control, data, port: port2 },
    begin: (paths) => worker.postMessage({ paths }),
    abort: () => {
      Atomics.store(ctrl, C.Abort, 1);
      void worker.terminate();
    },
  };
}

export interface DecodedCapture {
  info: CaptureInfo;
  /** What the thread's decoder could not decode. */
  counts: DecoderCounts;
}

/** The analysis's end of a decoding thread: one capture after the other, as the thread decodes them. */
export class DecodedStream {
  private readonly control: Int32Array;
  private readonly data: Int32Array;
  private slot = 0;
  private readonly results: DecodeResult[] = [];
  private wake: (() => void) | null = null;
  private closed = false;
  onProgress: ((bytes: number, total: number | null) => void) | undefined;

  constructor(channel: DecodedChannel) {
    this.control = new Int32Array(channel.control);
    this.data = new Int32Array(channel.data);
    const port: MessagePort = channel.port;
    port.on('message', (m: DecodeResult) => {
      if (m.type === 'progress') this.onProgress?.(m.bytes, m.total);
      else this.results.push(m);
      this.wake?.();
    });
    // The decoding thread closes its end when it is done, or when it dies.
    port.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    this.port = port;
  }

  private readonly port: MessagePort;

  /** The analysis is done with this stream (lets its thread end). */
  close(): void {
    this.port.close();
  }

  private stopped(path: string): Error {
    return new Error(`${path}: the decoding thread stopped unexpectedly`);
  }

  /** The next capture's packets, in order, to onPacket; then what the reader learned of it. */
  async next(path: string, onPacket: (frame: Frame, packet: Packet) => void): Promise<DecodedCapture> {
    const control = this.control;
    const data = this.data;
    const frame: Frame = {
      frameNumber: 0, tsSec: 0, tsNsec: 0, linkType: 0, interfaceId: 0, capturedLength: 0, originalLength: 0,
      fileOffset: 0, data: new Uint8Array(0),
    };
    const packet = new Packet();
    for (let ended = false; !ended;) {
      const slot = this.slot;
      while (Atomics.load(control, C.State + slot) !== FULL) {
        if (this.closed) throw this.stopped(path);
        const w = waitAsync(control, C.State + slot, EMPTY, 200);
        if (w.async) await w.value;
      }
      const count = control[C.Count + slot]!;
      const base = slot * SLOT_PACKETS * RECORD_WORDS;
      for (let i = 0; i < count; i++) {
        readRecord(data, base + i * RECORD_WORDS, frame, packet);
        onPacket(frame, packet);
      }
      ended = control[C.Final + slot] === 1;
      Atomics.store(control, C.State + slot, EMPTY);
      Atomics.notify(control, C.State + slot);
      this.slot = (slot + 1) % SLOTS;
    }
    while (this.results.length === 0) {
      if (this.closed) throw this.stopped(path);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = null;
    }
    const r = this.results.shift()!;
    if (r.type === 'error') throw r.open ? new CaptureOpenError(r.path, r.message) : new Error(r.message);
    if (r.type !== 'done') throw this.stopped(path);
    return { info: r.info, counts: r.counts };
  }
}

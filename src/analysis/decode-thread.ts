/**
 * Reading and decoding on a second thread: the analysis receives decoded packets (as records in
 * shared memory, decode-channel.ts) and spends its own thread on the flow table and the rules.
 * Same frames, same packets, same errors as reading in-thread; used for regular files large
 * enough to repay starting a thread.
 */
import { Worker } from 'node:worker_threads';
import { statSync } from 'node:fs';
import { CaptureOpenError, type CaptureInfo, type Frame } from '../capture/types.js';
import { Packet } from '../decode/packet.js';
import { C, DATA_WORDS, EMPTY, FULL, SLOT_PACKETS, SLOTS, type DecodeJob, type DecodeResult } from './decode-channel.js';
import { R, readRecord } from './packet-record.js';

/** Atomics.waitAsync (Node 16+; typed in TypeScript's ES2024 lib, which this build does not use). */
type WaitAsync = (array: Int32Array, index: number, value: number, timeout?: number) =>
  { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Files smaller than this are read in-thread: starting the decoding thread costs some 30 ms. */
export const DECODE_THREAD_MIN_BYTES = 16 * 1024 * 1024;

/**
 * The decoding thread's script, when this module runs from the build (dist/): under a test
 * runner that loads the TypeScript sources, there is no compiled script to start, so null.
 */
function workerScript(): URL | null {
  return import.meta.url.endsWith('.js') ? new URL('./decode-worker.js', import.meta.url) : null;
}

/**
 * Whether to decode `path` on a second thread: a regular file of at least `minBytes`.
 * RSTDIAG_THREADS=always|never overrides (for tests and for measuring).
 */
export function useDecodeThread(path: string, minBytes = DECODE_THREAD_MIN_BYTES): boolean {
  if (path === '-' || workerScript() === null) return false;
  const env = process.env['RSTDIAG_THREADS'];
  if (env === 'never') return false;
  try {
    const st = statSync(path);
    if (!st.isFile()) return false;
    return env === 'always' || st.size >= minBytes;
  } catch {
    // Let the reader report it (one line, as always).
    return false;
  }
}

export interface DecodedCapture {
  info: CaptureInfo;
  unknownLinkTypes: [number, number][];
}

/** Reads `path` on the decoding thread, calling onPacket for every frame in order. */
export async function readDecodedInThread(
  path: string,
  onPacket: (frame: Frame, packet: Packet) => void,
  options: { maxRecordBytes?: number; onProgress?: (bytes: number, total: number | null) => void } = {},
): Promise<DecodedCapture> {
  const script = workerScript();
  if (script === null) throw new Error('the decoding thread needs the built package (dist/)');
  const control = new Int32Array(new SharedArrayBuffer(C.Size * 4));
  const data = new Int32Array(new SharedArrayBuffer(DATA_WORDS * 4));
  const job: DecodeJob = { path, control: control.buffer as SharedArrayBuffer, data: data.buffer as SharedArrayBuffer, maxRecordBytes: options.maxRecordBytes };
  // The decoding thread allocates almost nothing per packet (a reused frame and packet): a small
  // young generation keeps its heap, and the process's peak RSS, small.
  const worker = new Worker(script, { workerData: job, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
  let result: DecodeResult | null = null;
  let exited = false;
  const finished = new Promise<void>((resolve) => {
    worker.on('message', (m: DecodeResult) => {
      if (m.type === 'progress') options.onProgress?.(m.bytes, m.total);
      else {
        result = m;
        resolve();
      }
    });
    worker.on('error', (err) => {
      result ??= { type: 'error', open: false, path, message: err.message };
      resolve();
    });
    worker.on('exit', () => {
      exited = true;
      resolve();
    });
  });
  const frame: Frame = {
    frameNumber: 0, tsSec: 0, tsNsec: 0, linkType: 0, interfaceId: 0, capturedLength: 0, originalLength: 0, fileOffset: 0,
    data: new Uint8Array(0),
  };
  const packet = new Packet();
  let slot = 0;
  let ended = false;
  try {
    while (!ended) {
      while (Atomics.load(control, C.State + slot) !== FULL) {
        // The thread died without ending the stream (it cannot, short of a crash): stop.
        if (exited) throw new Error(`${path}: the decoding thread stopped unexpectedly`);
        const w = waitAsync(control, C.State + slot, EMPTY, 200);
        if (w.async) await w.value;
      }
      const count = control[C.Count + slot]!;
      const base = slot * SLOT_PACKETS * R.Size;
      for (let i = 0; i < count; i++) {
        readRecord(data, base + i * R.Size, frame, packet);
        onPacket(frame, packet);
      }
      ended = control[C.Final + slot] === 1;
      Atomics.store(control, C.State + slot, EMPTY);
      Atomics.notify(control, C.State + slot);
      slot = (slot + 1) % SLOTS;
    }
    await finished;
  } catch (err) {
    Atomics.store(control, C.Abort, 1);
    void worker.terminate();
    throw err;
  }
  const r = result as DecodeResult | null;
  if (r === null || r.type === 'progress') throw new Error(`${path}: the decoding thread stopped unexpectedly`);
  if (r.type === 'error') throw r.open ? new CaptureOpenError(r.path, r.message) : new Error(r.message);
  return { info: r.info, unknownLinkTypes: r.unknownLinkTypes };
}

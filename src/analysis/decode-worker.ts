/**
 * The decoding thread (worker_threads): reads and decodes a capture file and hands the packets to
 * the analysis thread as records in shared memory (decode-channel.ts), so reading, parsing and
 * decoding run on a second core beside the flow table and the rules.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readCapture } from '../capture/reader.js';
import { CaptureOpenError, type Frame } from '../capture/types.js';
import { Decoder } from '../decode/decoder.js';
import { Packet } from '../decode/packet.js';
import { C, EMPTY, FULL, SLOT_PACKETS, SLOTS, type DecodeJob, type DecodeResult } from './decode-channel.js';
import { R, writeRecord } from './packet-record.js';

const job = workerData as DecodeJob;
const control = new Int32Array(job.control);
const data = new Int32Array(job.data);
const decoder = new Decoder();
const packet = new Packet();
let slot = 0;
let count = 0;
let aborted = false;
/** Progress messages at most this often (bytes read). */
const PROGRESS_STEP = 16 * 1024 * 1024;
let nextProgress = PROGRESS_STEP;

class Aborted extends Error {}

function publish(final: boolean): void {
  control[C.Count + slot] = count;
  control[C.Final + slot] = final ? 1 : 0;
  Atomics.store(control, C.State + slot, FULL);
  Atomics.notify(control, C.State + slot);
  slot = (slot + 1) % SLOTS;
  count = 0;
  if (final) return;
  // Wait for the analysis to free the next slot (with a timeout, to notice an abort).
  while (Atomics.load(control, C.State + slot) === FULL) {
    if (Atomics.load(control, C.Abort) !== 0) {
      aborted = true;
      throw new Aborted();
    }
    Atomics.wait(control, C.State + slot, FULL, 200);
  }
}

function onFrame(frame: Frame): void {
  decoder.decode(frame, packet);
  writeRecord(data, (slot * SLOT_PACKETS + count) * R.Size, frame, packet);
  if (++count === SLOT_PACKETS) publish(false);
}

let result: DecodeResult;
try {
  // Start from a free slot (they all are, at first).
  while (Atomics.load(control, C.State + slot) !== EMPTY) Atomics.wait(control, C.State + slot, FULL, 200);
  const info = await readCapture(job.path, onFrame, {
    maxRecordBytes: job.maxRecordBytes,
    onProgress: (bytes, total) => {
      if (bytes < nextProgress) return;
      nextProgress = bytes + PROGRESS_STEP;
      parentPort!.postMessage({ type: 'progress', bytes, total } satisfies DecodeResult);
    },
  });
  result = { type: 'done', info, unknownLinkTypes: [...decoder.unknownLinkTypes] };
} catch (err) {
  result = err instanceof CaptureOpenError
    ? { type: 'error', open: true, path: err.path, message: err.message }
    : { type: 'error', open: false, path: job.path, message: err instanceof Error ? err.message : String(err) };
}
if (!aborted) {
  // The last slot (possibly empty) tells the analysis the stream has ended; then the result.
  while (Atomics.load(control, C.State + slot) === FULL && Atomics.load(control, C.Abort) === 0) {
    Atomics.wait(control, C.State + slot, FULL, 200);
  }
  publish(true);
}
parentPort!.postMessage(result);

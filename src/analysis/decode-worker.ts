/**
 * The decoding thread (worker_threads): reads and decodes capture files, one after the other, and
 * hands the packets to the analysis thread as records in shared memory (decode-channel.ts), so
 * reading, parsing and decoding run on a second core beside the flow table and the rules.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readCapture } from '../capture/reader.js';
import { CaptureOpenError, type Frame } from '../capture/types.js';
import { Decoder } from '../decode/decoder.js';
import { CopyPrefilter } from '../flow/copy-prefilter.js';
import { SynTwinPrefilter } from '../nat/syn-prefilter.js';
import { Packet } from '../decode/packet.js';
import { C, FULL, SLOT_PACKETS, SLOTS, type DecodeJob, type DecodeResult } from './decode-channel.js';
import { RECORD_WORDS, writeRecord } from './packet-record.js';

const job = workerData as DecodeJob;
const control = new Int32Array(job.control);
const data = new Int32Array(job.data);
const packet = new Packet();
let slot = 0;
let count = 0;
/** Progress messages at most this often (bytes read). */
const PROGRESS_STEP = 16 * 1024 * 1024;

class Aborted extends Error {}

function aborted(): boolean {
  return Atomics.load(control, C.Abort) !== 0;
}

/** Waits (blocking: this thread has nothing else to do) until the slot is free; throws on abort. */
function waitFree(s: number): void {
  while (Atomics.load(control, C.State + s) === FULL) {
    if (aborted()) throw new Aborted();
    Atomics.wait(control, C.State + s, FULL, 200);
  }
}

function publish(final: boolean): void {
  control[C.Count + slot] = count;
  control[C.Final + slot] = final ? 1 : 0;
  Atomics.store(control, C.State + slot, FULL);
  Atomics.notify(control, C.State + slot);
  slot = (slot + 1) % SLOTS;
  count = 0;
}

async function decodeOne(path: string): Promise<DecodeResult> {
  const decoder = new Decoder();
  // Here, where the thread waits on the analysis most of the time: the copy window's and the NAT
  // linker's first tests.
  const prefilter = new CopyPrefilter();
  const synPrefilter = new SynTwinPrefilter();
  let nextProgress = PROGRESS_STEP;
  const onFrame = (frame: Frame): void => {
    decoder.decode(frame, packet);
    prefilter.mark(frame, packet);
    synPrefilter.mark(frame, packet);
    writeRecord(data, (slot * SLOT_PACKETS + count) * RECORD_WORDS, frame, packet);
    if (++count === SLOT_PACKETS) {
      publish(false);
      waitFree(slot);
    }
  };
  try {
    const info = await readCapture(path, onFrame, {
      onProgress: (bytes, total) => {
        if (bytes < nextProgress) return;
        nextProgress = bytes + PROGRESS_STEP;
        job.port.postMessage({ type: 'progress', bytes, total } satisfies DecodeResult);
      },
    });
    return { type: 'done', info, counts: decoder.counts() };
  } catch (err) {
    if (err instanceof Aborted) throw err;
    return err instanceof CaptureOpenError
      ? { type: 'error', open: true, path: err.path, message: err.message }
      : { type: 'error', open: false, path, message: err instanceof Error ? err.message : String(err) };
  }
}

// The captures come once the command line is parsed (this thread starts before that).
const paths = await new Promise<string[]>((resolve) => parentPort!.once('message', (m: { paths: string[] }) => resolve(m.paths)));
try {
  for (const path of paths) {
    waitFree(slot);
    const result = await decodeOne(path);
    // The capture's last slot (possibly empty, and free: every publish above waited for the next)
    // ends its stream; then its result.
    publish(true);
    job.port.postMessage(result);
    // The analysis stops at the first capture that cannot be read.
    if (result.type === 'error') break;
  }
} catch (err) {
  if (!(err instanceof Aborted)) throw err;
}
job.port.close();

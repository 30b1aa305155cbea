/**
 * The analysis thread (worker_threads): runs analyze() on the captures it is sent and posts back the Analysis (plain data) or the error, with progress on the way. See
 * analysis-thread.ts for why the analysis runs here rather than on the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { analyze, type AnalyzeOptions } from './analyze.js';
import { CaptureOpenError } from '../capture/types.js';
import type { AnalysisMessage } from './analysis-thread.js';
import { DecodedStream } from './decode-thread.js';
import type { DecodedChannel } from './decode-channel.js';

const { channel } = workerData as { channel: DecodedChannel };
type Job = { paths: string[]; options: Omit<AnalyzeOptions, 'onProgress' | 'decoded'>; progress: boolean };
const send = (m: AnalysisMessage): void => parentPort!.postMessage(m);
let lastProgress = 0;
const decoded = new DecodedStream(channel);
// The job comes once the command line is parsed (this thread starts before that).
const job = await new Promise<Job>((resolve) => parentPort!.once('message', resolve));
try {
  const analysis = await analyze(job.paths, {
    ...job.options,
    decoded,
    onProgress: job.progress
      ? (bytes, total, packets) => {
        // A few messages a second are enough for a progress line.
        const now = Date.now();
        if (now - lastProgress < 100) return;
        lastProgress = now;
        send({ type: 'progress', bytes, total, packets });
      }
      : undefined,
  });
  send({ type: 'done', analysis });
} catch (err) {
  send(err instanceof CaptureOpenError
    ? { type: 'error', open: true, path: err.path, message: err.message }
    : { type: 'error', open: false, path: '', message: err instanceof Error ? err.message : String(err) });
}
decoded.close();

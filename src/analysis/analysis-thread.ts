/**
 * Large captures are analysed on a worker thread (and decoded on another: decode-thread.ts).
 *
 * Why a thread for the analysis itself: V8 sizes a thread's young generation once, when the
 * thread starts, and the main thread's default (up to 3 × 16 MB) is resident memory the analysis
 * does not need — its live set is small and flat (the flow table holds only concurrent
 * connections). A worker is started with a small young generation (resourceLimits), which keeps
 * the peak RSS of a multi-gigabyte capture under 200 MB at no cost in time. The main thread only
 * waits (asynchronously: a thread that dies is noticed, never waited on forever) and renders.
 */
import { Worker } from 'node:worker_threads';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { AnalyzeOptions } from './analyze.js';
import { CaptureOpenError } from '../capture/types.js';
import { startDecoder } from './decode-thread.js';
import type { Analysis } from '../report/types.js';

/**
 * Captures smaller than this in all are analysed on the main thread: starting the two threads
 * costs some 0.1 s, which decoding in parallel repays only on large files (bench/).
 */
export const THREAD_MIN_BYTES = 128 * 1024 * 1024;
/** Young generation of the analysis thread, MB: enough for the batches' short-lived records. */
const YOUNG_GENERATION_MB = 12;

export type AnalysisMessage =
  | { type: 'progress'; bytes: number; total: number | null; packets: number }
  | { type: 'done'; analysis: Analysis }
  | { type: 'error'; open: boolean; path: string; message: string };

/** A gzipped capture counts as this many times its size (pcap compresses about 6:1). */
const GZIP_RATIO = 6;

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const magic = Buffer.alloc(2);
    return readSync(fd, magic, 0, 2, 0) === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

function workerScript(): URL | null {
  // Under a test runner loading the TypeScript sources there is no compiled script to start.
  return import.meta.url.endsWith('.js') ? new URL('./analysis-worker.js', import.meta.url) : null;
}

/**
 * RSTDIAG_THREADS=always|never overrides the size rule (for tests and measurements); captures
 * read from standard input are always analysed on the main thread.
 */
export function threadsWanted(paths: string[], minBytes = THREAD_MIN_BYTES): boolean {
  const env = process.env['RSTDIAG_THREADS'];
  if (env === 'never' || workerScript() === null || paths.includes('-')) return false;
  let total = 0;
  for (const p of paths) {
    try {
      const st = statSync(p);
      if (!st.isFile()) return false;
      total += isGzip(p) ? st.size * GZIP_RATIO : st.size;
    } catch {
      // Missing or unreadable: the reader says so (one line), on the main thread.
      return false;
    }
  }
  return env === 'always' || total >= minBytes;
}

/** analyze() on a worker thread; the same result, the same errors. */
export function analyzeInThread(paths: string[], options: AnalyzeOptions = {}): Promise<Analysis> {
  const script = workerScript();
  if (script === null) return analyzeHere(paths, options);
  const { onProgress, decoded: _decoded, ...rest } = options;
  // Both threads start at once (each takes tens of milliseconds to load its modules).
  const decoder = startDecoder(paths);
  const worker = new Worker(script, {
    workerData: { paths, options: rest, progress: onProgress !== undefined, channel: decoder.channel },
    transferList: [decoder.channel.port],
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
  return new Promise<Analysis>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void, failed: boolean): void => {
      if (settled) return;
      settled = true;
      if (failed) decoder.abort();
      fn();
    };
    worker.on('message', (m: AnalysisMessage) => {
      if (m.type === 'progress') onProgress?.(m.bytes, m.total, m.packets);
      else if (m.type === 'done') settle(() => resolve(m.analysis), false);
      else settle(() => reject(m.open ? new CaptureOpenError(m.path, m.message) : new Error(m.message)), true);
    });
    worker.on('error', (err) => settle(() => reject(err), true));
    worker.on('exit', (code) => settle(() => reject(new Error(`the analysis thread stopped (exit code ${code})`)), true));
  });
}

/** analyze() on this thread (loaded on demand: a threaded run's main thread never needs it). */
async function analyzeHere(paths: string[], options: AnalyzeOptions): Promise<Analysis> {
  const { analyze } = await import('./analyze.js');
  return analyze(paths, options);
}

/** The analysis of the CLI: on a thread for large captures, else here. */
export function analyzeCaptures(paths: string[], options: AnalyzeOptions = {}): Promise<Analysis> {
  return threadsWanted(paths) ? analyzeInThread(paths, options) : analyzeHere(paths, options);
}

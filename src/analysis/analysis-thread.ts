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
import type { Worker } from 'node:worker_threads';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { AnalyzeOptions } from './analyze.js';
import { CaptureOpenError } from '../capture/types.js';
import { builtin } from '../lazy-builtin.js';
import { startDecoder, type StartedDecoder } from './decode-thread.js';
import type { Analysis } from '../report/types.js';

/**
 * Captures smaller than this in all are analysed on the main thread: starting the two threads
 * costs some 0.1 s, which decoding in parallel repays only on large files (bench/).
 */
export const THREAD_MIN_BYTES = 128 * 1024 * 1024;
/**
 * Young generation of the analysis thread, MB: enough for the batches' short-lived records. Each
 * scavenge copies the records still pending; at 12 MB a capture whose failures each come from
 * another client (bench/ distinct-clients) scavenged twice as often: 24 MB took 15 % off its wall
 * time for 11 MB of peak RSS (pools and the SYN flood unchanged).
 */
const YOUNG_GENERATION_MB = 24;

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
  // Beside this file: dist/analysis/ as tsc writes it, or dist/cli/ in the bundle (postbuild.mjs;
  // its main-thread code is dist/cli/app.cjs).
  return /\.c?js$/.test(import.meta.url) ? new URL('./analysis-worker.js', import.meta.url) : null;
}

/**
 * RSTDIAG_THREADS=always|never overrides the size rule (for tests and measurements); captures
 * read from standard input are always analysed on the main thread.
 */
export function threadsWanted(paths: string[], minBytes = THREAD_MIN_BYTES): boolean {
  const env = process.env['RSTDIAG_THREADS'];
  if (env === 'never' || workerScript() === null || paths.includes('-')) return false;
  const weight = captureWeight(paths);
  // Missing, unreadable or not a regular file: the reader says so (one line), on the main thread.
  return weight.files === paths.length && (env === 'always' || weight.bytes >= minBytes);
}

/** How many of `candidates` are regular files, and their bytes (a gzipped file counted GZIP_RATIO times). */
function captureWeight(candidates: string[]): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const p of candidates) {
    try {
      const st = statSync(p);
      if (!st.isFile()) continue;
      files++;
      bytes += isGzip(p) ? st.size * GZIP_RATIO : st.size;
    } catch {
      // Not there, or not readable: not counted.
    }
  }
  return { files, bytes };
}

/**
 * The decoding and analysis threads of one run. Started before the captures are known (they load
 * their modules while the main thread loads the command line), then given the job by `run`.
 */
export class AnalysisThreads {
  private settle: ((m: AnalysisMessage | Error) => void) | null = null;
  /** What arrived before `run` was called (a thread that failed to start). */
  private early: Error | null = null;
  private onProgress: AnalyzeOptions['onProgress'];
  private done = false;

  private constructor(private readonly decoder: StartedDecoder, private readonly worker: Worker) {
    worker.on('message', (m: AnalysisMessage) => {
      if (m.type === 'progress') this.onProgress?.(m.bytes, m.total, m.packets);
      else this.finish(m);
    });
    worker.on('error', (err) => this.finish(err));
    worker.on('exit', (code) => this.finish(new Error(`the analysis thread stopped (exit code ${code})`)));
  }

  /** Starts both threads (null when there is no built worker script to start, under a test runner). */
  static start(): AnalysisThreads | null {
    const script = workerScript();
    if (script === null) return null;
    const decoder = startDecoder();
    const { Worker } = builtin<typeof import('node:worker_threads')>('node:worker_threads');
    const worker = new Worker(script, {
      workerData: { channel: decoder.channel },
      transferList: [decoder.channel.port],
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    return new AnalysisThreads(decoder, worker);
  }

  private finish(m: AnalysisMessage | Error): void {
    if (this.done) return;
    if (this.settle === null) {
      if (m instanceof Error) this.early ??= m;
      return;
    }
    this.done = true;
    this.settle(m);
  }

  /** analyze() on the threads; the same result, the same errors. */
  run(paths: string[], options: AnalyzeOptions): Promise<Analysis> {
    const { onProgress, decoded: _decoded, ...rest } = options;
    this.onProgress = onProgress;
    return new Promise<Analysis>((resolve, reject) => {
      this.settle = (m) => {
        if (m instanceof Error || m.type !== 'done') this.decoder.abort();
        if (m instanceof Error) reject(m);
        else if (m.type === 'done') resolve(m.analysis);
        else if (m.type === 'error') reject(m.open ? new CaptureOpenError(m.path, m.message) : new Error(m.message));
      };
      if (this.early !== null) {
        this.finish(this.early);
        return;
      }
      this.decoder.begin(paths);
      this.worker.postMessage({ paths, options: rest, progress: onProgress !== undefined });
    });
  }

  /** Stops both threads (unused, or done with). */
  dispose(): void {
    this.done = true;
    this.decoder.abort();
    void this.worker.terminate();
  }
}

/**
 * Whether the entry point should start the threads before parsing the command line: `analyze` or
 * `flows` with existing capture files of THREAD_MIN_BYTES in all among its arguments (a guess:
 * option values are arguments too; analyzeCaptures decides for good, and unused threads are stopped).
 */
export function prestartWanted(argv: string[]): boolean {
  if (argv[0] !== 'analyze' && argv[0] !== 'flows') return false;
  const env = process.env['RSTDIAG_THREADS'];
  if (env === 'never' || workerScript() === null) return false;
  // Arguments that are files (an option's value is not, mostly).
  const weight = captureWeight(argv.slice(1).filter((a) => !a.startsWith('-')));
  return weight.files > 0 && (env === 'always' || weight.bytes >= THREAD_MIN_BYTES);
}

/** analyze() on this thread (loaded on demand: a threaded run's main thread never needs it). */
async function analyzeHere(paths: string[], options: AnalyzeOptions): Promise<Analysis> {
  const { analyze } = await import('./analyze.js');
  return analyze(paths, options);
}

/**
 * The analysis of the CLI: on threads for large captures (those started early, or new ones), else
 * here (and early threads, if any, are stopped).
 */
export function analyzeCaptures(paths: string[], options: AnalyzeOptions = {}, early: AnalysisThreads | null = null): Promise<Analysis> {
  if (threadsWanted(paths)) {
    const threads = early ?? AnalysisThreads.start();
    if (threads !== null) return threads.run(paths, options);
  }
  early?.dispose();
  return analyzeHere(paths, options);
}

import type { Analysis } from '../report/types.js';
import { buildAnalysis } from '../report/build.js';
import { joinAnalysis } from '../join/join.js';
import { addInterfaces } from '../report/interfaces.js';
import { Pipeline, type AnalyzeOptions, type CaptureResult } from './pipeline.js';

export type { AnalyzeOptions, CaptureResult } from './pipeline.js';

/** One capture file through the whole pipeline. */
export async function analyzeCapture(path: string, options: AnalyzeOptions = {}): Promise<CaptureResult> {
  const pipeline = new Pipeline(options);
  const progress = options.onProgress;
  const onProgress = progress ? (b: number, t: number | null) => progress(b, t, pipeline.packets) : undefined;
  if (options.decoded !== undefined) {
    options.decoded.onProgress = onProgress;
    const decoded = await options.decoded.next(path, pipeline.onDecoded);
    pipeline.addDecoderCounts(decoded.counts);
    return pipeline.finish(decoded.info);
  }
  // Loaded here: the analysis thread gets its packets decoded and never needs the reader.
  const { readCapture } = await import('../capture/reader.js');
  const info = await readCapture(path, pipeline.onFrame, { onProgress });
  return pipeline.finish(info);
}

/** One capture alone; several captures as one incident seen from several places (src/join). */
export async function analyze(paths: string[], options: AnalyzeOptions = {}): Promise<Analysis> {
  const joint = paths.length > 1;
  const results: CaptureResult[] = [];
  for (const path of paths) results.push(await analyzeCapture(path, joint ? { ...options, identities: true } : options));
  const analysis = joint ? joinAnalysis(results, options) : buildAnalysis(results, options);
  await addInterfaces(analysis);
  return analysis;
}


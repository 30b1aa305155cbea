import { Pipeline } from '../../src/analysis/pipeline.js';
import type { CaptureInfo, Frame } from '../../src/capture/types.js';
import { buildAnalysis } from '../../src/report/build.js';
import type { Analysis } from '../../src/report/types.js';

/**
 * Frames → decoder → flow table → NAT linker → rules → report model, all in memory (no capture
 * file): what the RuleTester and the metamorphic tests run their packets through.
 */
export function analyzeFrames(frames: readonly Frame[],
  options: { serviceCidrs?: string[]; path?: string; connections?: boolean; batchSize?: number; routeRules?: boolean } = {}): Analysis {
  const pipeline = new Pipeline({ serviceCidrs: options.serviceCidrs, connections: options.connections, batchSize: options.batchSize,
    routeRules: options.routeRules });
  for (const f of frames) pipeline.onFrame(f);
  const info: CaptureInfo = {
    path: options.path ?? 'in-memory', format: 'pcap', compressed: false,
    linkTypes: [...new Set(frames.map((f) => f.linkType))], interfaces: [],
    packets: frames.length, bytes: frames.reduce((n, f) => n + f.capturedLength, 0),
    truncated: false, warnings: [], comments: [],
  };
  return buildAnalysis([pipeline.finish(info)], { connections: options.connections });
}

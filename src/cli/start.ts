/**
 * What the entry point runs once the heap flag is set (heap.ts): before the command line module
 * (yargs, the renderers: a good part of start-up) is even loaded, a large capture's analysis
 * threads are started, so that they load their own modules meanwhile (see analysis-thread.ts);
 * the command line then decides. Shared by main.ts (tsc's output, unbundled) and the bundled CLI
 * (cached-start.ts runs it from dist/cli/app.cjs: scripts/postbuild.mjs).
 */
import { AnalysisThreads, prestartWanted } from '../analysis/analysis-thread.js';

export function start(argv: string[]): void {
  const threads = prestartWanted(argv) ? AnalysisThreads.start() : null;
  // Not a top-level await: the bundle of this module is CommonJS, which has none. runCli reports
  // its own errors and sets the exit code.
  void import('./cli.js').then(({ runCli }) => runCli(argv, threads));
}

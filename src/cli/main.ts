#!/usr/bin/env node
/**
 * The entry point. Before the command line module (yargs, the renderers: a good part of start-up)
 * is even loaded, a large capture's analysis threads are started, so that they load their own
 * modules meanwhile (see analysis-thread.ts); the command line then decides.
 */
import './heap.js';
import { AnalysisThreads, prestartWanted } from '../analysis/analysis-thread.js';

const argv = process.argv.slice(2);
const threads = prestartWanted(argv) ? AnalysisThreads.start() : null;
const { runCli } = await import('./cli.js');
runCli(argv, threads);

#!/usr/bin/env node
/**
 * The entry point as tsc writes it. scripts/postbuild.mjs replaces it with the bundle of
 * cached-start.ts, which runs the same two steps from a compiled-code cache.
 */
import './heap.js';
import { start } from './start.js';

start(process.argv.slice(2));

#!/usr/bin/env node
/**
 * The bundled entry point (scripts/postbuild.mjs makes dist/cli/main.js of this file and heap.ts):
 * the heap flag, then start.ts from the CLI's CommonJS bundle, dist/cli/app.cjs, compiled with
 * the V8 code cache the build made of it (app.cjs.v8cache).
 *
 * Why: most of a small capture's run was start-up, and most of that was V8 parsing and compiling
 * rstdiag's own code. Node 20 caches no compiled code of ES modules (no module.enableCompileCache),
 * but a vm.Script takes a cache: V8 then deserializes the functions a run needs instead of
 * compiling them. A missing cache, one of another build, or one V8 rejects (another Node, other
 * V8 flags) only costs that compile: the code run is the same.
 */
import './heap.js'; // first: V8 flags are part of a code cache's identity, so set before compiling
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const APP = fileURLToPath(new URL('./app.cjs', import.meta.url));
const CODE_CACHE = `${APP}.v8cache`;

/**
 * The cache, if it is the one of this bundle: both begin with the same line, which names the
 * build. V8 itself compares its version and flags but of the source only the length, so a cache
 * left from another build of the same length would otherwise be taken.
 */
function codeCache(buildLine: string): Buffer | undefined {
  try {
    const file = readFileSync(CODE_CACHE);
    if (file.toString('latin1', 0, buildLine.length) === buildLine) return file.subarray(buildLine.length);
  } catch {
    // none: V8 compiles
  }
  return undefined;
}

/**
 * The bundle's importPackage (import-package.ts): a vm.Script has no import() of its own on
 * Node 20. From here, beside the bundle, packages resolve as from it.
 */
const importPackage = (specifier: string): Promise<unknown> => import(specifier);

type CommonJsWrapper = (
  exports: object, require: NodeRequire, module: { exports: object }, filename: string, dirname: string, rstdiagImport: typeof importPackage,
) => void;

const source = readFileSync(APP, 'utf8');
const buildLine = source.slice(0, source.indexOf('\n') + 1);
// The wrapper Node's own CommonJS loader puts around a module, and the import function.
const script = new Script(`(function (exports, require, module, __filename, __dirname, __rstdiagImport) {${source}\n})`, {
  filename: APP,
  cachedData: codeCache(buildLine),
});
// The build's run (scripts/postbuild.mjs) writes the cache at its end: then it holds every
// function the run compiled, not only the top level a cache made before running would.
if (process.env['RSTDIAG_WRITE_CODE_CACHE'] === '1') {
  process.on('exit', () => writeFileSync(CODE_CACHE, Buffer.concat([Buffer.from(buildLine, 'latin1'), script.createCachedData()])));
}
const app = { exports: {} as { start?: (argv: string[]) => void } };
(script.runInThisContext() as CommonJsWrapper)(app.exports, createRequire(APP), app, APP, dirname(APP), importPackage);
if (app.exports.start === undefined) throw new Error(`${APP} is not rstdiag's CLI bundle: rebuild (npm run build)`);
app.exports.start(process.argv.slice(2));

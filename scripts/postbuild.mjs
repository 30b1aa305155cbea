// After tsc: the CLI as bundles, with a V8 code cache, and executable (npm links bins, but a
// direct ./dist path needs +x).
//
// Why bundles: a small capture's run was mostly module loading — some 130 files opened, read,
// resolved and compiled one by one. Three builds, all beside main.js in dist/cli/ (so paths
// resolved from import.meta.url resolve alike there: src/version.ts, the workers' scripts):
// - app.cjs: everything the main thread runs (src/cli/start.ts and all it imports), one CommonJS
//   file. CommonJS because a vm.Script runs it, and a vm.Script takes a code cache (ES modules on
//   Node 20 cannot); one file because that script is one unit. yargs (help and mistakes only)
//   and cap (live only) stay outside and load on demand.
// - main.js: src/cli/cached-start.ts, the entry, which runs app.cjs with that cache.
// - the worker threads' scripts (large captures only), ES modules sharing chunks.
// Then the cache itself: one run of the CLI on a small sample, which writes at its end the code
// of every function it compiled (app.cjs.v8cache). Without it the CLI still runs, compiling.
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'dist', 'cli', 'main.js');
const cliDir = dirname(bin);
// The threads' scripts, bundled beside main.js: analysis-thread.ts starts './analysis-worker.js'
// and decode-thread.ts './decode-worker.js', which from the bundle are these.
const WORKERS = ['analysis-worker.js', 'decode-worker.js'];
const APP = join(cliDir, 'app.cjs');
/** The run that makes the code cache: the small, common path whose start-up the cache is for. */
const CACHE_RUN = join(root, 'samples', 'brnf-off', 'client-eth0.pcap');
/** First line after the shebang of a bundled main.js: the bundle is made from tsc's main.js once. */
const MARK = '// bundled by scripts/postbuild.mjs';
/** In app.cjs, src/cli/import-package.ts's import() is the one cached-start.ts passes in (read there why). */
const importThroughEntry = {
  name: 'import-through-entry',
  setup(build) {
    build.onLoad({ filter: /[\\/]dist[\\/]cli[\\/]import-package\.js$/ }, () => ({
      contents: 'export const importPackage = (specifier) => __rstdiagImport(specifier);',
      loader: 'js',
    }));
  },
};

if (existsSync(bin)) {
  let esbuild = null;
  try {
    esbuild = await import('esbuild');
  } catch {
    process.stderr.write('postbuild: esbuild is not installed; dist/cli/main.js stays unbundled (slower start)\n');
  }
  if (esbuild !== null && readFileSync(bin, 'utf8').slice(0, 200).includes(MARK)) {
    esbuild = null; // already bundled: tsc has not written a new main.js since
  }
  if (esbuild !== null) {
    // Chunks and cache of an earlier build would pile up, or be taken for this one's.
    for (const f of readdirSync(cliDir)) {
      if (f.startsWith('chunk-') || f.startsWith('app.cjs') || WORKERS.includes(f)) rmSync(join(cliDir, f));
    }
    const common = {
      bundle: true,
      platform: 'node',
      target: 'node20',
      external: ['yargs', 'cap'],
      sourcemap: 'linked',
      // Whitespace and syntax only (names stay, for profiles): less for V8 to parse at start.
      minifyWhitespace: true,
      minifySyntax: true,
      logLevel: 'warning',
    };
    await esbuild.build({
      ...common,
      entryPoints: WORKERS.map((w) => join(cliDir, '..', 'analysis', w)),
      outdir: cliDir,
      splitting: true,
      entryNames: '[name]',
      chunkNames: 'chunk-[hash]',
      format: 'esm',
      banner: { js: MARK },
    });
    await esbuild.build({
      ...common,
      plugins: [importThroughEntry],
      entryPoints: [join(cliDir, 'start.js')],
      outfile: APP,
      format: 'cjs',
      // import.meta has no meaning in CommonJS: its url is this file's, as in the ES modules.
      define: { 'import.meta.url': '__rstdiagImportMetaUrl' },
      // The first line names this build; its code cache begins with the same (cached-start.ts).
      // "use strict" before the banner's statement, the only place where it counts: the ES
      // modules bundled were strict code.
      banner: { js: `// rstdiag build ${randomUUID()}\n"use strict";var __rstdiagImportMetaUrl=require("node:url").pathToFileURL(__filename).href;` },
    });
    const app = readFileSync(APP, 'utf8');
    // Its code runs in a vm.Script, which has no import() on Node 20: any left would fail when run.
    if (/(?<![\w$.])import\(/.test(app)) throw new Error(`postbuild: ${APP} calls import() of something outside it: go through src/cli/import-package.ts`);
    // esbuild escapes other characters than ASCII in strings but not in regular expressions; one
    // such makes all of the source a two-byte string for V8, ~1.5 ms more to read and compile.
    const wide = /[^\x00-\x7f]/.exec(app);
    if (wide !== null) process.stderr.write(`postbuild: ${APP} is not ASCII (${JSON.stringify(app.slice(wide.index - 30, wide.index + 10))}): write \\u${wide[0].charCodeAt(0).toString(16).padStart(4, '0')} in the source (slower start)\n`);
    await esbuild.build({
      ...common,
      entryPoints: [join(cliDir, 'cached-start.js')],
      outfile: bin,
      allowOverwrite: true,
      format: 'esm',
      banner: { js: MARK },
    });
    writeCodeCache();
  }
  chmodSync(bin, 0o755);
}

function writeCodeCache() {
  if (!existsSync(CACHE_RUN)) {
    process.stderr.write(`postbuild: no ${CACHE_RUN}: no code cache (slower start)\n`);
    return;
  }
  // Without NODE_OPTIONS: V8 flags in it would be part of the cache's identity, and the cache
  // rejected by every run without them.
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  const run = spawnSync(process.execPath, [bin, 'analyze', CACHE_RUN, '--fail-on', 'none'], {
    env: { ...env, RSTDIAG_WRITE_CODE_CACHE: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (run.status !== 0) {
    rmSync(`${APP}.v8cache`, { force: true });
    process.stderr.write(`postbuild: the code cache's run failed (${run.status ?? run.signal}): no code cache (slower start)\n`);
  }
}

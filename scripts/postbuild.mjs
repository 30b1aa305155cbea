// After tsc: the CLI entry as one bundled file, and executable (npm links bins, but a direct
// ./dist path needs +x).
//
// Why a bundle: a small capture's run was mostly module loading — some 130 files opened, read,
// resolved and compiled one by one. dist/cli/main.js becomes esbuild's bundle of everything the
// main thread runs; yargs (help and mistakes only) and cap (live only) stay outside and load on
// demand. The worker threads (large captures only) are bundled the same way. Paths resolved from
// import.meta.url in the bundled code resolve alike from dist/cli/ and from their own directory
// (src/version.ts; the workers' scripts, bundled beside main.js).
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
// The threads' scripts, bundled beside main.js: analysis-thread.ts starts './analysis-worker.js'
// and decode-thread.ts './decode-worker.js', which from the bundle are these.
const WORKERS = ['analysis-worker.js', 'decode-worker.js'];
/** First line after the shebang of a bundled main.js: the bundle is made from tsc's main.js once. */
const MARK = '// bundled by scripts/postbuild.mjs';
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
    // Chunks of an earlier build would pile up beside the new ones.
    for (const f of readdirSync(dirname(bin))) if (f.startsWith('chunk-') || WORKERS.includes(f)) rmSync(join(dirname(bin), f));
    await esbuild.build({
      entryPoints: [bin, ...WORKERS.map((w) => join(dirname(bin), '..', 'analysis', w))],
      outdir: dirname(bin),
      // Each command's and renderer's code in a chunk of its own, loaded when used; chunks sit
      // beside main.js, so import.meta.url resolves alike in all of them.
      splitting: true,
      entryNames: '[name]',
      chunkNames: 'chunk-[hash]',
      allowOverwrite: true,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['yargs', 'cap'],
      sourcemap: 'linked',
      // Whitespace and syntax only (names stay, for profiles): less for V8 to parse at start.
      minifyWhitespace: true,
      minifySyntax: true,
      banner: { js: MARK },
      logLevel: 'warning',
    });
  }
  chmodSync(bin, 0o755);
}

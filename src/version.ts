import { readFileSync } from 'node:fs';

/**
 * The package version, read once from package.json beside dist/ and src/: one level up from this
 * file, or two from the bundled CLI (dist/cli/main.js, scripts/postbuild.mjs).
 */
export const TOOL_VERSION: string = (() => {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'rstdiag') return pkg.version ?? '0.0.0';
    } catch {
      // not here: try the next level
    }
  }
  return '0.0.0';
})();

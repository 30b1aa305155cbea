import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, SAMPLES } from '../helpers/samples.js';

// The bundled CLI runs dist/cli/app.cjs from the V8 code cache the build made of it
// (src/cli/cached-start.ts, scripts/postbuild.mjs). The cache only saves compiling: without it, or
// with one of another build or one V8 rejects, the same report. Each case runs a copy of dist/cli/.
const SMALL = join(SAMPLES, 'brnf-off', 'client-eth0.pcap');
/** Reports, on exit, whether V8 rejected the cache handed to the vm.Script (undefined: none handed). */
const WATCH = `const vm = require('node:vm'); const S = vm.Script;
vm.Script = class extends S { constructor(...a) { super(...a); process.on('exit', () => process.stderr.write('rejected=' + this.cachedDataRejected + '\\n')); } };`;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rstdiag-code-cache-'));
  writeFileSync(join(dir, 'watch.cjs'), WATCH);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the built CLI (package.json and node_modules beside dist/ as in the checkout), the cache altered by `alter`. */
function copyOfCli(name: string, alter: (cache: string) => void): string {
  const root = join(dir, name);
  cpSync(join(ROOT, 'dist', 'cli'), join(root, 'dist', 'cli'), { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  alter(join(root, 'dist', 'cli', 'app.cjs.v8cache'));
  return join(root, 'dist', 'cli', 'main.js');
}

function run(main: string, args: string[]) {
  const r = spawnSync(process.execPath, ['-r', join(dir, 'watch.cjs'), main, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the code cache', () => {
  test('the build made one for its bundle, and V8 takes it', () => {
    const cache = join(ROOT, 'dist', 'cli', 'app.cjs.v8cache');
    expect(existsSync(cache)).toBe(true);
    const app = readFileSync(join(ROOT, 'dist', 'cli', 'app.cjs'), 'latin1');
    const buildLine = app.slice(0, app.indexOf('\n') + 1);
    expect(buildLine).toMatch(/^\/\/ rstdiag build \S+\n$/);
    expect(readFileSync(cache, 'latin1').startsWith(buildLine)).toBe(true);
    const r = run(copyOfCli('as-built', () => undefined), ['analyze', SMALL, '--fail-on', 'none']);
    expect(r.stderr).toBe('rejected=false\n');
  });

  test('missing, of another build, or rejected by V8: the same reports, help and exit codes', () => {
    const main = copyOfCli('reference', () => undefined);
    const cases: Record<string, { main: string; rejected: string }> = {
      missing: { main: copyOfCli('missing', (c) => rmSync(c)), rejected: 'undefined' },
      // Another build's first line: not handed to V8 at all.
      'another build': { main: copyOfCli('other-build', (c) => writeFileSync(c, `// rstdiag build other\n${readFileSync(c, 'latin1').split('\n').slice(1).join('\n')}`, 'latin1')), rejected: 'undefined' },
      // This build's first line, then what V8 cannot take.
      rejected: { main: copyOfCli('rejected', (c) => writeFileSync(c, `${readFileSync(c, 'latin1').split('\n')[0]}\n${'x'.repeat(4096)}`, 'latin1')), rejected: 'true' },
    };
    for (const args of [['analyze', SMALL, '--fail-on', 'none'], ['analyze', SMALL, '--format', 'json'], ['--help'], ['analyze', '--colour', SMALL]]) {
      const want = run(main, args);
      for (const [name, c] of Object.entries(cases)) {
        const got = run(c.main, args);
        expect({ name, ...got }).toEqual({ name, ...want, stderr: want.stderr.replace('rejected=false', `rejected=${c.rejected}`) });
      }
    }
  });
});

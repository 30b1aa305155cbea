import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

// CLI tests run the built tool (dist/), as users do: build it fresh once per test run, bundle
// included (scripts/postbuild.mjs), so the tests run the very files `npx rstdiag` runs.
export default function setup(): void {
  const root = resolve(__dirname, '..');
  execFileSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [resolve(root, 'scripts/postbuild.mjs')], { cwd: root, stdio: 'inherit' });
}

import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

// CLI tests run the built tool (dist/), as users do: build it fresh once per test run.
export default function setup(): void {
  const root = resolve(__dirname, '..');
  execFileSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
}

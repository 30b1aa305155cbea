import { spawnSync } from 'node:child_process';
import { CLI, ROOT } from './samples.js';

/** The built CLI (dist/), as users run it: exit code, stdout, stderr. */
export function runCli(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, input, encoding: 'buffer', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

// Make the CLI entry executable after tsc writes it (npm links bins, but a direct ./dist path needs +x).
import { chmodSync, existsSync } from 'node:fs';
const bin = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(bin)) chmodSync(bin, 0o755);

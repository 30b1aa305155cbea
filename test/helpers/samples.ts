import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
export const SAMPLES = join(ROOT, 'samples');
export const CORPUS = resolve(ROOT, '../shared/corpus');
export const CLI = join(ROOT, 'dist/cli/main.js');

/** Every capture under samples/ that has an expectation beside it. */
export function sampleCaptures(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.pcap(ng)?(\.gz)?$/.test(name) && existsSync(`${p}.expected.json`)) out.push(p);
    }
  };
  walk(SAMPLES);
  return out;
}

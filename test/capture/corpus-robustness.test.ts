/**
 * Every file of the public corpus (~900 captures, many deliberately malformed) must either read
 * (CaptureInfo, possibly with warnings) or be refused with a one-line CaptureOpenError, quickly.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test } from 'vitest';
import { readCapture } from '../../src/capture/reader.js';
import { CaptureOpenError } from '../../src/capture/types.js';

const corpus = resolve(process.cwd(), '../shared/corpus');
const haveCorpus = existsSync(corpus);

function walk(d: string, out: string[]): string[] {
  for (const name of readdirSync(d).sort()) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

test.skipIf(!haveCorpus)('every corpus file reads or is refused cleanly', async () => {
  const files = walk(corpus, []);
  expect(files.length).toBeGreaterThan(800);
  const tally = { ok: 0, withWarnings: 0, truncated: 0, refused: 0, packets: 0 };
  for (const file of files) {
    const t0 = performance.now();
    let sum = 0;
    try {
      const info = await readCapture(file, (f) => {
        sum += f.capturedLength;
        expect(f.data.length).toBe(f.capturedLength);
        expect(f.tsNsec >= 0 && f.tsNsec < 1e9 && Number.isInteger(f.tsNsec)).toBe(true);
      });
      tally.ok++;
      tally.packets += info.packets;
      if (info.warnings.length > 0) tally.withWarnings++;
      if (info.truncated) tally.truncated++;
      for (const w of info.warnings) expect(w, file).not.toMatch(/[\r\n]/);
      expect(info.bytes).toBeLessThanOrEqual(statSync(file).size);
    } catch (e) {
      expect(e, file).toBeInstanceOf(CaptureOpenError);
      expect((e as Error).message, file).not.toMatch(/[\r\n]/);
      expect((e as Error).message.startsWith(file), file).toBe(true);
      tally.refused++;
    }
    expect(performance.now() - t0, file).toBeLessThan(5000);
    expect(sum).toBeGreaterThanOrEqual(0);
  }
  // README, LICENSE and TESTLIST files are refused as "not a capture"; everything else reads.
  expect(tally.ok + tally.refused).toBe(files.length);
  console.log(`corpus: ${files.length} files, ${JSON.stringify(tally)}`);
});

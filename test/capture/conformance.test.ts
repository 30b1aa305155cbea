/**
 * Cross-check against tshark: packet counts, frame numbers, timestamps and lengths for the pcapng
 * conformance suite (both byte orders) and a few tcpdump / libpcap captures. The expected rows were
 * recorded once from TShark 4.0.17 (see tshark-reference.ts); tshark is not needed at run time.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readCapture } from '../../src/capture/reader.js';
import { TSHARK_REFERENCE } from './tshark-reference.js';

const corpus = resolve(process.cwd(), '../shared/corpus');
const haveCorpus = existsSync(corpus);

describe.skipIf(!haveCorpus)('agreement with tshark', () => {
  for (const [file, expected] of Object.entries(TSHARK_REFERENCE)) {
    test(file, async () => {
      const rows: string[] = [];
      const info = await readCapture(resolve(corpus, file), (f) => {
        rows.push(`${f.frameNumber}\t${f.tsSec}.${String(f.tsNsec).padStart(9, '0')}\t${f.originalLength}\t${f.capturedLength}`);
      });
      expect(info.truncated).toBe(false);
      // Every record tshark numbers is either a packet we deliver or a non-packet record we count.
      expect(rows.length + (info.otherRecords ?? 0)).toBe(expected.length);
      const byNumber = new Map(expected.map((r) => [r.split('\t')[0], r]));
      for (const row of rows) {
        const ref = byNumber.get(row.split('\t')[0]);
        expect(ref, `frame ${row}`).toBeDefined();
        // tshark prints no time for records without a timestamp (SPB); we report 0.
        const mine = ref !== undefined && ref.split('\t')[1] === '' ? row.replace(/\t0\.000000000\t/, '\t\t') : row;
        expect(mine).toBe(ref);
      }
    });
  }

  test('the reference covers both byte orders of the conformance suite', () => {
    const names = Object.keys(TSHARK_REFERENCE);
    expect(names.filter((n) => n.includes('/output_le/'))).toHaveLength(24);
    expect(names.filter((n) => n.includes('/output_be/'))).toHaveLength(24);
  });
});

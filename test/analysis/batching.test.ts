import { describe, expect, test } from 'vitest';
import { relative } from 'node:path';
import { analyze } from '../../src/analysis/analyze.js';
import { ROOT, sampleCaptures } from '../helpers/samples.js';

// Retired connections are evaluated in batches, summarised and released (bounded memory). The
// report must not depend on where the batch boundaries fall: a batch of 1 or 2 connections gives
// exactly the findings (text, counts, frames, times) and connection rows of one evaluation.
describe('batched evaluation equals one evaluation', () => {
  for (const cap of sampleCaptures()) {
    test(relative(ROOT, cap), async () => {
      const whole = await analyze([cap], { connections: true });
      for (const batchSize of [1, 2]) {
        const batched = await analyze([cap], { connections: true, batchSize });
        expect(batched.report).toEqual(whole.report);
      }
    });
  }
});

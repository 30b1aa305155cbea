/**
 * The text report's box tables are drawn as cli-table3 draws them (it was the renderer before;
 * it stays a development dependency to check that): random tables, both styles.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import Table from 'cli-table3';
import { drawBox } from '../../src/report/text-layout.js';

const line = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '1', ':', '.', '→', '─', '·'), maxLength: 14 });
const cellText = fc.array(line, { minLength: 1, maxLength: 3 }).map((ls) => ls.join('\n'));

describe('drawBox', () => {
  test('draws what cli-table3 draws, cells that fit and cells cut with …', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((n) =>
          fc.record({
            cols: fc.array(fc.integer({ min: 3, max: 16 }), { minLength: n, maxLength: n }),
            head: fc.array(cellText, { minLength: n, maxLength: n }),
            rows: fc.array(fc.array(cellText, { minLength: n, maxLength: n }), { maxLength: 4 }),
            compact: fc.boolean(),
          }),
        ),
        ({ cols, head, rows, compact }) => {
          const table = new Table({ head, style: { head: [], border: [], compact }, colWidths: cols, wordWrap: false });
          for (const r of rows) table.push(r);
          expect(drawBox(head, rows, cols, compact)).toBe(table.toString());
        },
      ),
      { numRuns: 400 },
    );
  });
});

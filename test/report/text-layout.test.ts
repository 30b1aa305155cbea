import { describe, expect, test } from 'vitest';
import { fitTable, wrap, wrapLines } from '../../src/report/text-layout.js';

const widest = (s: string): number => Math.max(...s.split('\n').map((l) => l.length));

describe('text layout within a width', () => {
  test('prose wraps at spaces; a word longer than the line is split, not lost', () => {
    expect(wrapLines('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc']);
    expect(wrapLines('x 0123456789abc', 5)).toEqual(['x', '01234', '56789', 'abc']);
    expect(wrap('Fix: one two three four', 12, '  ', '    ')).toBe('  Fix: one\n    two\n    three\n    four');
  });

  test('a table shrinks its widest columns to fit, keeping endpoints whole while it can', () => {
    const rows = [['F1', '10.244.0.2:40001', '10.96.0.10:80', 'a long note that can wrap over several lines of its column']];
    for (const width of [120, 80, 60, 40]) {
      const t = fitTable(['id', 'client', 'server', 'note'], rows, width);
      expect(widest(t), String(width)).toBeLessThanOrEqual(width);
      expect(t.replace(/[│\s]/g, '')).toContain('severallinesofitscolumn'.slice(0, 5));
      expect(t).not.toContain('…');
    }
    expect(fitTable(['id', 'client', 'server', 'note'], rows, 60)).toContain('10.244.0.2:40001');
  });
});

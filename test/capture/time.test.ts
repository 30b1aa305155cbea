import { describe, expect, test } from 'vitest';
import { compareTime, formatIsoTime, timeDiffSeconds } from '../../src/capture/time.js';

describe('formatIsoTime', () => {
  test('nine exact fractional digits', () => {
    expect(formatIsoTime(1795575992, 123456789)).toBe('2026-11-25T03:06:32.123456789Z');
    expect(formatIsoTime(0, 0)).toBe('1970-01-01T00:00:00.000000000Z');
    expect(formatIsoTime(1418145369, 924505488)).toBe('2014-12-09T17:16:09.924505488Z');
    expect(formatIsoTime(1700000000, 1)).toBe('2023-11-14T22:13:20.000000001Z');
    expect(formatIsoTime(1700000000, 999999999)).toBe('2023-11-14T22:13:20.999999999Z');
  });
  test('calendar edge cases agree with Date', () => {
    for (const s of [951782400, 951868799, 1709164800, 4102444800, 4294967296, 4323283200, 86399, 1]) {
      expect(formatIsoTime(s, 0)).toBe(new Date(s * 1000).toISOString().replace('.000Z', '.000000000Z'));
    }
  });
  test('before the epoch and far future', () => {
    expect(formatIsoTime(-1, 500000000)).toBe('1969-12-31T23:59:59.500000000Z');
    expect(formatIsoTime(253402300800, 0)).toBe('+010000-01-01T00:00:00.000000000Z');
  });
  test('normalises nsec outside one second', () => {
    expect(formatIsoTime(10, 1500000000)).toBe('1970-01-01T00:00:11.500000000Z');
    expect(formatIsoTime(10, -1)).toBe('1970-01-01T00:00:09.999999999Z');
  });
});

describe('compareTime / timeDiffSeconds', () => {
  test('ordering', () => {
    expect(compareTime(1, 0, 1, 0)).toBe(0);
    expect(compareTime(1, 999999999, 2, 0)).toBe(-1);
    expect(compareTime(2, 0, 1, 999999999)).toBe(1);
    expect(compareTime(5, 2, 5, 1)).toBe(1);
  });
  test('difference keeps nanoseconds for large epoch values', () => {
    expect(timeDiffSeconds(1700000001, 1, 1700000000, 999999999)).toBeCloseTo(0.000000002, 12);
    expect(timeDiffSeconds(1700000000, 0, 1700000010, 500000000)).toBe(-10.5);
  });
});

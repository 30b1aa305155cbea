import { describe, expect, it } from 'vitest';
import { WitnessIndex, witnessHash } from '../../src/analysis/witnesses.js';
import type { Connection } from '../../src/flow/types.js';

function conn(id: number): Connection {
  return { id } as Connection;
}

describe('WitnessIndex', () => {
  it('keeps the lowest-id connection per client and server, up to its limit', () => {
    const w = new WitnessIndex(3);
    const h = witnessHash(1, 2 * 65536 + 80);
    expect(w.wants(h, 1, 2 * 65536 + 80, 10)).toBe(true);
    w.keep(h, 1, 2 * 65536 + 80, conn(10));
    expect(w.wants(h, 1, 2 * 65536 + 80, 12)).toBe(false);
    expect(w.wants(h, 1, 2 * 65536 + 80, 7)).toBe(true);
    w.keep(h, 1, 2 * 65536 + 80, conn(7));
    // Another pair of the same hash is kept apart; text keys (IPv6) beside numbers.
    w.keep(h, 9, 9, conn(20));
    const t = witnessHash('fd00::1', '[fd00::2]:80');
    w.keep(t, 'fd00::1', '[fd00::2]:80', conn(30));
    expect(w.size).toBe(3);
    expect(w.wants(witnessHash(5, 6), 5, 6, 1)).toBe(false);
    expect(w.wants(t, 'fd00::1', '[fd00::2]:80', 31)).toBe(false);
    expect(w.connections().map((c) => c.id).sort((a, b) => a - b)).toEqual([7, 20, 30]);
  });

  it('finds every witness again after growing', () => {
    const w = new WitnessIndex(10000);
    for (let i = 0; i < 5000; i++) w.keep(witnessHash(i, 80), i, 80, conn(i + 1));
    expect(w.size).toBe(5000);
    for (let i = 0; i < 5000; i += 7) expect(w.wants(witnessHash(i, 80), i, 80, i + 1)).toBe(false);
    for (let i = 0; i < 5000; i += 7) expect(w.wants(witnessHash(i, 80), i, 80, i)).toBe(true);
    expect(w.connections()).toHaveLength(5000);
  });
});

import { describe, expect, it } from 'vitest';
import { SynIndex } from '../../src/nat/syn-index.js';

/** Every entry for the ISN at time t, newest first, as [slot, id]. */
function lookup(index: SynIndex, isn: number, t: number): [number, number][] {
  const out: [number, number][] = [];
  for (let e = index.first(isn, t); e >= 0; e = index.next(e, isn, t)) out.push([index.slotAt(e), index.idAt(e)]);
  return out;
}

describe('SynIndex', () => {
  it('finds the SYNs of an ISN newest first, with their fields, unsigned values kept', () => {
    const index = new SynIndex(5, 16);
    index.add(0xfffffff0, 3, 11, 1.0, 0x1234, true, 0x90000001);
    index.add(7, 4, 12, 1.1, -1, false, 0);
    index.add(0xfffffff0, 5, 13, 1.2, 0, true, 1);
    expect(lookup(index, 0xfffffff0, 2)).toEqual([[5, 13], [3, 11]]);
    const e = index.next(index.first(0xfffffff0, 2), 0xfffffff0, 2);
    expect([index.ipIdAt(e), index.hasTsAt(e), index.tsValAt(e)]).toEqual([0x1234, true, 0x90000001]);
    const f = index.first(7, 2);
    expect([index.ipIdAt(f), index.hasTsAt(f)]).toEqual([-1, false]);
    expect(lookup(index, 8, 2)).toEqual([]);
  });

  it('forgets SYNs older than the window, and entries the ring has overwritten', () => {
    const index = new SynIndex(5, 16);
    index.add(1, 1, 1, 0, 0, false, 0);
    expect(lookup(index, 1, 5)).toEqual([[1, 1]]);
    expect(lookup(index, 1, 5.5)).toEqual([]);
    // 16 later SYNs, the window long past the first: its entry is overwritten, not kept.
    for (let i = 0; i < 16; i++) index.add(100 + i, 2, 2, 10 + i * 0.01, 0, false, 0);
    expect(lookup(index, 1, 10.2)).toEqual([]);
  });

  it('grows instead of overwriting an entry still in the window (a SYN flood), every entry still found', () => {
    const index = new SynIndex(5, 16);
    for (let i = 0; i < 1000; i++) index.add(i % 50, i, i + 1, i * 0.001, i & 0xffff, false, 0);
    for (let isn = 0; isn < 50; isn++) {
      const found = lookup(index, isn, 1);
      expect(found.length).toBe(20);
      expect(found[0]).toEqual([950 + isn, 951 + isn]);
      expect(found[19]).toEqual([isn, isn + 1]);
    }
  });
});

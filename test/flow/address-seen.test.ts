import { describe, expect, it } from 'vitest';
import { AddressLastSent } from '../../src/flow/address-seen.js';

function v4(a: number, b: number, c: number, d: number): { word: number; bytes: Uint8Array } {
  return { word: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0, bytes: new Uint8Array([a, b, c, d]) };
}

describe('AddressLastSent', () => {
  it('finds an IPv4 address noted by its word (noteV4) as noted by its words (note), in one cell', () => {
    const m = new AddressLastSent();
    const x = v4(10, 0, 0, 7);
    m.note(4, new Uint32Array([x.word, 0, 0, 0]), 0, 5);
    m.noteV4(x.word, 9);
    expect(m.lastSent(4, x.bytes)).toBe(9);
    m.noteV4(x.word, 3);
    expect(m.lastSent(4, x.bytes)).toBe(9);
    // Many addresses (growth, probe runs), each found again at its own time.
    for (let i = 0; i < 3000; i++) m.noteV4(v4(10, 1, i >> 8, i & 255).word, i);
    for (let i = 0; i < 3000; i += 97) expect(m.lastSent(4, v4(10, 1, i >> 8, i & 255).bytes)).toBe(i);
    expect(m.lastSent(4, x.bytes)).toBe(9);
    expect(m.lastSent(4, v4(10, 2, 0, 0).bytes)).toBeNaN();
  });

  it('keeps an IPv6 address whose first word is an IPv4 address apart from it', () => {
    const m = new AddressLastSent();
    const x = v4(10, 0, 0, 7);
    const v6 = new Uint8Array(16);
    v6.set(x.bytes, 0);
    v6[15] = 1;
    m.note(6, new Uint32Array([x.word, 0, 0, 1]), 0, 4);
    m.noteV4(x.word, 8);
    expect(m.lastSent(6, v6)).toBe(4);
    expect(m.lastSent(4, x.bytes)).toBe(8);
  });

  it('starts over past MAX addresses, noteV4 as note', () => {
    const m = new AddressLastSent();
    for (let i = 0; i <= AddressLastSent.MAX; i++) m.noteV4((0x0a000000 + i) >>> 0, i);
    // The first address went with the map when the last one came.
    expect(m.lastSent(4, v4(10, 0, 0, 0).bytes)).toBeNaN();
    expect(m.lastSent(4, v4(10, 0, AddressLastSent.MAX >> 8, AddressLastSent.MAX & 255).bytes)).toBe(AddressLastSent.MAX);
  });
});

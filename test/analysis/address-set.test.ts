import { describe, expect, test } from 'vitest';
import { AddressSet } from '../../src/analysis/address-set.js';
import { KeyHashSet } from '../../src/analysis/key-hash-set.js';

describe('AddressSet: distinct client addresses, exact', () => {
  test('counts as a Set of the same strings does, through growth', () => {
    const s = new AddressSet();
    const ref = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const a = i % 3 === 0 ? `10.${(i >> 8) & 255}.${i & 255}.${i % 7}` : i % 3 === 1 ? `fd00::${(i * 7).toString(16)}:1` : `192.168.0.${i % 256}`;
      s.add(a);
      ref.add(a);
    }
    for (const x of ['', 'not an address', '0.0.0.0', '255.255.255.255', '::', '::ffff:10.0.0.1', '10.0.0.1']) {
      s.add(x);
      s.add(x);
      ref.add(x);
    }
    expect(s.size).toBe(ref.size);
    for (const x of ref) expect(s.has(x)).toBe(true);
    expect(s.has('10.0.0.2')).toBe(false);
    expect(s.has('fd00::1:2')).toBe(false);
    expect(s.has('other')).toBe(false);
  });

  test('IPv4 and its IPv4-mapped IPv6 form, and non-canonical IPv6 text, are other strings', () => {
    const s = new AddressSet();
    s.add('10.0.0.1');
    s.add('::ffff:10.0.0.1');
    s.add('fd00::1');
    s.add('fd00:0::1');
    expect(s.size).toBe(4);
  });

  test('union and copy', () => {
    const a = new AddressSet();
    const b = new AddressSet();
    for (let i = 0; i < 300; i++) a.add(`10.0.${i >> 8}.${i & 255}`);
    for (let i = 200; i < 600; i++) b.add(`10.0.${i >> 8}.${i & 255}`);
    b.add('');
    const u = a.copy();
    u.addAll(b);
    expect(u.size).toBe(601);
    expect(a.size).toBe(300);
  });
});

describe('KeyHashSet: long keys as 64-bit hashes', () => {
  test('members and non-members, through growth', () => {
    const s = new KeyHashSet();
    for (let i = 0; i < 20000; i++) s.add(`connection-refused|refused|100.64.${i >> 8}.${i & 255}|10.0.0.1:80||server|10.0.0.1|error||`);
    s.add('connection-refused|refused|100.64.0.0|10.0.0.1:80||server|10.0.0.1|error||');
    expect(s.size).toBe(20000);
    for (let i = 0; i < 20000; i += 97) expect(s.has(`connection-refused|refused|100.64.${i >> 8}.${i & 255}|10.0.0.1:80||server|10.0.0.1|error||`)).toBe(true);
    for (let i = 0; i < 2000; i++) expect(s.has(`connection-refused|refused|100.65.${i >> 8}.${i & 255}|10.0.0.1:80||server|10.0.0.1|error||`)).toBe(false);
    expect(s.has('')).toBe(false);
  });
});

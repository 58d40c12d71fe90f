import { describe, expect, it } from 'vitest';
import { AddrHash } from './addr-hash.ts';

describe('AddrHash', () => {
  it('agrees with a Map through random inserts, overwrites and deletes of high addresses', () => {
    const h = new AddrHash(4);
    const ref = new Map<number, number>();
    let seed = 12345;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    // Few distinct keys so that probe runs collide and deletions must shift entries back.
    const keys = Array.from({ length: 300 }, (_, i) => 0x7fff00000000 + i * 4096 * (1 + (i % 7)));
    for (let op = 0; op < 20000; op++) {
      const k = keys[next() % keys.length]!;
      if (next() % 3 === 0) {
        h.delete(k);
        ref.delete(k);
      } else {
        h.set(k, op);
        ref.set(k, op);
      }
    }
    expect(h.size).toBe(ref.size);
    for (const k of keys) expect(h.get(k)).toBe(ref.get(k) ?? -1);
  });
});

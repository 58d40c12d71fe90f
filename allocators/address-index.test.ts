import { describe, expect, it } from 'vitest';
import { ABSENT, AddressIndex } from './address-index.ts';

/** A seeded LCG, so the random walk repeats. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
}

describe('AddressIndex', () => {
  for (const unit of [4096, 16384, 256 * 1024]) {
    it(`agrees with a Map keyed by unit through random sets, runs and deletes of 47-bit addresses (unit ${unit})`, () => {
      const index = new AddressIndex(unit);
      const ref = new Map<number, number>();
      const next = lcg(unit);
      // Three clusters far apart (heap, top of the mmap area, a 32-bit-style low range), so that
      // lookups change leaves and keys exceed 2^32 units' worth of bytes.
      const bases = [0x555555a00000, 0x7ffff7fc3000 - 2 ** 33, 0x08048000];
      const span = 3000;
      const addr = (): number => bases[next() % 3]! + (next() % span) * unit + (next() % unit);
      const unitOf = (a: number): number => Math.floor(a / unit);
      for (let op = 0; op < 20000; op++) {
        const a = addr();
        const r = next() % 10;
        if (r < 4) {
          index.set(a, op);
          ref.set(unitOf(a), op);
        } else if (r < 6) {
          index.delete(a);
          ref.delete(unitOf(a));
        } else if (r < 7) {
          const n = 1 + (next() % 70);
          index.setRun(a, n, op);
          for (let i = 0; i < n; i++) ref.set(unitOf(a) + i, op);
        } else if (r < 8) {
          const n = 1 + (next() % 70);
          index.deleteRun(a, n);
          for (let i = 0; i < n; i++) ref.delete(unitOf(a) + i);
        } else {
          expect(index.get(a)).toBe(ref.get(unitOf(a)) ?? ABSENT);
        }
      }
      for (const base of bases) for (let i = 0; i < span + 70; i++) expect(index.get(base + i * unit)).toBe(ref.get(unitOf(base) + i) ?? ABSENT);
    });
  }

  it('runs cross leaf boundaries (2^16 units a leaf)', () => {
    const index = new AddressIndex(4096);
    const leafBytes = 4096 * 65536;
    const start = 0x7f0000000000 + leafBytes - 3 * 4096;
    index.setRun(start, 6, 7);
    expect([-1, 0, 1, 2, 3, 4, 5, 6].map((i) => index.get(start + i * 4096))).toEqual([ABSENT, 7, 7, 7, 7, 7, 7, ABSENT]);
    index.deleteRun(start + 2 * 4096, 2);
    expect([0, 1, 2, 3, 4, 5].map((i) => index.get(start + i * 4096))).toEqual([7, 7, ABSENT, ABSENT, 7, 7]);
    expect(index.leafCount).toBe(2);
  });

  it('reads as absent where nothing was ever registered, without creating leaves', () => {
    const index = new AddressIndex(4096);
    expect(index.get(0x7fffffff0000)).toBe(ABSENT);
    index.delete(0x7fffffff0000);
    expect(index.leafCount).toBe(0);
  });
});

// PageIndex must answer exactly as the general AddressIndex with a 4 KiB unit
// does, for any mix of operations, across leaf boundaries and at addresses
// above 2^32 (where 32-bit arithmetic on whole addresses would go wrong).
import { describe, expect, it } from 'vitest';
import { AddressIndex } from '../address-index.ts';
import { LEAF_SPAN, NO_PAGE, PageIndex } from './page-index.ts';

const PAGE = 4096;

describe('PageIndex', () => {
  it('reads NO_PAGE where nothing is registered, and what was set elsewhere', () => {
    const ix = new PageIndex();
    const a = 0x7ffff0000000;
    expect(ix.get(a)).toBe(NO_PAGE);
    ix.set(a, 0);
    ix.set(a + PAGE, 7);
    expect(ix.get(a)).toBe(0);
    // Any byte of the page finds it.
    expect(ix.get(a + PAGE + 4095)).toBe(7);
    expect(ix.get(a + 2 * PAGE)).toBe(NO_PAGE);
    ix.delete(a + PAGE);
    expect(ix.get(a + PAGE)).toBe(NO_PAGE);
    expect(ix.get(a)).toBe(0);
  });

  it('runs cross leaf boundaries and deleting a run leaves its neighbours', () => {
    const ix = new PageIndex();
    // Three pages below a leaf boundary and two above, high in the address space.
    const boundary = 0x7000 * LEAF_SPAN;
    ix.setRun(boundary - 3 * PAGE, 5, 42);
    ix.set(boundary - 4 * PAGE, 1);
    ix.set(boundary + 2 * PAGE, 2);
    for (let p = -3; p < 2; p++) expect(ix.get(boundary + p * PAGE)).toBe(42);
    expect(ix.leafCount).toBe(2);
    ix.deleteRun(boundary - 3 * PAGE, 5);
    for (let p = -3; p < 2; p++) expect(ix.get(boundary + p * PAGE)).toBe(NO_PAGE);
    expect(ix.get(boundary - 4 * PAGE)).toBe(1);
    expect(ix.get(boundary + 2 * PAGE)).toBe(2);
    // Deleting where no leaf exists creates none.
    ix.deleteRun(boundary + 10 * LEAF_SPAN, 3);
    ix.delete(boundary + 20 * LEAF_SPAN);
    expect(ix.leafCount).toBe(2);
  });

  it('agrees with AddressIndex over a seeded random mix of operations', () => {
    const ix = new PageIndex();
    const ref = new AddressIndex(PAGE);
    let s = 12345;
    const rand = (n: number): number => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s % n;
    };
    // Pages in four regions, two of them straddling leaf boundaries.
    const bases = [0x555555a00000, 0x7f0000000000 - 8 * PAGE, 0x7fff00000000, 2 ** 40 - 4 * PAGE];
    for (let i = 0; i < 20000; i++) {
      const addr = bases[rand(4)]! + rand(64) * PAGE + rand(PAGE);
      const op = rand(6);
      if (op === 0) {
        ix.set(addr, i);
        ref.set(addr, i);
      } else if (op === 1) {
        ix.delete(addr);
        ref.delete(addr);
      } else if (op === 2) {
        const n = 1 + rand(20);
        ix.setRun(addr, n, i);
        ref.setRun(addr, n, i);
      } else if (op === 3) {
        const n = 1 + rand(20);
        ix.deleteRun(addr, n);
        ref.deleteRun(addr, n);
      } else {
        expect(ix.get(addr)).toBe(ref.get(addr));
      }
    }
  });
});

import { describe, expect, it } from 'vitest';
import { PoolMap } from './pool-map.ts';

const POOL = 16384;
/** A leaf covers 2^18 pool windows: 4 GiB of 16 KiB pools. */
const LEAF_SPAN = 2 ** 18 * POOL;
const HEAP = 0x555555a00000;
const MMAP = 0x7ffff7fc0000;

describe('PoolMap', () => {
  it('answers −1 everywhere until a pool is registered', () => {
    const m = new PoolMap(POOL);
    for (const a of [0, 1, HEAP, MMAP, 2 ** 47 - 1]) expect(m.get(a)).toBe(-1);
    expect(m.leafCount).toBe(0);
  });

  it('maps every address of a pool window, and only those, to the pool', () => {
    const m = new PoolMap(POOL);
    const base = MMAP - 5 * POOL; // pool-aligned: 0x7ffff7fc0000 is a multiple of 16 KiB
    expect(base % POOL).toBe(0);
    m.set(base, 7);
    expect(m.get(base)).toBe(7);
    expect(m.get(base + 48)).toBe(7);
    expect(m.get(base + POOL - 1)).toBe(7);
    expect(m.get(base - 1)).toBe(-1);
    expect(m.get(base + POOL)).toBe(-1);
    m.set(base + POOL, 0);
    expect(m.get(base + POOL + 100)).toBe(0);
    m.delete(base);
    expect(m.get(base + 48)).toBe(-1);
    expect(m.get(base + POOL + 100)).toBe(0);
  });

  it('keeps answers right when lookups alternate between regions in different leaves', () => {
    const m = new PoolMap(POOL);
    const far = [HEAP, MMAP - POOL, HEAP + 3 * LEAF_SPAN, 2 ** 46];
    far.forEach((a, i) => m.set(a, 100 + i));
    expect(m.leafCount).toBe(4);
    // Round-robin over more leaves than the two cached, with misses in a region without pools between.
    for (let round = 0; round < 3; round++) {
      far.forEach((a, i) => {
        expect(m.get(a + 8)).toBe(100 + i);
        expect(m.get(a + POOL + 8)).toBe(-1);
        expect(m.get(HEAP + 10 * LEAF_SPAN)).toBe(-1);
      });
    }
  });

  it('sees a pool registered in a region that was last found empty', () => {
    const m = new PoolMap(POOL);
    m.set(MMAP - POOL, 1);
    expect(m.get(MMAP - 8)).toBe(1);
    // The heap region has no leaf: it is remembered as empty...
    expect(m.get(HEAP + 64)).toBe(-1);
    expect(m.get(HEAP + 128)).toBe(-1);
    // ...until a pool lands there.
    m.set(HEAP, 2);
    expect(m.get(HEAP + 64)).toBe(2);
    expect(m.get(MMAP - 8)).toBe(1);
  });

  it('splits windows exactly at leaf boundaries and near 2^47', () => {
    const m = new PoolMap(4096);
    const span = 2 ** 18 * 4096;
    const edge = 5 * span;
    m.set(edge - 4096, 1);
    m.set(edge, 2);
    expect(m.get(edge - 1)).toBe(1);
    expect(m.get(edge)).toBe(2);
    expect(m.leafCount).toBe(2);
    const top = 2 ** 47 - 4096;
    m.set(top, 3);
    expect(m.get(2 ** 47 - 1)).toBe(3);
    expect(m.get(top - 1)).toBe(-1);
  });
});

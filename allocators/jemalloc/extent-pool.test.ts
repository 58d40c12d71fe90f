// The extent pool across growth, splits, merges and slot reuse, and the
// packed page-map entries: a page-map entry must give back the id (slab slot
// or extent) and bin it was registered with, and lead the model to the extent.
import { describe, expect, it } from 'vitest';
import { AddressSpace } from '../address-space.ts';
import { ExtentPool, NONE, ST_ACTIVE, ST_DIRTY, ST_FREE_SLOT, ST_RETAINED } from './extents.ts';
import { Metadata } from './metadata.ts';
import { entryBin, entryId, PageMap } from './page-map.ts';
import { makeModel } from './test-helpers.ts';

describe('ExtentPool', () => {
  it('keeps every field of every extent through growth', () => {
    // 4 slots to begin with, so that 40 extents make it grow three times.
    const pool = new ExtentPool(4);
    const n = 40;
    for (let i = 0; i < n; i++) {
      const e = pool.create(0x7f0000000000 + i * 2 ** 33, (i + 1) * 4096, 1000 + i, i % 2 === 0 ? ST_DIRTY : ST_RETAINED, i % 3 === 0, i % 2);
      expect(e).toBe(i);
      pool.usize[e] = 2 ** 40 + e;
      pool.bin[e] = e % 36;
      pool.slabSlot[e] = 2 ** 30 + e;
    }
    for (let e = 0; e < n; e++) {
      expect(pool.start[e]).toBe(0x7f0000000000 + e * 2 ** 33);
      expect(pool.end(e)).toBe(0x7f0000000000 + e * 2 ** 33 + (e + 1) * 4096);
      expect(pool.sn[e]).toBe(1000 + e);
      expect(pool.usize[e]).toBe(2 ** 40 + e);
      expect(pool.bin[e]).toBe(e % 36);
      expect(pool.slabSlot[e]).toBe(2 ** 30 + e);
      expect(pool.state[e]).toBe(e % 2 === 0 ? ST_DIRTY : ST_RETAINED);
      expect(pool.head[e]).toBe(e % 3 === 0 ? 1 : 0);
      expect(pool.arena[e]).toBe(e % 2);
    }
    expect(pool.capacity).toBeGreaterThanOrEqual(n);
  });

  it('creates with fresh fields, splits keeping serial and state, merges keeping the lower serial, reuses released slots', () => {
    const pool = new ExtentPool(2);
    const a = pool.create(0x10000000, 40960, 7, ST_DIRTY, true, 1);
    pool.bin[a] = 5;
    pool.usize[a] = 4096;
    const tail = pool.split(a, 12288);
    expect([pool.start[a], pool.size[a], pool.start[tail], pool.size[tail]]).toEqual([0x10000000, 12288, 0x10003000, 28672]);
    // The tail is a new extent: not a head, no bin, no usable size, in no heap or list.
    expect([pool.sn[tail], pool.state[tail], pool.arena[tail], pool.head[tail], pool.bin[tail], pool.usize[tail]]).toEqual([7, ST_DIRTY, 1, 0, -1, 0]);
    expect([pool.heapPos[tail], pool.lruPrev[tail], pool.lruNext[tail]]).toEqual([NONE, NONE, NONE]);
    pool.sn[tail] = 3;
    pool.merge(a, tail);
    expect([pool.size[a], pool.sn[a], pool.state[tail]]).toEqual([40960, 3, ST_FREE_SLOT]);
    // The released slot comes back first, with its fields reset.
    const b = pool.create(0x20000000, 4096, 9, ST_ACTIVE, false, 0);
    expect(b).toBe(tail);
    expect([pool.start[b], pool.size[b], pool.sn[b], pool.state[b], pool.head[b], pool.bin[b]]).toEqual([0x20000000, 4096, 9, ST_ACTIVE, 0, -1]);
    expect(pool.highWater).toBe(2);
  });
});

describe('PageMap entries', () => {
  it('give back the id and the bin (−1 for large) of every page registered, and nothing after unregistering', () => {
    const space = new AddressSpace();
    const map = new PageMap(new Metadata(space, 2 * 1024 * 1024, true));
    const slab = 0x7f1234560000;
    map.registerRange(slab, 5 * 4096, 123456, 35);
    const large = 0x7f2000000000;
    map.registerRange(large, 4096, 2 ** 25 - 1, -1);
    for (let p = 0; p < 5; p++) {
      const entry = map.lookupEntry(slab + p * 4096 + 100);
      expect([entryId(entry), entryBin(entry)]).toEqual([123456, 35]);
    }
    expect(map.lookupEntry(slab + 5 * 4096)).toBe(-1);
    const entry = map.lookupEntry(large + 4095);
    expect([entryId(entry), entryBin(entry)]).toEqual([2 ** 25 - 1, -1]);
    map.unregisterRange(slab, 5 * 4096);
    expect(map.lookupEntry(slab + 4096)).toBe(-1);
    // Ids and bins that do not fit an entry are refused, not wrapped.
    expect(() => map.registerRange(slab, 4096, 2 ** 25, 0)).toThrow(/out of range/);
    expect(() => map.registerRange(slab, 4096, 1, 63)).toThrow(/out of range/);
  });

  it('lead the model from any address of a block to its extent, slab or large', () => {
    const t = makeModel('5.3');
    const small = t.m.malloc(100, t.req); // class 112, a slab of 7 pages
    const large = t.m.malloc(100_000, t.req);
    const slab = t.m.extentAt(small);
    expect(t.m.pool.bin[slab]!).toBe(t.m.table.indexOf(112));
    expect(small).toBeGreaterThanOrEqual(t.m.pool.start[slab]!);
    expect(small + 112).toBeLessThanOrEqual(t.m.pool.end(slab));
    const e = t.m.extentAt(large);
    expect(t.m.pool.bin[e]!).toBe(-1);
    expect(t.m.pool.usize[e]!).toBe(114688);
    expect(t.m.usableSize(small)).toBe(112);
    expect(t.m.usableSize(large)).toBe(114688);
    expect(t.m.extentAt(0x1000)).toBe(NONE);
  });
});

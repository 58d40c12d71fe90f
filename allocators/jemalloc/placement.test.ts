import { describe, expect, it } from 'vitest';
import { alloc, makeModel, release } from './test-helpers.ts';

describe('small allocations', () => {
  it('puts a 100-byte request in a 112-byte region of a 28 KiB slab, the next one 112 bytes above', () => {
    const t = makeModel('5.3');
    const a = alloc(t, 100);
    const b = alloc(t, 100);
    expect(t.m.usableSize(a)).toBe(112);
    expect(b - a).toBe(112);
    const slab = t.m.extentAt(a);
    expect(t.m.pool.size[slab]).toBe(28 * 1024);
    // Region 0 sits at the slab start; the slab is page-aligned.
    expect(a).toBe(t.m.pool.start[slab]);
    expect(a % 4096).toBe(0);
  });

  it('hands back freed regions last in, first out through the thread cache', () => {
    const t = makeModel('5.3');
    const [a, b, c] = [alloc(t, 48), alloc(t, 48), alloc(t, 48)];
    release(t, a);
    release(t, b);
    release(t, c);
    expect([alloc(t, 48), alloc(t, 48), alloc(t, 48)]).toEqual([c, b, a]);
  });

  it('without a thread cache takes the lowest free region of the current slab', () => {
    const t = makeModel('5.3', { tcache: false });
    const a = [alloc(t, 64), alloc(t, 64), alloc(t, 64)];
    release(t, a[2]!);
    release(t, a[0]!);
    // Region 0 is lower than region 2: it is reused first.
    expect(alloc(t, 64)).toBe(a[0]);
    expect(alloc(t, 64)).toBe(a[2]);
  });

  it('refills a thread cache with ncached_max/2 regions: 112-byte bin caches 200, fills 100', () => {
    const t = makeModel('5.3');
    alloc(t, 100);
    const slab = t.m.extentAt(alloc(t, 100));
    // 256 regions, 100 taken by the fill.
    expect(t.m.bins.nfreeOf(slab)).toBe(156);
  });

  it('flushes the older half of a full thread-cache bin back to its slab', () => {
    const t = makeModel('5.3');
    // 4096-byte class: one region per 4 KiB slab, ncached_max = clamp(2·1, 20, 200) = 20.
    const blocks = Array.from({ length: 21 }, () => alloc(t, 4096));
    // 21 mallocs took 3 fills of 20 >> 1 = 10 regions: 30 slabs, 9 regions still cached.
    expect(t.m.bins.nslabs[28]).toBe(30);
    const tc = t.m.threads.get(0)!.tcache!;
    expect(tc.cachedCount(28)).toBe(9);
    for (const b of blocks) release(t, b);
    // Free 11 fills the bin (9 + 11 = 20); free 12 flushes the 10 oldest (the 9 never-used
    // regions and blocks[0]), whose slabs empty and leave; frees 12..21 refill it to 20.
    expect(t.m.bins.nslabs[28]).toBe(20);
    expect(tc.cachedCount(28)).toBe(20);
    expect(t.m.extentAt(blocks[0]!)).toBe(-1);
    expect(t.m.extentAt(blocks[1]!)).not.toBe(-1);
  });
});

describe('large allocations', () => {
  it('makes the extent the size class plus one 4 KiB page, the pointer at a cache-line offset in its first page', () => {
    const t = makeModel('5.3');
    const a = alloc(t, 20000);
    const e = t.m.extentAt(a);
    expect(t.m.usableSize(a)).toBe(20480);
    expect(t.m.pool.size[e]).toBe(20480 + 4096);
    const offset = a - t.m.pool.start[e]!;
    expect(offset % 64).toBe(0);
    expect(offset).toBeLessThan(4096);
  });

  it('carves consecutive large extents upward from the first 2 MiB mapping', () => {
    const t = makeModel('5.3', { tcache: false });
    const e1 = t.m.extentAt(alloc(t, 100_000)); // class 114688 (2^16 + 3·2^14) + pad = 118784
    const e2 = t.m.extentAt(alloc(t, 100_000));
    expect(t.m.pool.size[e1]).toBe(118784);
    expect(t.m.pool.start[e2]! - t.m.pool.start[e1]!).toBe(118784);
  });

  it('serves requests of 8 MiB and more from the huge arena and purges them when freed', () => {
    const t = makeModel('5.3');
    const a = alloc(t, 10 * 1024 * 1024);
    const e = t.m.extentAt(a);
    expect(t.m.pool.arena[e]).toBe(1);
    // usize 10 MiB is a class; the extent is 10 MiB + 4 KiB, from a 12 MiB exp_grow mapping (next class ≥ it).
    const [start, size] = [t.m.pool.start[e]!, t.m.pool.size[e]!];
    expect(size).toBe(10 * 1024 * 1024 + 4096);
    // The 10 MiB written from the cache-line offset: 2560 pages, one more when the offset is not 0.
    expect(t.space.residentPagesIn(start, size)).toBe(a === start ? 2560 : 2561);
    release(t, a);
    // Decay 0 in the huge arena: the pages are DONTNEED'd at once.
    expect(t.space.residentPagesIn(start, size)).toBe(0);
    expect(t.m.huge!.retained.npages).toBe(3072); // the whole 12 MiB mapping is retained
  });

  it('grows a large block in place into the free pages above it', () => {
    const t = makeModel('5.3', { tcache: false });
    const a = alloc(t, 100_000);
    t.req.nowNs = 0;
    expect(t.m.realloc(a, 200_000, t.req)).toBe(a);
    expect(t.m.usableSize(a)).toBe(229376); // 2^17 + 3·2^15
  });
});

describe('retention findings', () => {
  it('reports a partly used slab: its free regions stay resident, pinned by the live one', () => {
    const t = makeModel('5.3', { tcache: false });
    // 128-byte class: 32 regions in one 4 KiB slab.
    const blocks = Array.from({ length: 32 }, () => alloc(t, 128));
    for (const b of blocks.slice(1)) release(t, b);
    const slack = t.m.retention().find((f) => f.kind === 'slab-slack')!;
    // One resident page, one live region of 128 bytes: 4096 − 128 = 3968 bytes of free regions.
    expect(slack.bytes).toBe(3968);
    expect(slack.liveBlocks).toBe(1);
    expect(slack.text).toMatch(/^3\.88 KiB of free regions in 1 partly used slab stay resident, held by 1 live region/);
  });

  it('reports blocks parked in the thread cache', () => {
    const t = makeModel('5.3');
    const a = alloc(t, 20000);
    release(t, a);
    const tc = t.m.retention().find((f) => f.kind === 'tcache')!;
    // A 20 KiB large block (≤ tcache_max 32 KiB) stays cached instead of going back to the extents.
    expect(tc.bytes).toBe(20480);
    expect(tc.text).toMatch(/^20 KiB in 1 freed block parked in 1 thread cache/);
  });
});

describe('determinism', () => {
  it('gives the same addresses, sizes and RSS for the same requests', () => {
    const run = (): number[] => {
      const t = makeModel('5.3');
      const out: number[] = [];
      const live: number[] = [];
      for (let i = 0; i < 3000; i++) {
        // A fixed mix: small, large (random cache-line offsets), huge; frees of every third block.
        const size = [24, 100, 700, 5037, 20000, 70000, 300000, 9 * 1024 * 1024][i % 8]!;
        const a = alloc(t, size, i * 1e6);
        live.push(a);
        out.push(a, t.m.usableSize(a));
        if (i % 3 === 2) release(t, live.splice(i % live.length, 1)[0]!, i * 1e6);
      }
      out.push(t.space.residentBytes, t.space.mappedBytes);
      return out;
    };
    expect(run()).toEqual(run());
  });
});

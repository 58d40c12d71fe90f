import { describe, expect, it } from 'vitest';
import type { Pac } from './pac.ts';
import { activity, alloc, makeModel, MiB, release } from './test-helpers.ts';

/**
 * 200 MiB of 4096-byte blocks (one region per 4 KiB slab), then every other
 * one freed at t=0: 100 MiB in 25600 dirty 4 KiB extents, each between two
 * live slabs so that none coalesces. (Freed neighbours would merge into one
 * extent when purged, and jemalloc purges whole extents: see the last test.)
 */
function freeHundredMiB(preset: string, params = {}): { t: ReturnType<typeof makeModel>; residentPages: () => number } {
  const t = makeModel(preset, params);
  const blocks = Array.from({ length: 51200 }, () => alloc(t, 4096, 0));
  const freed = blocks.filter((_, i) => i % 2 === 0);
  for (const b of freed) release(t, b, 0);
  return { t, residentPages: () => freed.reduce((n, b) => n + t.space.residentPagesIn(b, 4096), 0) };
}

const SEC = 1e9;
/** One 64 KiB malloc+free every 250 µs: 8 ticks a millisecond, so the ticker fires about every 125 ms. */
const STEP = 250_000;

describe('jemalloc 5.3 decay on the trace clock', () => {
  it('keeps freed pages resident while the decay curve allows, and purges them by the end of dirty_decay_ms', () => {
    const { t, residentPages } = freeHundredMiB('5.3');
    // Nothing is purged yet: the freed pages are dirty, or parked in the thread cache.
    expect(residentPages()).toBe(25600);
    activity(t, 0, 1 * SEC, STEP);
    // After ~20 epochs of 50 ms the curve allows 1 − smootherstep(0.9) ≈ 0.86 % to be purged.
    expect(residentPages()).toBeGreaterThan(25600 * 0.97);
    activity(t, 1 * SEC, 5 * SEC, STEP);
    // Half-way, smootherstep(0.5) = 0.5: about half remain.
    expect(residentPages()).toBeGreaterThan(25600 * 0.4);
    expect(residentPages()).toBeLessThan(25600 * 0.6);
    activity(t, 5 * SEC, 11 * SEC, STEP);
    // After 200 epochs every recorded page is due. The cached blocks went too: each 64 KiB malloc and
    // free of the activity is a tcache GC step, and a bin left untouched loses ¾ of its entries per
    // visit (20 → 5 → 1 → 0), back to dirty extents that decay like the rest.
    expect(residentPages()).toBe(0);
    expect(t.m.retention().find((f) => f.kind === 'tcache')).toBeUndefined();
  });

  it('purges nothing without allocator activity, however much time passes', () => {
    const { t, residentPages } = freeHundredMiB('5.3');
    t.m.advanceTime(60 * SEC);
    expect(residentPages()).toBe(25600);
    const dirty = t.m.retention().find((f) => f.kind === 'dirty-pages')!;
    const cached = t.m.retention().find((f) => f.kind === 'tcache')!.bytes;
    expect(cached).toBeGreaterThan(0);
    expect(cached).toBeLessThanOrEqual(20 * 4096);
    expect(dirty.bytes + cached).toBe(25600 * 4096);
    expect(dirty.text).toMatch(/only while the program keeps allocating or freeing/);
    // Everything dirtied since the last epoch is due 201 epochs of 50 ms after it, ≈ 10.05 s plus jitter.
    expect(dirty.purgeAtNs).toBeGreaterThan(10 * SEC);
  });

  it('dirty_decay_ms=0 purges on every free', () => {
    const { t, residentPages } = freeHundredMiB('5.3', { dirty_decay_ms: 0 });
    // Only the blocks parked in the thread cache stay (at most its 20 slots for 4 KiB).
    const tc = t.m.retention().find((f) => f.kind === 'tcache')!;
    expect(tc.bytes).toBeGreaterThan(0);
    expect(tc.bytes).toBeLessThanOrEqual(20 * 4096);
    expect(residentPages()).toBe(tc.bytes / 4096);
  });

  it('dirty_decay_ms=-1 never purges, even with activity', () => {
    const { t, residentPages } = freeHundredMiB('5.3', { dirty_decay_ms: -1 });
    activity(t, 0, 20 * SEC, 1_000_000);
    expect(residentPages()).toBe(25600);
    expect(t.m.retention().find((f) => f.kind === 'dirty-pages')!.text).toMatch(/never purged/);
  });
});

describe('jemalloc 5.1 purges through MADV_FREE', () => {
  it('turns dirty pages muzzy (still resident) after the dirty decay, then DONTNEEDs them after the muzzy decay', () => {
    const { t, residentPages } = freeHundredMiB('5.1');
    const arena = t.m.arena as unknown as Pac;
    activity(t, 0, 5 * SEC, STEP);
    // Half-way through the dirty curve thousands of pages have left the dirty cache for muzzy:
    // MADV_FREE'd, and still counted in RSS.
    expect(arena.muzzy.npages).toBeGreaterThan(5000);
    expect(residentPages()).toBeGreaterThanOrEqual(arena.muzzy.npages + 20);
    const muzzy = t.m.retention().find((f) => f.kind === 'muzzy-pages')!;
    expect(muzzy.bytes).toBe(arena.muzzy.npages * 4096);
    // (decay.c counts as new only the pages above the count before the last purge, so under a steady
    // inflow the muzzy curve runs ahead of 10 s; the model keeps that arithmetic.)
    activity(t, 5 * SEC, 21 * SEC, STEP);
    // 10 s after the last dirty pages went muzzy, the muzzy decay is over too, except for a few pages:
    // the activity block itself cycles dirty → muzzy → reused, and its 17 pages a cycle keep the muzzy
    // limit above zero, so up to that many old muzzy pages may linger.
    expect(residentPages()).toBeGreaterThanOrEqual(20);
    expect(residentPages()).toBeLessThanOrEqual(20 + 17);
  });
});

describe('jemalloc 3 ratio purging', () => {
  it('purges at once down to active/8 and leaves a spare chunk', () => {
    const t = makeModel('3', { tcache: false });
    // 1000 blocks of 8 KiB: 2-page runs, nactive = 2000 pages, in 2 chunks (1018 run pages each: 509 runs).
    const blocks = Array.from({ length: 1000 }, () => alloc(t, 8192));
    const base = t.space.residentPages;
    release(t, blocks[0]!);
    // 2 dirty pages ≤ floor(1998 / 8) = 249: nothing purged.
    expect(t.space.residentPages).toBe(base);
    // Free every other block (no two freed runs touch): after 250 frees nactive = 1500 pages,
    // threshold floor(1500/8) = 187, dirty kept in whole 2-page runs → 186 pages.
    for (let i = 2; i < 500; i += 2) release(t, blocks[i]!);
    expect(t.space.residentPages).toBe(base - 500 + 186);
    // RSS = 1500 live pages + 186 dirty + 2 chunk headers of 6 pages + 1 page of base metadata.
    expect(t.space.residentPages).toBe(1500 + 186 + 12 + 1);
  });

  it('reproduces the 2014 talk: 100000 strings of 5037 bytes take 8 KiB each and RSS drops to a few MB after freeing', () => {
    const t = makeModel('3');
    const strings = Array.from({ length: 100000 }, () => alloc(t, 5037));
    expect(t.m.usableSize(strings[0]!)).toBe(8192);
    // 100000 × 8 KiB = 800000 KiB of runs (the talk measured 814084 kB for the whole process).
    const afterAlloc = t.space.residentBytes / 1024;
    expect(afterAlloc).toBeGreaterThan(800000);
    expect(afterAlloc).toBeLessThan(810000);
    for (const s of strings) release(t, s);
    expect(t.space.residentBytes).toBeLessThan(5 * MiB);
  });
});

describe('eager coalescing of large dirty extents', () => {
  // 1000 blocks of 64 KiB: extents of 64 + 4 KiB = 68 KiB carved in order from the exp_grow mappings
  // (2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 10, 12, 14, 16 MiB ...). Freed in order at t=0, each merges at
  // once with the freed extents below it (≥ 16 KiB coalesce eagerly), one mapping at a time.
  function freeLargeRun(preset: string): ReturnType<typeof makeModel> {
    const t = makeModel(preset, { tcache: false });
    const blocks = Array.from({ length: 1000 }, () => alloc(t, 65536, 0));
    for (const b of blocks) release(t, b, 0);
    return t;
  }

  it('5.3 purges a merged dirty extent as soon as it reaches oversize_threshold (extent_record shortcut)', () => {
    const t = freeLargeRun('5.3');
    const arena = t.m.arena as unknown as Pac;
    // No activity and no time passed, yet the mappings of 8 MiB and more were purged in 8 MiB pieces;
    // what stays dirty is below 8 MiB per extent.
    for (const e of arena.dirty.members()) expect(t.m.pool.size[e]).toBeLessThan(8 * MiB);
    // The 8 MiB mapping holds 120 extents (8355840 bytes), short of the threshold; the 10, 12, 14 and
    // 16 MiB ones each reach it once, so at least 8 MiB were purged, all in whole merged extents.
    const purged = 1000 * 69632 - arena.dirty.npages * 4096;
    expect(purged).toBeGreaterThanOrEqual(8 * MiB);
    expect(purged % 69632).toBe(0);
  });

  it('5.1 has no such shortcut: everything stays dirty until decay', () => {
    const t = freeLargeRun('5.1');
    const arena = t.m.arena as unknown as Pac;
    expect(arena.dirty.npages * 4096).toBe(1000 * 69632);
  });
});

describe('decay eviction order (ecache_evict)', () => {
  it('merges an LRU dirty extent with one free neighbour and sends it to the back, purging an isolated extent first', () => {
    const t = makeModel('5.3', { tcache: false });
    // 4 KiB blocks: one region per one-page slab, carved in address order.
    const x = Array.from({ length: 5 }, () => alloc(t, 4096, 0));
    for (let i = 1; i < 5; i++) expect(x[i]! - x[i - 1]!).toBe(4096);
    // Freed slabs become dirty one-page extents, not merged yet (delayed coalescing below 16 KiB):
    // LRU order x0, x1, x3; x0 and x1 touch, x3 lies between live x2 and x4.
    for (const i of [0, 1, 3]) release(t, x[i]!, 0);
    const arena = t.m.arena as unknown as Pac;
    expect(arena.dirty.count).toBe(3);
    // Purge one page's worth down to a limit of 2 pages (what a decay epoch asks for).
    (arena as unknown as { purge(set: unknown, limit: number, max: number, fully: boolean): void }).purge(arena.dirty, 2, 1, false);
    // x0 merged with x1 and went to the back of the LRU; x3, the new head, had no free neighbour and was purged.
    expect(t.space.residentPagesIn(x[3]!, 4096)).toBe(0);
    expect(t.space.residentPagesIn(x[0]!, 8192)).toBe(2);
    expect(arena.dirty.count).toBe(1);
    expect(arena.dirty.npages).toBe(2);
  });
});

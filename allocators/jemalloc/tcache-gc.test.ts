import { describe, expect, it } from 'vitest';
import { ThreadCache } from './tcache.ts';
import { alloc, activity, makeModel, release } from './test-helpers.ts';

/** A cache with two small bins of 20 and 200 slots and one large bin of 20. */
function cache(): ThreadCache {
  return new ThreadCache(Int32Array.from([20, 200, 20]), 2);
}

const plan = new Int32Array(2);
const out = new Float64Array(256);
const outExtent = new Int32Array(256);

/** Run GC steps until bin `b` has had its turn; returns its keep. */
function visit(tc: ThreadCache, b: number): number {
  for (;;) {
    tc.gcStep(plan);
    if (plan[0] === b) return plan[1]!;
  }
}

function pushN(tc: ThreadCache, b: number, n: number, from = 1): void {
  for (let i = 0; i < n; i++) tc.push(b, (from + i) * 4096, 0);
}

describe('thread-cache GC (tcache_event, tcache_gc_small / tcache_gc_large)', () => {
  it('visits one bin per step, in turn, wrapping round', () => {
    const tc = cache();
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      tc.gcStep(plan);
      seen.push(plan[0]!);
    }
    expect(seen).toEqual([0, 1, 2, 0, 1]);
  });

  it('flushes ¾ (rounded up) of the entries that stayed below the low-water mark, oldest first', () => {
    const tc = cache();
    pushN(tc, 0, 20);
    // The low-water mark starts at 0 (empty bin): the first visit flushes nothing and restarts it at 20.
    expect(visit(tc, 0)).toBe(-1);
    expect(tc.lowWater[0]).toBe(20);
    // Untouched since: low water 20, flush 20 − 20>>2 = 15, keep 5; then 5 → keep 5 − (5 − 1) = 1; then 1 → 0.
    expect(visit(tc, 0)).toBe(5);
    expect(tc.flush(0, 5, out, outExtent)).toBe(15);
    expect(out[0]).toBe(1 * 4096);
    expect(out[14]).toBe(15 * 4096);
    expect(tc.cached(0, 0)).toBe(16 * 4096);
    expect(visit(tc, 0)).toBe(1);
    tc.flush(0, 1, out, outExtent);
    expect(visit(tc, 0)).toBe(0);
  });

  it('counts only what stayed below the low-water mark: blocks used since the last visit are kept', () => {
    const tc = cache();
    pushN(tc, 0, 20);
    visit(tc, 0);
    // 8 pops bring the count (and the low water) to 12; 3 pushes bring it to 15.
    for (let i = 0; i < 8; i++) tc.pop(0);
    pushN(tc, 0, 3, 100);
    expect(tc.lowWater[0]).toBe(12);
    // Flush 12 − 12>>2 = 9 of the 15, keep 6.
    expect(visit(tc, 0)).toBe(6);
  });

  it('halves a small bin’s fill after idle entries and doubles it again after it ran dry', () => {
    const tc = cache();
    expect(tc.fillCount(1)).toBe(100); // 200 >> 1
    pushN(tc, 1, 10);
    visit(tc, 1); // low water was 0: nothing to adapt yet
    expect(tc.fillCount(1)).toBe(100);
    visit(tc, 1); // 10 idle entries: lg_fill_div 1 → 2
    expect(tc.fillCount(1)).toBe(50);
    visit(tc, 1);
    expect(tc.fillCount(1)).toBe(25);
    // Drain the bin and miss once (a refill): the next visit doubles the fill, never below lg_fill_div 1.
    while (tc.pop(1) !== 0);
    visit(tc, 1);
    expect(tc.fillCount(1)).toBe(50);
    expect(tc.pop(1)).toBe(0);
    visit(tc, 1);
    expect(tc.fillCount(1)).toBe(100);
    expect(tc.pop(1)).toBe(0);
    visit(tc, 1);
    expect(tc.fillCount(1)).toBe(100);
  });

  it('never adapts a large bin’s fill (large bins are not filled), but flushes it the same way', () => {
    const tc = cache();
    pushN(tc, 2, 8);
    visit(tc, 2);
    expect(visit(tc, 2)).toBe(2); // 8 − (8 − 2)
    expect(tc.lgFillDiv[2]).toBe(1);
  });
});

describe('when GC steps run', () => {
  it('5.3: one step per 64 KiB of usable bytes allocated, the overshoot dropped', () => {
    const t = makeModel('5.3');
    const tcOf = () => t.m.threads.get(0)!.tcache!;
    // 4 KiB blocks: 15 mallocs are 60 KiB, no step yet; the 16th reaches 64 KiB.
    for (let i = 0; i < 15; i++) alloc(t, 4096);
    expect(tcOf().nextGcBin).toBe(0);
    alloc(t, 4096);
    expect(tcOf().nextGcBin).toBe(1);
    // A 1 MiB malloc is one step however far past 64 KiB it goes; the count restarts from zero.
    const big = alloc(t, 1024 * 1024);
    expect(tcOf().nextGcBin).toBe(2);
    for (let i = 0; i < 15; i++) alloc(t, 4096);
    expect(tcOf().nextGcBin).toBe(2);
    // Freed bytes count apart: freeing the 1 MiB block is a step of its own.
    release(t, big);
    expect(tcOf().nextGcBin).toBe(3);
  });

  it('5.3: tcache_gc_incr_bytes sets the interval and tcache_gc=false turns GC off', () => {
    const t = makeModel('5.3', { tcache_gc_incr_bytes: 8192 });
    for (let i = 0; i < 4; i++) alloc(t, 4096);
    expect(t.m.threads.get(0)!.tcache!.nextGcBin).toBe(2);
    const off = makeModel('5.3', { tcache_gc: false });
    for (let i = 0; i < 100; i++) alloc(off, 4096);
    expect(off.m.threads.get(0)!.tcache!.nextGcBin).toBe(0);
  });

  it('5.1: a step every 229th thread-cache operation (TCACHE_GC_INCR 8192/36 + 1 = 228, ticker fires below zero)', () => {
    const t = makeModel('5.1');
    const blocks = Array.from({ length: 228 }, () => alloc(t, 64));
    expect(t.m.threads.get(0)!.tcache!.nextGcBin).toBe(0);
    release(t, blocks[0]!);
    expect(t.m.threads.get(0)!.tcache!.nextGcBin).toBe(1);
  });

  it('3.6: a step every 293rd thread-cache operation (8192/28 + 1), and none for huge blocks', () => {
    const t = makeModel('3');
    for (let i = 0; i < 292; i++) alloc(t, 64);
    // Huge (chunk) allocations bypass the thread cache: no event.
    alloc(t, 8 * 1024 * 1024);
    expect(t.m.threads.get(0)!.tcache!.nextGcBin).toBe(0);
    alloc(t, 64);
    expect(t.m.threads.get(0)!.tcache!.nextGcBin).toBe(1);
  });
});

describe('what GC changes in RSS', () => {
  it('returns idle cached blocks so that their slabs empty and their pages can be purged', () => {
    const withGc = makeModel('5.3', { dirty_decay_ms: 0 });
    const noGc = makeModel('5.3', { dirty_decay_ms: 0, tcache_gc: false });
    for (const t of [withGc, noGc]) {
      // 20 blocks of 4 KiB (one region per slab), all freed into the 4 KiB bin, which they fill.
      const blocks = Array.from({ length: 20 }, () => alloc(t, 4096));
      for (const b of blocks) release(t, b);
      // Then activity in other size classes only (64 KiB mallocs and frees: a GC step each).
      activity(t, 0, 50_000_000, 100_000);
    }
    // Without GC the 20 cached blocks pin 20 slabs (80 KiB) for ever.
    expect(noGc.m.retention().find((f) => f.kind === 'tcache')!.bytes).toBe(20 * 4096);
    // With GC the bin drained (20 → 5 → 1 → 0) and the emptied slabs were purged at once (decay 0).
    expect(withGc.m.retention().find((f) => f.kind === 'tcache')).toBeUndefined();
    expect(withGc.space.residentBytes).toBeLessThan(noGc.space.residentBytes - 19 * 4096);
  });
});

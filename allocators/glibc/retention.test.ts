import { describe, expect, it } from 'vitest';
import { PAGE, Program } from './test-support.ts';

describe('glibc retention findings', () => {
  it('splits free resident pages into trim-blocked, free-chunks and metadata, page by page', () => {
    const p = new Program();
    // Layout from the heap start: struct [0, 656), x [656, 20672), g [20672, 20784),
    // y [20784, 40800), g2 [40800, 40912), top from 40912.
    const x = p.malloc(20000); // 20016-byte chunk
    const g = p.malloc(100); // 112
    const y = p.malloc(20000);
    const g2 = p.malloc(100);
    expect(g2 - 16 - p.hs).toBe(40800);
    p.free(x);
    p.free(y); // 20016 > tcache and fastbin sizes: both go to the unsorted bin
    // Written pages: 0..9 (every byte up to 40912 was written) → 10 pages.
    expect(p.rss).toBe(10 * PAGE);
    const f = Object.fromEntries(p.m.retention().map((r) => [r.kind, r]));
    // y: pages starting in [20784, 40800) are 24576..36864; the last also holds g2 (live) → 3 pages.
    expect(f['trim-blocked']!.bytes).toBe(3 * PAGE);
    expect(f['trim-blocked']!.blockAddr).toBe(g2);
    // x lies below g, another live chunk: pages 4096..16384 (20480 holds g) → 4 pages, plain free chunks.
    expect(f['free-chunks']!.bytes).toBe(4 * PAGE);
    // Page 0 starts in the tcache struct and holds no live byte.
    expect(f['metadata']!.bytes).toBe(PAGE);
    // Top's pages were never written.
    expect(f['top-pad']).toBeUndefined();
    // Live pages: 20480 (g) and 36864 (g2).
    expect(p.m.account().liveBytes).toBe(2 * PAGE);
    expect(g).toBeGreaterThan(x);
  });

  it('reports tcache and fastbin chunks, and free memory held only by cached chunks at the top', () => {
    const p = new Program();
    const big = p.malloc(30000);
    const small = Array.from({ length: 9 }, () => p.malloc(40));
    p.free(big);
    for (const q of small) p.free(q); // 7 to tcache, 2 to fastbins; they sit between big and top
    const f = Object.fromEntries(p.m.retention().map((r) => [r.kind, r]));
    // No live chunk is left: the freed big chunk is kept from top only by cached chunks.
    expect(f['trim-blocked']!.blockAddr).toBeUndefined();
    expect(f['trim-blocked']!.text).toMatch(/parked in the tcache or fastbins/);
    expect(f['trim-blocked']!.bytes).toBeGreaterThanOrEqual(6 * PAGE);
    const total = p.m.retention().reduce((s, r) => s + r.bytes, 0);
    expect(total + p.m.account().liveBytes).toBe(p.rss);
    expect(p.m.account().liveBytes).toBe(0);
  });
});

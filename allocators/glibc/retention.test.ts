import { describe, expect, it } from 'vitest';
import { ChunkState, isBinned } from './chunk-store.ts';
import { TOP_REGION, heapSegments, walkSegment } from './heap-walk.ts';
import { PAGE, Program, prng } from './test-support.ts';

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

/**
 * accountHeap from its definition, page by page: a resident heap page is live
 * when it overlaps a live chunk; otherwise it belongs to the chunk holding its
 * first byte. Trim blocking as the findings describe it: scanning down from
 * top over free and cached chunks, the free ones met before the first live
 * chunk are held by cached chunks; the free ones in the run just below that
 * live chunk are held by it. A bookkeeping chunk ends either scan.
 */
function referenceAccount(p: Program): Record<string, number> {
  const out: Record<string, number> = { liveBytes: 0, topPad: 0, tcache: 0, fastbins: 0, metadata: 0, trimBlocked: 0, trimBlockedByCached: 0, freeChunks: 0, blockAddr: -1 };
  const isBook = (k: number): boolean => k === ChunkState.meta || k === ChunkState.fence;
  for (const seg of heapSegments(p.arena)) {
    const regions: { addr: number; size: number; kind: number }[] = [];
    walkSegment(p.arena, seg, (addr, size, kind) => regions.push({ addr, size, kind }));
    const byCached = new Set<number>();
    const byLive = new Set<number>();
    if (seg.holdsTop) {
      let i = regions.length - 2;
      while (i >= 0 && regions[i]!.kind !== ChunkState.inUse && !isBook(regions[i]!.kind)) {
        if (isBinned(regions[i]!.kind)) byCached.add(i);
        i--;
      }
      if (i >= 0 && regions[i]!.kind === ChunkState.inUse) {
        for (let j = i - 1; j >= 0 && regions[j]!.kind !== ChunkState.inUse && !isBook(regions[j]!.kind); j--) {
          if (isBinned(regions[j]!.kind)) byLive.add(j);
        }
        if (byLive.size > 0) out.blockAddr = regions[i]!.addr + 16;
      }
    }
    for (let page = seg.start; page < seg.end; page += PAGE) {
      if (p.space.residentPagesIn(page, PAGE) === 0) continue;
      if (regions.some((g) => g.kind === ChunkState.inUse && g.addr < page + PAGE && g.addr + g.size > page)) {
        out.liveBytes! += PAGE;
        continue;
      }
      const i = regions.findIndex((g) => g.addr <= page && page < g.addr + g.size);
      const kind = regions[i]!.kind;
      const key =
        kind === TOP_REGION ? 'topPad'
        : kind === ChunkState.tcache ? 'tcache'
        : kind === ChunkState.fast ? 'fastbins'
        : isBook(kind) ? 'metadata'
        : byCached.has(i) ? 'trimBlockedByCached'
        : byLive.has(i) ? 'trimBlocked'
        : 'freeChunks';
      out[key]! += PAGE;
    }
  }
  return out;
}

describe('glibc heap account', () => {
  it('matches the page-by-page definition on random traffic', () => {
    for (const seed of [3, 8]) {
      const p = new Program();
      const rand = prng(seed);
      const held: number[] = [];
      for (let step = 1; step <= 3000; step++) {
        if (held.length > 0 && rand() < 0.45) {
          p.free(held.splice(Math.floor(rand() * held.length), 1)[0]!);
        } else {
          // Below the mmap threshold, so that every live byte is in the heap.
          const r = rand();
          held.push(p.malloc(r < 0.5 ? 1 + Math.floor(rand() * 150) : r < 0.9 ? 1 + Math.floor(rand() * 6000) : 1 + Math.floor(rand() * 100_000)));
        }
        if (step % 997 === 0) p.m.trim();
        if (step % 250 === 0) {
          const acc = p.m.account();
          const want = referenceAccount(p);
          const got: Record<string, number> = { blockAddr: acc.blockAddr };
          for (const key of Object.keys(want)) if (key !== 'blockAddr') got[key] = acc[key as keyof typeof acc];
          expect(got).toEqual(want);
          expect(acc.mmapSlack).toBe(0);
        }
      }
    }
  });
});

import { describe, expect, it } from 'vitest';
import { ChunkState } from './chunk-store.ts';
import { PAGE, Program } from './test-support.ts';

describe('glibc heap start', () => {
  it('puts the 656-byte tcache_perthread_struct first in 2.35', () => {
    const p = new Program('2.35');
    // tcache_init mallocs 640 bytes (uint16 counts[64] + 64 pointers) → chunk 656; the user chunk follows.
    expect(p.malloc(1)).toBe(p.hs + 656 + 16);
    // First sbrk: 656 + top_pad 131072 + MINSIZE 32 = 131760 → 33 pages.
    expect(p.space.brk - p.hs).toBe(33 * PAGE);
    // Only the first page was written (struct cleared, headers, the 1 byte).
    expect(p.rss).toBe(PAGE);
  });

  it('uses a 592-byte struct chunk in 2.26 and none in 2.23', () => {
    expect(new Program('2.26').malloc(1) - new Program('2.26').hs).toBe(592 + 16); // char counts: 64 + 512 = 576 → 592
    const old = new Program('2.23');
    expect(old.malloc(1)).toBe(old.hs + 16);
  });
});

describe('glibc tcache and fastbins', () => {
  it('reuses tcache chunks last-in first-out', () => {
    const p = new Program();
    const a = p.malloc(40);
    const b = p.malloc(40);
    p.malloc(40); // keeps b away from top
    p.free(a);
    p.free(b);
    expect(p.malloc(40)).toBe(b);
    expect(p.malloc(40)).toBe(a);
  });

  it('sends the 8th and later frees of a size to the fastbin, and stashes the fastbin rest into tcache on reuse', () => {
    const p = new Program();
    const ptrs = Array.from({ length: 9 }, () => p.malloc(40)); // 48-byte chunks
    p.malloc(200); // guard against top
    for (const q of ptrs) p.free(q);
    const c = p.arena.c;
    const stateOf = (u: number): number => c.stateOf(c.at(u - 16));
    // tcache holds 7 (tcache_count), the rest are fastbin chunks.
    expect(ptrs.slice(0, 7).map(stateOf)).toEqual(Array(7).fill(ChunkState.tcache));
    expect(ptrs.slice(7).map(stateOf)).toEqual([ChunkState.fast, ChunkState.fast]);
    // tcache pops ptrs[6]..ptrs[0]; then the fastbin head ptrs[8], whose
    // fastbin neighbour ptrs[7] moves to tcache and comes next.
    const got = Array.from({ length: 9 }, () => p.malloc(40));
    expect(got).toEqual([...ptrs.slice(0, 7).reverse(), ptrs[8], ptrs[7]]);
  });

  it('never coalesces tcache or fastbin chunks', () => {
    const p = new Program();
    const ptrs = Array.from({ length: 9 }, () => p.malloc(40));
    const guard = p.malloc(16);
    for (const q of ptrs) p.free(q);
    // Coalesced, the nine 48-byte chunks would hold a 208-byte chunk; kept apart, it comes from top.
    const big = p.malloc(200);
    expect(big).toBeGreaterThan(guard);
    expect(p.m.check()).toEqual([]);
  });
});

describe('glibc bins', () => {
  it('coalesces a freed chunk with free neighbours on both sides', () => {
    const p = new Program();
    // Fill tcache for the 208-byte size so the frees below reach the bins.
    const fill = Array.from({ length: 7 }, () => p.malloc(200));
    const a = p.malloc(200);
    const b = p.malloc(200);
    const cc = p.malloc(200);
    p.malloc(16); // guard
    for (const q of fill) p.free(q);
    p.free(a);
    p.free(cc);
    p.free(b); // joins a (before) and cc (after): one 3 × 208 = 624-byte chunk
    const arena = p.arena;
    const r = arena.c.at(a - 16);
    expect(arena.c.stateOf(r)).toBe(ChunkState.unsorted);
    expect(arena.c.sizeOf(r)).toBe(624);
    // malloc(600): nb 608 → the 624-byte chunk, too small to split (16 < MINSIZE).
    expect(p.malloc(600)).toBe(a);
    expect(p.m.usableSize(a)).toBe(624 - 8);
  });

  it('carves consecutive small requests from the last remainder instead of a better-fitting binned chunk', () => {
    const p = new Program('2.35', { tcache_count: 0 });
    const x = p.malloc(1992); // 2000-byte chunk
    p.malloc(16);
    const y = p.malloc(150); // 160-byte chunk
    p.malloc(16);
    p.free(y);
    p.malloc(3000); // a large request files y into small bin 10 and is served from top
    p.free(x);
    // malloc(200): nb 208 > 160, so the binmap finds x's bin; the 1792-byte rest becomes the last remainder.
    expect(p.malloc(200)).toBe(x);
    // malloc(100): nb 112; y (160) would be the best fit, but the last remainder is the only unsorted chunk.
    expect(p.malloc(100)).toBe(x + 208);
    expect(p.malloc(100)).toBe(x + 208 + 112);
    expect(p.m.check()).toEqual([]);
  });

  it('takes the best fit in a large bin, and the second chunk of equal size', () => {
    const p = new Program();
    const sizes = [3500, 3200, 3400, 3200]; // chunk sizes, all in large bin 97
    const ptrs = sizes.map((s) => {
      const q = p.malloc(s - 8);
      p.malloc(16);
      return q;
    });
    for (const q of ptrs) p.free(q);
    // malloc(3144): nb 3152. The scan files 3500, 3200 (first), 3400, 3200 (second) into bin 97;
    // best fit is 3200, and of the two the one in second position: the later-filed ptrs[3].
    expect(p.malloc(3144)).toBe(ptrs[3]);
    expect(p.malloc(3144)).toBe(ptrs[1]);
    expect(p.malloc(3144)).toBe(ptrs[2]); // next best: 3400
    expect(p.m.check()).toEqual([]);
  });

  function fastThenFree(bigRequest: number): { p: Program; f1: number } {
    const p = new Program();
    const fill = Array.from({ length: 7 }, () => p.malloc(40));
    const f1 = p.malloc(40);
    const f2 = p.malloc(40);
    p.malloc(300); // guard
    const big = p.malloc(bigRequest);
    p.malloc(300); // guard: big does not join top
    for (const q of fill) p.free(q); // tcache(48) full
    p.free(f1);
    p.free(f2); // both in fastbin 1
    p.free(big);
    return { p, f1 };
  }

  it('consolidates fastbins when a free makes a chunk of at least 64 KiB', () => {
    // big: 70000 → 70016-byte chunk ≥ 65536 → malloc_consolidate merges f1 and f2 into one 96-byte chunk.
    const { p, f1 } = fastThenFree(70000);
    expect(p.arena.bins.haveFastChunks).toBe(false);
    // malloc(80): nb 96, an exact fit in unsorted.
    expect(p.malloc(80)).toBe(f1);
  });

  it('leaves fastbins alone below 64 KiB', () => {
    // big: 60000 → 60016 < 65536: no consolidation, f1 and f2 stay 48-byte fastbin chunks.
    const { p, f1 } = fastThenFree(60000);
    expect(p.arena.bins.haveFastChunks).toBe(true);
    expect(p.malloc(80)).not.toBe(f1);
  });

  it('consolidates fastbins before serving a large request', () => {
    const p = new Program('2.23'); // no tcache: 48-byte chunks go straight to fastbins
    const a = p.malloc(40);
    const b = p.malloc(40);
    p.malloc(40);
    p.free(a);
    p.free(b);
    // malloc(1500): nb 1520 is large, so fastbins are consolidated first; a+b (96) is filed, then top serves.
    p.malloc(1500);
    expect(p.arena.bins.haveFastChunks).toBe(false);
    const r = p.arena.c.at(a - 16);
    expect(p.arena.c.sizeOf(r)).toBe(96);
    expect(p.arena.c.stateOf(r)).toBe(ChunkState.small);
  });

  it('takes small-bin chunks oldest first', () => {
    const p = new Program('2.35', { tcache_count: 0 });
    const a = p.malloc(200);
    p.malloc(16);
    const b = p.malloc(200);
    p.malloc(16);
    p.free(a);
    p.free(b);
    // A large request files the unsorted chunks: a first, then b, each at the front of bin 13.
    p.malloc(2000);
    expect(p.arena.c.stateOf(p.arena.c.at(a - 16))).toBe(ChunkState.small);
    // malloc takes the bin's last chunk: a (filed first), then b.
    expect(p.malloc(200)).toBe(a);
    expect(p.malloc(200)).toBe(b);
  });

  it('stashes exact fits from the unsorted scan into tcache and returns the last one stashed', () => {
    const p = new Program();
    const fill = Array.from({ length: 7 }, () => p.malloc(200));
    const a = p.malloc(200);
    p.malloc(16);
    const b = p.malloc(200);
    p.malloc(16);
    for (const q of fill) p.free(q); // tcache(208) full
    p.free(a);
    p.free(b); // both to unsorted
    for (let i = 0; i < 7; i++) p.malloc(200); // empties tcache
    // The scan meets a (oldest) then b: both exact fits go to tcache, then tcache's top (b) is returned.
    expect(p.malloc(200)).toBe(b);
    expect(p.malloc(200)).toBe(a);
  });

  it('stops the unsorted scan after 10000 chunks', () => {
    const p = new Program('2.35', { tcache_count: 0 });
    const ptrs: number[] = [];
    for (let i = 0; i < 10001; i++) {
      ptrs.push(p.malloc(200));
      p.malloc(16);
    }
    for (const q of ptrs) p.free(q);
    p.malloc(3000); // no exact fit: each scanned chunk is filed, 10000 of them, then the scan gives up
    const bins = p.arena.bins;
    const left = bins.first[1]!;
    expect(left).not.toBe(-1);
    expect(p.arena.c.fdOf(left)).toBe(-1); // exactly one chunk left in unsorted: the last freed
    expect(p.arena.c.addrOf(left)).toBe(ptrs[10000]! - 16);
  });
});

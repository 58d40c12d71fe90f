import { describe, expect, it } from 'vitest';
import { ChunkState } from './chunk-store.ts';
import { PAGE, Program } from './test-support.ts';

describe('glibc realloc', () => {
  it('grows in place into top', () => {
    const p = new Program();
    const a = p.malloc(1000);
    const topBefore = p.arena.topAddr;
    expect(p.realloc(a, 5000)).toBe(a);
    // The chunk is now request2size(5000) = 5008 and top starts right after it.
    expect(p.m.usableSize(a)).toBe(5000);
    expect(p.arena.topAddr).toBe(a - 16 + 5008);
    expect(p.arena.topAddr - topBefore).toBe(5008 - 1008);
  });

  it('moves when the next chunk is live, copying and freeing the old chunk', () => {
    const p = new Program();
    const a = p.malloc(1000);
    p.malloc(1000);
    const b = p.realloc(a, 5000);
    expect(b).not.toBe(a);
    // The old 1008-byte chunk went to tcache (bin (1008 − 17) / 16 = 61 < 64).
    expect(p.arena.c.stateOf(p.arena.c.at(a - 16))).toBe(ChunkState.tcache);
    expect(p.malloc(1000)).toBe(a);
  });

  it('grows in place into a free next chunk and frees the rest', () => {
    const p = new Program();
    const a = p.malloc(1000); // 1008
    const b = p.malloc(3000); // 3008, too big for tcache
    p.malloc(16);
    p.free(b);
    // nb 2512 ≤ 1008 + 3008: keep a, split the 1504-byte rest off and free it (to unsorted).
    expect(p.realloc(a, 2500)).toBe(a);
    expect(p.m.usableSize(a)).toBe(2512 - 8);
    const rest = p.arena.c.at(a - 16 + 2512);
    expect(p.arena.c.sizeOf(rest)).toBe(1504);
    expect(p.arena.c.stateOf(rest)).toBe(ChunkState.unsorted);
    expect(p.m.check()).toEqual([]);
  });

  it('shrinks in place and frees a remainder of at least MINSIZE', () => {
    const p = new Program();
    const a = p.malloc(5000); // 5008
    p.malloc(16);
    expect(p.realloc(a, 1000)).toBe(a);
    expect(p.m.usableSize(a)).toBe(1000); // 1008 − 8
    // The 4000-byte rest is free in unsorted; malloc(3990) (nb 4000) is its exact fit.
    expect(p.malloc(3990)).toBe(a + 1008);
    // A shrink by less than MINSIZE keeps the chunk as it is.
    const b = p.malloc(100); // 112
    p.malloc(16);
    expect(p.realloc(b, 90)).toBe(b); // nb 112 - 0: no change
    expect(p.m.usableSize(b)).toBe(104);
  });

  it('treats realloc to 0 bytes as a shrink to a minimum chunk (the id stays live in the trace)', () => {
    const p = new Program();
    const a = p.malloc(500);
    p.malloc(16);
    expect(p.realloc(a, 0)).toBe(a);
    expect(p.m.usableSize(a)).toBe(24); // MINSIZE 32 − 8
    p.free(a);
    expect(p.m.check()).toEqual([]);
  });

  it('joins the next chunk when malloc hands it back after growing top', () => {
    const p = new Program('2.35', { mmap_threshold: 1 << 20 }); // keep the grown chunk on the heap
    const a = p.malloc(1000); // 1008, right below top
    const topSize = p.arena.topSize;
    // nb = 1008 + top: top cannot take it (needs nb + MINSIZE), so _int_malloc(nb) runs sysmalloc,
    // which extends top and splits the new chunk at top's start, the chunk right after a.
    // realloc joins the two (1008 + nb) and frees the 1008-byte excess, which lands in tcache.
    expect(p.realloc(a, 1000 + topSize)).toBe(a);
    expect(p.m.usableSize(a)).toBe(1008 + topSize - 8);
    const excess = p.arena.c.at(a - 16 + 1008 + topSize);
    expect(p.arena.c.sizeOf(excess)).toBe(1008);
    expect(p.arena.c.stateOf(excess)).toBe(ChunkState.tcache);
    expect(p.m.check()).toEqual([]);
  });
});

describe('glibc memalign', () => {
  it('returns an aligned chunk and frees the spare lead and tail', () => {
    const p = new Program();
    p.malloc(1);
    const q = p.memalign(4096, 100);
    expect(q % 4096).toBe(0);
    expect(p.m.usableSize(q)).toBeGreaterThanOrEqual(100);
    expect(p.m.usableSize(q)).toBeLessThan(100 + 32 + 8);
    expect(p.m.check()).toEqual([]);
    // The leading part (from the end of the first chunk to q − 16) is a free chunk now.
    const lead = p.arena.c.at(p.hs + 656 + 32);
    expect(p.arena.c.addrOf(lead) + p.arena.c.sizeOf(lead)).toBe(q - 16);
    expect(p.arena.c.stateOf(lead)).not.toBe(ChunkState.inUse);
  });

  it('aligns mmapped chunks by moving the chunk inside the mapping', () => {
    const p = new Program();
    const q = p.memalign(65536, 300000);
    expect(q % 65536).toBe(0);
    const mapped = p.space.mappedBytes;
    p.free(q);
    // nb 300016 + 65536 + 32 → request2size → 365600; mapping ALIGN_UP(365608, 4096) = 90 pages.
    expect(mapped - p.space.mappedBytes).toBe(90 * PAGE);
  });

  it('passes small alignments to malloc', () => {
    const p = new Program();
    expect(p.memalign(16, 10)).toBe(p.hs + 656 + 16);
  });
});

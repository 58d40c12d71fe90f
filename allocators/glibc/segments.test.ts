import { describe, expect, it } from 'vitest';
import { ChunkState } from './chunk-store.ts';
import { PAGE, Program } from './test-support.ts';

describe('glibc when brk cannot grow', () => {
  it('falls back to an mmapped heap segment of at least 1 MiB and fences the old top', () => {
    const heapStart = 0x10000000;
    // A barrier 1 MiB above the heap start: brk can grow to 1 MiB and no further.
    const p = new Program('2.35', {}, {
      bits: 32,
      heapStart,
      reserved: [{ start: heapStart + (1 << 20), length: 1 << 20, name: 'barrier' }],
    });
    const blocks: number[] = [];
    for (let i = 0; i < 12; i++) blocks.push(p.malloc(100000)); // 100016-byte chunks, below the mmap threshold
    expect(blocks.every((b) => b !== 0)).toBe(true);
    const arena = p.arena;
    expect(arena.contiguous).toBe(false);
    expect(arena.mmapSegments.length).toBe(1);
    const seg = arena.mmapSegments[0]!;
    // sysmalloc asked for nb + top_pad + MINSIZE − old top, rounded; the fallback adds the old top back
    // and maps at least MMAP_AS_MORECORE_SIZE.
    expect(seg.end - seg.start).toBeGreaterThanOrEqual(1 << 20);
    expect(p.space.brk).toBeLessThanOrEqual(heapStart + (1 << 20));
    // The old top ends in two 16-byte in-use fenceposts at the old break.
    const f2 = arena.c.at(p.space.brk - 16);
    const f1 = arena.c.at(p.space.brk - 32);
    expect(arena.c.stateOf(f1)).toBe(ChunkState.fence);
    expect(arena.c.stateOf(f2)).toBe(ChunkState.fence);
    expect(p.m.check()).toEqual([]);
    // Freeing everything never trims the mmapped segment (top is not at the break).
    for (const b of blocks) p.free(b);
    expect(p.m.check()).toEqual([]);
    expect(p.space.mappedBytes).toBeGreaterThanOrEqual(seg.end - seg.start);
    const sum = p.m.retention().reduce((s, f) => s + f.bytes, 0);
    expect(sum + p.m.account().liveBytes).toBe(p.rss);
    expect(p.rss % PAGE).toBe(0);
  });

  it('returns 0 when neither brk nor mmap can serve the request', () => {
    const p = new Program('2.35', {}, { bits: 32, userSpaceBytes: 2 * 1024 ** 3 });
    // 3 GiB cannot fit in a 2 GiB user space.
    expect(p.malloc(3 * 1024 ** 3)).toBe(0);
    expect(p.m.check()).toEqual([]);
  });
});

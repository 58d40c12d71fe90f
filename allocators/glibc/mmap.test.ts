import { describe, expect, it } from 'vitest';
import { PAGE, Program } from './test-support.ts';

describe('glibc mmapped chunks and the dynamic threshold', () => {
  it('maps malloc(200000) as 49 pages and raises the thresholds when it is freed', () => {
    const p = new Program();
    const heapMapped = p.space.mappedBytes; // nothing yet
    const big = p.malloc(200000);
    // nb = 200016 ≥ 131072 → mmap ALIGN_UP(200016 + 8, 4096) = 49 pages = 200704 bytes;
    // tcache_init first grew the heap by 33 pages.
    expect(p.space.mappedBytes - heapMapped).toBe(33 * PAGE + 200704);
    expect(big % PAGE).toBe(16);
    expect(p.m.usableSize(big)).toBe(200704 - 16);
    const rssBefore = p.rss;
    p.free(big);
    // The whole mapping leaves RSS at once (200000 + 16 bytes written = 49 pages).
    expect(rssBefore - p.rss).toBe(49 * PAGE);
    // size|IS_MMAPPED = 200706 > 131072 and ≤ 32 MiB → mmap_threshold = 200704, trim_threshold = 401408.
    expect(p.arena.mmapThreshold).toBe(200704);
    expect(p.arena.trimThreshold).toBe(401408);
    // malloc(150000): nb 150016 < 200704, so sysmalloc grows the heap instead: the chunk
    // follows the 656-byte struct at the low end of top.
    expect(p.malloc(150000)).toBe(p.hs + 656 + 16);
  });

  it('does not raise the threshold for a chunk of exactly 32 MiB (the size word carries IS_MMAPPED)', () => {
    const p = new Program();
    // nb = 33554416 → mapping ALIGN_UP(33554424, 4096) = 32 MiB; 32 MiB + 2 > DEFAULT_MMAP_THRESHOLD_MAX.
    p.free(p.malloc(32 * 1024 * 1024 - 24));
    expect(p.arena.mmapThreshold).toBe(131072);
    // One page less: 32 MiB − 4096 + 2 ≤ 32 MiB → raised.
    p.free(p.malloc(32 * 1024 * 1024 - 4096 - 24));
    expect(p.arena.mmapThreshold).toBe(32 * 1024 * 1024 - 4096);
  });

  it('keeps the thresholds fixed when they were set (as mallopt does)', () => {
    const p = new Program('2.35', { mmap_threshold: 256 * 1024 });
    const big = p.malloc(300000);
    expect(big % PAGE).toBe(16); // 300016 ≥ 262144 → mmapped
    p.free(big);
    expect(p.arena.mmapThreshold).toBe(256 * 1024);
    const q = new Program('2.35', { dyn_threshold: false });
    q.free(q.malloc(200000));
    expect(q.arena.mmapThreshold).toBe(131072);
  });

  it('never mmaps chunks with mmap_max 0', () => {
    const p = new Program('2.35', { mmap_max: 0 });
    expect(p.malloc(1 << 20)).toBe(p.hs + 656 + 16);
  });

  it('resizes mmapped chunks with mremap and leaves the threshold alone', () => {
    const p = new Program();
    const big = p.malloc(200000);
    const mapped = p.space.mappedBytes;
    // nb 400016 → ALIGN_UP(400016 + 8, 4096) = 98 pages; the space above the top-most mapping is free, so it grows in place.
    const grown = p.realloc(big, 400000);
    expect(grown).toBe(big);
    expect(p.space.mappedBytes - mapped).toBe(98 * PAGE - 49 * PAGE);
    expect(p.arena.mmapThreshold).toBe(131072);
    // Shrinking to 5000 keeps the chunk mmapped: ALIGN_UP(5016 + 8, 4096) = 2 pages.
    const shrunk = p.realloc(grown, 5000);
    expect(shrunk).toBe(big);
    expect(p.space.mappedBytes - mapped).toBe(2 * PAGE - 49 * PAGE);
    expect(p.m.usableSize(shrunk)).toBe(2 * PAGE - 16);
    // Freeing the 2-page chunk: 8194 ≤ 131072, no raise.
    p.free(shrunk);
    expect(p.arena.mmapThreshold).toBe(131072);
  });

  it('moves a remapped chunk when a neighbour blocks it, keeping its resident pages', () => {
    const p = new Program();
    const a = p.malloc(200000); // top-most mapping
    const b = p.malloc(200000); // directly below a
    const rssBefore = p.rss;
    const moved = p.realloc(b, 400000);
    expect(moved).not.toBe(b);
    expect(moved).not.toBe(0);
    // Old 49 resident pages moved along; the realloc writes 400000 bytes → 98 pages in all.
    expect(p.rss - rssBefore).toBe(98 * PAGE - 49 * PAGE);
    p.free(a);
    p.free(moved);
  });
});

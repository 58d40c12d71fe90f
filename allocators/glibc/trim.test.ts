import { describe, expect, it } from 'vitest';
import { alignDown, alignUp } from './constants.ts';
import { PAGE, Program } from './test-support.ts';

describe('glibc trim: seed 001 (frag.py, big/small interleaving)', () => {
  const N = 100000;
  const BIG = 5037; // 5056-byte chunks: 100000 × 5056 ≈ 482 MiB

  it('keeps RSS when one small block sits above the freed big ones, and names that block', () => {
    const p = new Program();
    const big = Array.from({ length: N }, () => p.malloc(BIG));
    const small = p.malloc(48);
    const peak = p.rss;
    expect(peak).toBeGreaterThan(N * 5056);
    for (const q of big) p.free(q);
    // Every free coalesces with the chunk before; the run never reaches top because of `small`.
    expect(p.rss).toBeGreaterThanOrEqual(0.9 * peak);
    const findings = p.m.retention();
    const blocked = findings.find((f) => f.kind === 'trim-blocked');
    expect(blocked?.blockAddr).toBe(small);
    expect(blocked!.bytes).toBeGreaterThanOrEqual(0.9 * peak);
    expect(blocked!.text).toMatch(/MiB of free heap memory sits below a live 56 B chunk/);
    // Every resident byte is accounted for: findings + live pages = RSS.
    const sum = findings.reduce((s, f) => s + f.bytes, 0);
    expect(sum + p.m.account().liveBytes).toBe(p.rss);
    expect(p.m.check()).toEqual([]);
  });

  it('gives the memory back when nothing sits above it: top is trimmed to top_pad', () => {
    const p = new Program();
    const big = Array.from({ length: N }, () => p.malloc(BIG));
    const total = p.arena.topAddr + p.arena.topSize - (p.hs + 656); // everything after the struct
    for (const q of big) p.free(q);
    // The last free joins everything into top (size `total`); systrim(top_pad) releases
    // ALIGN_DOWN(total − 32 − 1 − 131072, 4096) and top keeps the rest.
    const kept = total - alignDown(total - 33 - 131072, PAGE);
    expect(p.arena.topSize).toBe(kept);
    expect(p.space.brk - p.hs).toBe(656 + kept);
    // All of it was written before, so every page below brk is still resident: about top_pad + the struct.
    expect(p.rss).toBe(alignUp(656 + kept, PAGE));
    expect(p.rss).toBeLessThanOrEqual(131072 + 2 * PAGE);
    const kinds = p.m.retention().map((f) => f.kind);
    expect(kinds).toEqual(['top-pad', 'metadata']);
  });
});

describe('glibc systrim and malloc_trim', () => {
  it('trims only when top reaches trim_threshold after a free of at least 64 KiB', () => {
    const p = new Program('2.35', { trim_threshold: 64 * PAGE }); // 256 KiB
    // Heap: 33 pages after tcache_init, top 135168 − 656 = 134512.
    const a = p.malloc(100000); // nb 100016 from top: top 34496
    // b: top too small → sbrk(ALIGN_UP(100016 + 131072 + 32 − 34496)) = 200704; top 235200 → 135184 after the split.
    const b = p.malloc(100000);
    const brk = p.space.brk;
    expect(brk - p.hs).toBe(135168 + 200704);
    p.free(b); // joins top: 235200 < 262144, no trim
    expect(p.arena.topSize).toBe(235200);
    expect(p.space.brk).toBe(brk);
    p.free(a); // top 335216 ≥ 262144 → extra = ALIGN_DOWN(335216 − 33 − 131072, 4096) = 200704
    expect(p.arena.topSize).toBe(335216 - 200704);
    expect(p.space.brk).toBe(brk - 200704);
  });

  it('malloc_trim releases the page-aligned interior of a big free chunk in the middle of the heap', () => {
    const p = new Program();
    const blocks = Array.from({ length: 10 }, () => p.malloc(100000)); // 100016-byte chunks on the heap
    p.malloc(16); // guard: nothing reaches top
    for (const q of blocks.slice(2, 7)) p.free(q);
    const arena = p.arena;
    const r = arena.c.at(blocks[2]! - 16);
    const chunk = arena.c.addrOf(r);
    const size = arena.c.sizeOf(r);
    expect(size).toBe(5 * 100016);
    const rssBefore = p.rss;
    const brkBefore = p.space.brk;
    const topTrimmed = p.space.residentPagesIn(p.space.brk - alignDown(arena.topSize - 33, PAGE), alignDown(arena.topSize - 33, PAGE));
    p.m.trim();
    // madvise from ALIGN_UP(chunk + 48) for ALIGN_DOWN(rest, page) bytes.
    const from = alignUp(chunk + 48, PAGE);
    const len = alignDown(chunk + size - from, PAGE);
    expect(p.space.residentPagesIn(from, len)).toBe(0);
    expect(p.space.isResident(chunk)).toBe(true); // the header page stays
    expect(rssBefore - p.rss).toBe(len + topTrimmed * PAGE);
    // malloc_trim(0) then trims top down to less than a page above MINSIZE.
    expect(p.space.brk).toBeLessThan(brkBefore);
    expect(arena.topSize).toBeLessThan(PAGE + 33);
    // Live blocks are untouched.
    expect(p.space.residentPagesIn(blocks[0]!, 100000)).toBe(Math.floor((blocks[0]! + 99999) / PAGE) - Math.floor(blocks[0]! / PAGE) + 1);
    expect(p.m.check()).toEqual([]);
  });
});

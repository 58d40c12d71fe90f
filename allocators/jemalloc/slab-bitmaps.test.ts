// Bitmap storage for slabs: sizes follow the region count, released bitmaps
// are reused by size, and growing the word array keeps every live bitmap.
import { describe, expect, it } from 'vitest';
import { lgWordsFor, SlabBitmaps } from './slab-bitmaps.ts';

describe('lgWordsFor', () => {
  it('rounds the words a slab needs up to a power of two', () => {
    // 32 regions fit one word; 33 need two; 512 (the 8-byte class) need sixteen.
    expect([1, 32, 33, 64, 65, 128, 129, 256, 512].map(lgWordsFor)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4]);
    expect(() => lgWordsFor(513)).toThrow(/513 regions/);
  });
});

describe('SlabBitmaps', () => {
  it('hands out disjoint ranges, reuses released ones of the same size only, and keeps contents when it grows', () => {
    const bm = new SlabBitmaps();
    const a = bm.take(0);
    const b = bm.take(4);
    const c = bm.take(1);
    // Disjoint: [a, a+1), [b, b+16), [c, c+2).
    const ranges = [
      [a, a + 1],
      [b, b + 16],
      [c, c + 2],
    ].sort((x, y) => x[0]! - y[0]!);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBeGreaterThanOrEqual(ranges[i - 1]![1]!);
    bm.release(b, 4);
    // A one-word request does not take the released 16-word bitmap; a 16-word one does.
    const d = bm.take(0);
    expect(d).not.toBe(b);
    expect(bm.take(4)).toBe(b);
    // Fill a bitmap, then force growth well past the initial 1024 words: the contents survive.
    bm.words[c] = 0xdeadbeef;
    bm.words[c + 1] = 0x12345678;
    const taken: number[] = [];
    for (let i = 0; i < 500; i++) taken.push(bm.take(4));
    expect(bm.words.length).toBeGreaterThanOrEqual(500 * 16);
    expect(bm.words[c]).toBe(0xdeadbeef);
    expect(bm.words[c + 1]).toBe(0x12345678);
    expect(new Set(taken).size).toBe(500);
    // Released bitmaps come back last in, first out.
    bm.release(taken[3]!, 4);
    bm.release(taken[7]!, 4);
    expect(bm.take(4)).toBe(taken[7]);
    expect(bm.take(4)).toBe(taken[3]);
  });
});

import { describe, expect, it } from 'vitest';
import { mapBias } from './config.ts';
import {
  jemalloc3SmallClasses,
  jemalloc5LargeUsize,
  jemalloc5SmallClasses,
  pszCeilIndex,
  pszFloorIndex,
  pszSize,
  SmallClassTable,
  slabBytesFor,
} from './size-classes.ts';

const K = 1024;

describe('jemalloc 5 size classes (sc.c formula)', () => {
  const classes = jemalloc5SmallClasses();

  it('has 36 small classes ending at SC_SMALL_MAXCLASS 14336', () => {
    expect(classes).toHaveLength(36);
    expect(classes[classes.length - 1]!.size).toBe(14336); // 2^13 + 3·2^11
    expect(classes.map((c) => c.size)).toEqual([
      8, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560,
      3072, 3584, 4096, 5120, 6144, 7168, 8192, 10240, 12288, 14336,
    ]);
  });

  it('gives the slab sizes and region counts of allocator-models.md §2.2', () => {
    // [region, slab KiB, nregs] straight from the spec table.
    const table: [number, number, number][] = [
      [8, 4, 512], [16, 4, 256], [32, 4, 128], [48, 12, 256], [64, 4, 64], [80, 20, 256], [96, 12, 128], [112, 28, 256], [128, 4, 32],
      [160, 20, 128], [192, 12, 64], [224, 28, 128], [256, 4, 16], [320, 20, 64], [384, 12, 32], [448, 28, 64], [512, 4, 8],
      [640, 20, 32], [768, 12, 16], [896, 28, 32], [1024, 4, 4], [1280, 20, 16], [1536, 12, 8], [1792, 28, 16], [2048, 4, 2],
      [2560, 20, 8], [3072, 12, 4], [3584, 28, 8], [4096, 4, 1], [5120, 20, 4], [6144, 12, 2], [7168, 28, 4], [8192, 8, 1],
      [10240, 20, 2], [12288, 12, 1], [14336, 28, 2],
    ];
    expect(classes.map((c) => [c.size, c.slabBytes / K, c.nregs])).toEqual(table);
  });

  it('maps requests to the smallest class that holds them', () => {
    const t = new SmallClassTable(classes);
    const size = (n: number): number => classes[t.indexOf(n)]!.size;
    expect([size(0), size(1), size(8), size(9), size(100), size(112), size(113), size(5037), size(14336)]).toEqual([
      8, 8, 8, 16, 112, 112, 128, 5120, 14336,
    ]);
  });

  it('continues the series for large classes from 16 KiB', () => {
    expect([16385, 20480, 20481, 32769, 40961, 1_000_000].map(jemalloc5LargeUsize)).toEqual([
      20480, 20480, 24576, 40960, 49152,
      // 1e6 lies in (2^19, 2^20]: step 2^17 → 2^19 + 4·2^17 = 1048576
      1048576,
    ]);
    expect(jemalloc5LargeUsize(100)).toBe(16384);
  });

  it('numbers the page-size classes 4K, 8K, 12K, 16K, 20K, ... and quantizes floor and ceil', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map(pszSize)).toEqual([4, 8, 12, 16, 20, 24, 28, 32, 40].map((k) => k * K));
    // 36 KiB is no class: ceil → 40 KiB (index 8), floor → 32 KiB (index 7).
    expect(pszCeilIndex(36 * K)).toBe(8);
    expect(pszFloorIndex(36 * K)).toBe(7);
    expect(pszSize(pszCeilIndex(2 * 1024 * K))).toBe(2 * 1024 * K);
    // The class after 2 MiB is 2.5 MiB (exp_grow's second mapping).
    expect(pszSize(pszCeilIndex(2 * 1024 * K) + 1)).toBe(2.5 * 1024 * K);
  });

  it('finds the slab size as the least page multiple the region divides', () => {
    expect(slabBytesFor(112)).toBe(28 * K); // 112 = 16·7: 7 pages
    expect(slabBytesFor(4096)).toBe(4 * K);
  });
});

describe('jemalloc 3.6 size classes (size_classes.sh, LG_QUANTUM 4)', () => {
  it('has 28 small classes: 8, 16..64 by 16, then four per doubling to 3584', () => {
    const sizes = jemalloc3SmallClasses().map((c) => c.size);
    expect(sizes).toEqual([
      8, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560,
      3072, 3584,
    ]);
  });

  it('reserves 6 header pages per 4 MiB chunk (map_bias with 24-byte map entries)', () => {
    // pass 1: 64 + 24·1024 = 24640 → 7 pages; pass 2: 64 + 24·1017 = 24472 → 6; pass 3: 64 + 24·1018 = 24496 → 6.
    expect(mapBias(4 * 1024 * K)).toBe(6);
  });
});

import { describe, expect, it } from 'vitest';
import { CPYTHON_27, CPYTHON_27_I386, CPYTHON_311, dictLog2ForItems, listFitsWithoutResize, listGrowth27, listGrowth39 } from './cpython-sizes.ts';

/** `allocated` after each append that reallocates, starting from an empty list. */
function appendSeries(growth: (n: number, old: number) => number, count: number): number[] {
  const series = [0];
  let allocated = 0;
  for (let n = 1; series.length < count; n++) {
    if (listFitsWithoutResize(allocated, n)) continue;
    allocated = growth(n, n - 1);
    series.push(allocated);
  }
  return series;
}

describe('CPython request sizes', () => {
  it('2.7 str is PyObject_MALLOC(37 + len): 5000 characters ask for 5037 bytes', () => {
    expect(CPYTHON_27.strSize(5000)).toBe(5037);
    expect(CPYTHON_27_I386.strSize(5000)).toBe(5021); // 21-byte header on i386
  });

  it('3.11 compact ASCII str is 48 + len + 1; bytes 33 + len', () => {
    expect(CPYTHON_311.strSize(3)).toBe(52);
    expect(CPYTHON_311.bytesSize(100)).toBe(133);
  });

  it('list headers are PyGC_Head + 40: 72 in 2.7 (32-byte GC head), 56 in 3.11', () => {
    expect(CPYTHON_27.listHeader).toBe(72);
    expect(CPYTHON_311.listHeader).toBe(56);
  });

  it('2.7 list growth gives the series 0, 4, 8, 16, 25, 35, 46, 58, 72, 88', () => {
    expect(appendSeries((n) => listGrowth27(n), 10)).toEqual([0, 4, 8, 16, 25, 35, 46, 58, 72, 88]);
  });

  it('3.9+ list growth gives 0, 4, 8, 16, 24, 32, 40, 52, 64, 76', () => {
    expect(appendSeries(listGrowth39, 10)).toEqual([0, 4, 8, 16, 24, 32, 40, 52, 64, 76]);
  });

  it('3.9+ does not over-allocate an extend that jumps past the over-allocation', () => {
    // extend an empty list by 100: (100 + 12 + 6) & ~3 = 116 would leave 16 spare,
    // less than the 100 added, so the size is rounded up to a multiple of 4 only.
    expect(listGrowth39(100, 0)).toBe(100);
    expect(listGrowth39(101, 0)).toBe(104);
    // one append past 100: 101 + 12 + 6 = 119 & ~3 = 116.
    expect(listGrowth39(101, 100)).toBe(116);
    // 2.7 always over-allocates: 100 + 12 + 6 = 118.
    expect(listGrowth27(100)).toBe(118);
  });

  it('list_resize keeps the array while allocated/2 <= newsize <= allocated', () => {
    expect(listFitsWithoutResize(16, 16)).toBe(true);
    expect(listFitsWithoutResize(16, 8)).toBe(true);
    expect(listFitsWithoutResize(16, 7)).toBe(false);
    expect(listFitsWithoutResize(16, 17)).toBe(false);
  });

  it('3.11 keys tables: 32-byte header, 1-byte indices, 16-byte str entries for 2/3 of the slots', () => {
    expect(CPYTHON_311.dictTableSize(3)).toBe(32 + 8 + 16 * 5); // 120
    expect(CPYTHON_311.dictTableSize(4)).toBe(32 + 16 + 16 * 10); // 208
    expect(CPYTHON_311.dictTableSize(8)).toBe(32 + 256 * 2 + 16 * 170); // int16 indices from 256 slots
    expect(dictLog2ForItems(5)).toBe(3);
    expect(dictLog2ForItems(6)).toBe(4);
  });

  it('2.7 dicts keep 8 slots inline (280-byte object) and malloc 24 bytes per slot beyond', () => {
    expect(CPYTHON_27.dictObject).toBe(280);
    expect(CPYTHON_27.dictTableSize(3)).toBe(0);
    expect(CPYTHON_27.dictTableSize(5)).toBe(24 * 32);
  });

  it('2.x numbers come 41 to a 1000-byte block; 3.11 ints are 24 + 4 per digit', () => {
    expect(CPYTHON_27.numberBlockBytes).toBe(1000);
    expect(CPYTHON_27.numbersPerBlock).toBe(Math.floor((1000 - 8) / 24));
    expect(CPYTHON_311.intSize(1)).toBe(28);
    expect(CPYTHON_311.intSize(2)).toBe(32);
    expect(CPYTHON_311.tupleSize(3)).toBe(64);
  });
});

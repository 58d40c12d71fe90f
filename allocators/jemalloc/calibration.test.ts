// The model against real jemalloc 5.3.0 (Debian libjemalloc.so.2,
// 5.3.0-0-g54eaed1d8b56), measured once with a C program under LD_PRELOAD:
// n mallocs of `size` bytes, each memset whole, then frees (every block, or
// every other one), reading VmRSS from /proc/self/statm before and after.
// No time passes, so only what jemalloc does at once shows: eager coalescing
// of large dirty extents and the oversize purge, slabs, extent padding.
import { describe, expect, it } from 'vitest';
import { makeModel } from './test-helpers.ts';

const MEASURED: { n: number; size: number; everyOther: boolean; allocKb: number; freedKb: number }[] = [
  { n: 1000, size: 65536, everyOther: false, allocKb: 68284, freedKb: 51840 },
  { n: 200, size: 1048576, everyOther: false, allocKb: 206132, freedKb: 74556 },
  { n: 25600, size: 4096, everyOther: true, allocKb: 106076, freedKb: 106080 },
  { n: 100000, size: 5037, everyOther: false, allocKb: 504972, freedKb: 135200 },
];

describe('jemalloc 5.3 model against real jemalloc 5.3.0', () => {
  it.each(MEASURED)('$n × $size bytes: RSS after malloc and after free within 1 % (+ 300 kB of metadata) of the real allocator', (c) => {
    const t = makeModel('5.3');
    const base = t.space.residentBytes;
    const blocks: number[] = [];
    for (let i = 0; i < c.n; i++) {
      const a = t.m.malloc(c.size, t.req);
      t.space.touch(a, c.size);
      blocks.push(a);
    }
    const allocKb = (t.space.residentBytes - base) / 1024;
    for (let i = 0; i < c.n; i++) if (!c.everyOther || i % 2 === 0) t.m.free(blocks[i]!, t.req);
    const freedKb = (t.space.residentBytes - base) / 1024;
    expect(Math.abs(allocKb - c.allocKb)).toBeLessThanOrEqual(c.allocKb * 0.01 + 300);
    expect(Math.abs(freedKb - c.freedKb)).toBeLessThanOrEqual(c.freedKb * 0.01 + 300);
  });
});

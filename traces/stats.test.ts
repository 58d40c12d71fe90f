import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTrace } from './open.ts';
import { computeTraceStats } from './stats.ts';

const fixture = join(import.meta.dirname, 'fixtures', 'tiny.csv');
const dir = mkdtempSync(join(tmpdir(), 'heapreplay-stats-'));

describe('trace stats', () => {
  it('counts the fixture by hand', async () => {
    const stats = await computeTraceStats(await openTrace(fixture));
    // Live bytes row by row: malloc 5000 → 5000; calloc 64 → 5064; realloc 1 to 8000 → 8064;
    // memalign 4096 → 12160 (line 8, the peak, 3 blocks live); free 1 → 4160; two marks at 4160; free 2 → 4096.
    expect(stats).toEqual({
      events: 8,
      ops: { malloc: 1, calloc: 1, realloc: 1, memalign: 1, free: 2, mark: 2 },
      distinctIds: 3,
      marks: [
        { label: 'After del, "really"', line: 11, event: 5, liveBytes: 4160 },
        { label: 'two\nlines', line: 13, event: 6, liveBytes: 4160 },
      ],
      peakLiveBytes: 12160,
      peakLiveLine: 8,
      peakLiveBlocks: 3,
      finalLiveBytes: 4096,
      timeSpanNs: { first: 10, last: 70 },
      skippedRows: 0,
    });
  });

  it('counts a reused id once, lets realloc shrink live bytes, and has no time span without time_ns', async () => {
    const path = join(dir, 'reuse.csv');
    // 100 → peak 100 (line 2); realloc to 40 → 40; free → 0; malloc again 70 → 70; realloc 300 → 300 (line 6, new peak).
    writeFileSync(path, 'op,id,size\nmalloc,a,100\nrealloc,a,40\nfree,a,\nmalloc,a,70\nrealloc,a,300\n');
    const stats = await computeTraceStats(await openTrace(path));
    expect(stats.distinctIds).toBe(1);
    expect(stats.peakLiveBytes).toBe(300);
    expect(stats.peakLiveLine).toBe(6);
    expect(stats.peakLiveBlocks).toBe(1);
    expect(stats.finalLiveBytes).toBe(300);
    expect(stats.timeSpanNs).toBeNull();
  });

  it('reports rows skipped in lenient mode', async () => {
    const path = join(dir, 'lenient.csv');
    writeFileSync(path, 'op,id,size\nmalloc,a,100\nfree,b,\nfree,a,\n');
    const stats = await computeTraceStats(await openTrace(path, { lenient: true }));
    expect(stats.skippedRows).toBe(1);
    expect(stats.events).toBe(2);
    expect(stats.finalLiveBytes).toBe(0);
  });
});

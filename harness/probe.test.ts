import { describe, expect, it } from 'vitest';
import { johnstoneWilson, MetricsProbe, overhead } from './probe.ts';
import { SAMPLE_CHUNK, SampleColumns } from './sample-columns.ts';

describe('johnstoneWilson', () => {
  it('reports each measure as (rss − live) / live', () => {
    const f = johnstoneWilson({ averageRssBytes: 150, averageLiveBytes: 100, rssAtPeakLive: 300, peakLiveBytes: 200, peakRssBytes: 500, liveAtPeakRss: 125 });
    expect(f).toEqual({ jw1: 0.5, jw2: 0.5, jw3: 3, jw4: 1.5 });
  });

  it('gives 0 rather than a division by zero when nothing is live', () => {
    expect(overhead(4096, 0)).toBe(0);
  });
});

describe('MetricsProbe', () => {
  it('weighs states by how long they hold on the trace clock', () => {
    const p = new MetricsProbe();
    // (event, time, live, rss): the state after each event holds until the next event's time.
    p.sample(0, 0, 100, 200, 200, 0, NaN); // holds 10 ns
    p.sample(1, 10, 300, 400, 400, 7, NaN); // holds 30 ns; peak live (slack 7 here)
    p.sample(2, 40, 100, 600, 600, 3, NaN); // holds 0 ns: last; peak RSS
    const s = p.finish();
    // avg rss = (200·10 + 400·30) / 40 = 350; avg live = (100·10 + 300·30) / 40 = 250 → jw1 = 100/250
    expect(s.fragmentation.jw1).toBeCloseTo(0.4, 12);
    expect(s.fragmentation.jw2).toBeCloseTo((400 - 300) / 300, 12);
    expect(s.fragmentation.jw3).toBeCloseTo((600 - 100) / 100, 12);
    expect(s.fragmentation.jw4).toBeCloseTo((600 - 300) / 300, 12);
    expect(s).toMatchObject({ peakRssBytes: 600, peakRssEvent: 2, peakLiveBytes: 300, peakLiveEvent: 1, peakMappedBytes: 600, finalRssBytes: 600, finalLiveBytes: 100, internalFragmentationBytes: 7 });
    expect(s.timeline.event).toEqual([0, 1, 2]);
  });

  it('falls back to event weights when time stands still', () => {
    const p = new MetricsProbe();
    p.sample(0, 5, 100, 100, 0, 0, NaN);
    p.sample(1, 5, 100, 300, 0, 0, NaN);
    // avg rss = 200, avg live = 100
    expect(p.finish().fragmentation.jw1).toBe(1);
  });
});

describe('MetricsProbe.sampleColumns', () => {
  /** A random walk of states with plateaus, dips, ties, and a clock that sometimes stands still. */
  function walk(n: number, seed: number): number[][] {
    let x = seed;
    const next = (): number => (x = (x * 48271) % 2147483647) / 2147483647;
    const rows: number[][] = [];
    let time = 0;
    let live = 0;
    let rss = 0;
    for (let e = 0; e < n; e++) {
      if (next() < 0.8) time += Math.floor(next() * 1000);
      live = Math.max(0, live + Math.floor((next() - 0.45) * 5000));
      if (next() < 0.3) rss = Math.max(0, rss + Math.floor((next() - 0.4) * 4) * 4096);
      rows.push([time, live, rss, rss + 8192, Math.floor(next() * 100), next() < 0.5 ? NaN : Math.floor(next() * 1e6)]);
    }
    return rows;
  }

  it('gives exactly what sample gives, row by row, whatever the chunking', () => {
    for (const [n, points] of [[5000, 2000], [5000, 41], [1, 2000], [3, 9]] as const) {
      const rows = walk(n, n + points);
      const one = new MetricsProbe({ trackLargestFree: true, maxPoints: points });
      rows.forEach((r, e) => one.sample(e, r[0]!, r[1]!, r[2]!, r[3]!, r[4]!, r[5]!));
      const chunked = new MetricsProbe({ trackLargestFree: true, maxPoints: points });
      const c = new SampleColumns();
      // Uneven chunks, some of one row, none longer than the columns.
      let e = 0;
      let size = 1;
      while (e < n) {
        const count = Math.min(size, n - e, SAMPLE_CHUNK);
        for (let k = 0; k < count; k++) {
          const r = rows[e + k]!;
          c.time[k] = r[0]!;
          c.live[k] = r[1]!;
          c.rss[k] = r[2]!;
          c.mapped[k] = r[3]!;
          c.slack[k] = r[4]!;
          c.free[k] = r[5]!;
        }
        chunked.sampleColumns(c, e, count);
        e += count;
        size = (size * 7 + 3) % 1500;
      }
      chunked.sampleColumns(c, n, 0); // an empty chunk changes nothing
      expect(chunked.sampleCount).toBe(n);
      expect(chunked.finish()).toEqual(one.finish());
    }
  });
});

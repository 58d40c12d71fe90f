import { describe, expect, it } from 'vitest';
import { johnstoneWilson, MetricsProbe, overhead } from './probe.ts';

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

import { describe, expect, it } from 'vitest';
import { TimelineRecorder, TIMELINE_MAX_POINTS } from './timeline.ts';

describe('TimelineRecorder', () => {
  it('keeps every sample while the series is short', () => {
    const t = new TimelineRecorder(100);
    for (let e = 0; e < 40; e++) t.sample(e, e * 10, e, 1000 + e, 2000, NaN);
    const out = t.finish();
    expect(out.event).toEqual(Array.from({ length: 40 }, (_, e) => e));
    expect(out.rssBytes[39]).toBe(1039);
    expect(out.largestFreeBytes).toBeUndefined();
  });

  it('stays within its budget, keeps the global peak, the deepest trough, the final state and every kept point', () => {
    const t = new TimelineRecorder();
    const n = 1_000_003;
    for (let e = 0; e < n; e++) {
      // A sawtooth with one spike and one dip that a bucket average would flatten.
      let rss = 1_000_000 + (e % 5000) * 100;
      if (e === 777_777) rss = 9_999_999;
      if (e === 123_457) rss = 1;
      t.sample(e, e, rss >> 1, rss, rss, NaN);
      if (e % 100_000 === 50_000) t.keep({ event: e, timeNs: e, liveBytes: 0, rssBytes: rss, mappedBytes: rss, largestFreeBytes: NaN });
    }
    const out = t.finish();
    expect(out.event.length).toBeLessThanOrEqual(TIMELINE_MAX_POINTS + 10);
    expect(out.event.length).toBeGreaterThan(TIMELINE_MAX_POINTS / 2);
    expect(Math.max(...out.rssBytes)).toBe(9_999_999);
    expect(out.event[out.rssBytes.indexOf(9_999_999)]).toBe(777_777);
    expect(Math.min(...out.rssBytes)).toBe(1);
    expect(out.event.at(-1)).toBe(n - 1);
    for (let k = 0; k < 10; k++) expect(out.event).toContain(k * 100_000 + 50_000);
    for (let i = 1; i < out.event.length; i++) expect(out.event[i]!).toBeGreaterThan(out.event[i - 1]!);
  });

  it('keeps the first of equal peaks', () => {
    const t = new TimelineRecorder(9); // 4 buckets: width doubles quickly
    const rss = [1, 5, 2, 5, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    rss.forEach((r, e) => t.sample(e, e, 0, r, 0, NaN));
    const out = t.finish();
    expect(out.event[out.rssBytes.indexOf(5)]).toBe(1);
    expect(out.rssBytes.filter((r) => r === 5)).toHaveLength(1);
    expect(out.event.length).toBeLessThanOrEqual(9);
  });

  it('carries the largest free range when tracked', () => {
    const t = new TimelineRecorder(100, true);
    t.sample(0, 0, 0, 10, 10, 500);
    t.sample(1, 1, 0, 20, 20, 300);
    expect(t.finish().largestFreeBytes).toEqual([500, 300]);
  });
});

// The RSS-over-time series, kept to a bounded number of points while the
// trace streams past (its length is not known in advance). The events are cut
// into buckets of equal width; each bucket keeps two real samples, the one with
// the highest RSS and the one with the lowest, so that no peak and no trough is
// averaged away. When the buckets run out, neighbours are merged pairwise and
// the width doubles: memory stays fixed and the global peak always survives.
import type { Timeline } from './result.ts';
import { SampleColumns } from './sample-columns.ts';

/** One state of the run, as a point of the series. */
export interface TimelinePoint {
  event: number;
  timeNs: number;
  liveBytes: number;
  rssBytes: number;
  mappedBytes: number;
  /** NaN when the largest free range is not tracked (64-bit mode). */
  largestFreeBytes: number;
}

const FIELDS = 6;
const F_EVENT = 0;
const F_TIME = 1;
const F_LIVE = 2;
const F_RSS = 3;
const F_MAPPED = 4;
const F_FREE = 5;

/** Default budget for the bucketed part of the series (marks and a few fixed points come on top). */
export const TIMELINE_MAX_POINTS = 2000;

export class TimelineRecorder {
  /** Buckets in use before a merge; two points each. */
  private readonly capacity: number;
  /** Slot s of bucket b is at (2b + s) * FIELDS; slot 0 = max RSS, slot 1 = min RSS. */
  private readonly slots: Float64Array;
  private width = 1;
  private buckets = 0;
  /** Samples still to come before the open bucket is full. */
  private remaining = 0;
  private readonly last = new Float64Array(FIELDS);
  /** The one-row chunk `sample` passes on; made on first use. */
  private one: SampleColumns | null = null;
  private samples = 0;
  private readonly extra: TimelinePoint[] = [];

  /**
   * `maxPoints` bounds the bucketed samples plus the final state; points added
   * with `keep` (marks, the peak of live bytes) come on top.
   */
  constructor(
    maxPoints = TIMELINE_MAX_POINTS,
    private readonly trackLargestFree = false,
  ) {
    // Two points per bucket, one for the final state; an even count keeps pairwise merging exact.
    let buckets = Math.floor((maxPoints - 1) / 2);
    if (buckets % 2 === 1) buckets--;
    if (buckets < 2) throw new Error(`a timeline needs room for at least 5 points, not ${maxPoints}`);
    this.capacity = buckets;
    this.slots = new Float64Array(buckets * 2 * FIELDS);
  }

  /**
   * Record the state after one event: a one-row chunk through `sampleColumns`,
   * so the bucketing has one implementation (the replayer folds whole chunks).
   */
  sample(event: number, timeNs: number, liveBytes: number, rssBytes: number, mappedBytes: number, largestFreeBytes: number): void {
    const c = (this.one ??= new SampleColumns());
    c.time[0] = timeNs;
    c.live[0] = liveBytes;
    c.rss[0] = rssBytes;
    c.mapped[0] = mappedBytes;
    c.free[0] = largestFreeBytes;
    this.sampleColumns(c, event, 1);
  }

  /**
   * Record the states after events firstEvent .. firstEvent+count-1, held in
   * rows 0 .. count-1 of `c`, in one tight loop that keeps the open bucket's
   * extremes in locals. Strict comparisons: on a tie the earlier sample stays,
   * so the first time a peak is reached is what shows.
   */
  sampleColumns(c: SampleColumns, firstEvent: number, count: number): void {
    if (count <= 0) return;
    const slots = this.slots;
    const time = c.time;
    const live = c.live;
    const rssCol = c.rss;
    const mapped = c.mapped;
    const free = c.free;
    let remaining = this.remaining;
    let buckets = this.buckets;
    let maxAt = 2 * (buckets - 1) * FIELDS;
    let minAt = maxAt + FIELDS;
    let maxRss = buckets > 0 ? slots[maxAt + F_RSS]! : 0;
    let minRss = buckets > 0 ? slots[minAt + F_RSS]! : 0;
    let fresh = false;
    for (let k = 0; k < count; k++) {
      const rss = rssCol[k]!;
      let at = -1;
      if (remaining === 0) {
        if (buckets === this.capacity) {
          this.buckets = buckets;
          this.mergePairs();
          buckets = this.buckets;
        }
        maxAt = 2 * buckets * FIELDS;
        minAt = maxAt + FIELDS;
        buckets++;
        remaining = this.width - 1;
        maxRss = rss;
        minRss = rss;
        at = maxAt;
        fresh = true;
      } else {
        remaining--;
        // Strict comparisons, as in `sample`: on a tie the earlier sample stays.
        if (rss > maxRss) {
          maxRss = rss;
          at = maxAt;
        } else if (rss < minRss) {
          minRss = rss;
          at = minAt;
        }
      }
      if (at >= 0) {
        slots[at + F_EVENT] = firstEvent + k;
        slots[at + F_TIME] = time[k]!;
        slots[at + F_LIVE] = live[k]!;
        slots[at + F_RSS] = rss;
        slots[at + F_MAPPED] = mapped[k]!;
        slots[at + F_FREE] = free[k]!;
        // A new bucket's first sample is both its maximum and its minimum so far.
        if (fresh) {
          slots.copyWithin(minAt, maxAt, maxAt + FIELDS);
          fresh = false;
        }
      }
    }
    this.remaining = remaining;
    this.buckets = buckets;
    this.samples += count;
    const last = this.last;
    const k = count - 1;
    last[F_EVENT] = firstEvent + k;
    last[F_TIME] = time[k]!;
    last[F_LIVE] = live[k]!;
    last[F_RSS] = rssCol[k]!;
    last[F_MAPPED] = mapped[k]!;
    last[F_FREE] = free[k]!;
  }

  /** Keep this point whatever the downsampling does (marks, the peak of live bytes). */
  keep(point: TimelinePoint): void {
    this.extra.push({ ...point });
  }

  get sampleCount(): number {
    return this.samples;
  }

  /** Events per bucket at present. */
  get bucketWidth(): number {
    return this.width;
  }

  /** The series in event order: every kept point, the bucket extremes, and the final state. */
  finish(): Timeline {
    const points: TimelinePoint[] = [];
    for (let s = 0; s < this.buckets * 2; s++) points.push(this.pointAt(this.slots, s * FIELDS));
    if (this.samples > 0) points.push(this.pointAt(this.last, 0));
    points.push(...this.extra);
    points.sort((a, b) => a.event - b.event);
    const timeline: Timeline = { event: [], timeNs: [], liveBytes: [], rssBytes: [], mappedBytes: [] };
    const free: number[] = [];
    let previous = -1;
    for (const p of points) {
      // One event has one state after it: a mark and a bucket extreme at the same event are the same point.
      if (p.event === previous) continue;
      previous = p.event;
      timeline.event.push(p.event);
      timeline.timeNs.push(p.timeNs);
      timeline.liveBytes.push(p.liveBytes);
      timeline.rssBytes.push(p.rssBytes);
      timeline.mappedBytes.push(p.mappedBytes);
      free.push(p.largestFreeBytes);
    }
    if (this.trackLargestFree) timeline.largestFreeBytes = free;
    return timeline;
  }

  private pointAt(from: Float64Array, at: number): TimelinePoint {
    return {
      event: from[at + F_EVENT]!,
      timeNs: from[at + F_TIME]!,
      liveBytes: from[at + F_LIVE]!,
      rssBytes: from[at + F_RSS]!,
      mappedBytes: from[at + F_MAPPED]!,
      largestFreeBytes: from[at + F_FREE]!,
    };
  }

  /** Halve the bucket count: bucket j takes the higher maximum and the lower minimum of buckets 2j and 2j+1. */
  private mergePairs(): void {
    const s = this.slots;
    const half = this.buckets / 2;
    for (let j = 0; j < half; j++) {
      const a = 2 * (2 * j) * FIELDS;
      const b = 2 * (2 * j + 1) * FIELDS;
      const to = 2 * j * FIELDS;
      const maxFrom = s[b + F_RSS]! > s[a + F_RSS]! ? b : a;
      const minFrom = s[b + FIELDS + F_RSS]! < s[a + FIELDS + F_RSS]! ? b + FIELDS : a + FIELDS;
      // copyWithin is safe here: the targets (bucket j) never lie after the sources (2j, 2j+1).
      if (maxFrom !== to) s.copyWithin(to, maxFrom, maxFrom + FIELDS);
      if (minFrom !== to + FIELDS) s.copyWithin(to + FIELDS, minFrom, minFrom + FIELDS);
    }
    this.buckets = half;
    this.width *= 2;
    this.remaining = 0;
  }
}

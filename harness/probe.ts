// The metrics probe: watches the state after every event (RSS, live bytes,
// mapped bytes) and keeps what the result needs — peaks, the time-weighted
// averages behind Johnstone & Wilson's measure #1, the series for the chart.
// Fragmentation follows Johnstone & Wilson, "The Memory Fragmentation Problem:
// Solved?" (ISMM 1998), with the allocator's memory taken to be RSS.
import type { Fragmentation, Timeline } from './result.ts';
import { SampleColumns } from './sample-columns.ts';
import { TimelineRecorder, type TimelinePoint } from './timeline.ts';

/** (rss − live) / live; 0 when nothing is live, since the ratio has no meaning there and JSON has no NaN. */
export function overhead(rssBytes: number, liveBytes: number): number {
  return liveBytes > 0 ? (rssBytes - liveBytes) / liveBytes : 0;
}

/** The figures J&W's four measures are computed from. */
export interface FragmentationInputs {
  averageRssBytes: number;
  averageLiveBytes: number;
  /** RSS at the point where live bytes peaked. */
  rssAtPeakLive: number;
  peakLiveBytes: number;
  peakRssBytes: number;
  /** Live bytes at the point where RSS peaked. */
  liveAtPeakRss: number;
}

export function johnstoneWilson(f: FragmentationInputs): Fragmentation {
  return {
    jw1: overhead(f.averageRssBytes, f.averageLiveBytes),
    jw2: overhead(f.rssAtPeakLive, f.peakLiveBytes),
    jw3: overhead(f.peakRssBytes, f.liveAtPeakRss),
    jw4: overhead(f.peakRssBytes, f.peakLiveBytes),
  };
}

/** What the probe hands to the result. */
export interface ProbeSummary {
  peakRssBytes: number;
  /** Event index of the first time RSS reached its peak. */
  peakRssEvent: number;
  peakLiveBytes: number;
  peakLiveEvent: number;
  peakMappedBytes: number;
  finalRssBytes: number;
  finalLiveBytes: number;
  /** Σ (usable − requested) over the blocks live at the peak of live bytes. */
  internalFragmentationBytes: number;
  fragmentation: Fragmentation;
  timeline: Timeline;
}

export class MetricsProbe {
  private readonly timeline: TimelineRecorder;
  private samples = 0;
  /** The one-row chunk `sample` passes on; made on first use. */
  private one: SampleColumns | null = null;

  private peakRss = 0;
  private peakRssEvent = -1;
  private liveAtPeakRss = 0;
  private peakLive = 0;
  private peakLiveEvent = -1;
  private rssAtPeakLive = 0;
  private slackAtPeakLive = 0;
  private readonly peakLivePoint: TimelinePoint = { event: -1, timeNs: 0, liveBytes: 0, rssBytes: 0, mappedBytes: 0, largestFreeBytes: NaN };
  private peakMapped = 0;

  // Time-weighted integrals: the state after one event holds until the next event's time.
  private lastTime = 0;
  private lastRss = 0;
  private lastLive = 0;
  private rssTimeIntegral = 0;
  private liveTimeIntegral = 0;
  private duration = 0;
  // Event-weighted sums, used when the trace clock never moves.
  private rssEventSum = 0;
  private liveEventSum = 0;

  constructor(options: { trackLargestFree?: boolean; maxPoints?: number } = {}) {
    this.timeline = new TimelineRecorder(options.maxPoints, options.trackLargestFree ?? false);
  }

  /**
   * The state after event `event`. `slackBytes` is the running Σ (usable −
   * requested) of live blocks; `largestFreeBytes` is NaN unless tracked. A
   * one-row chunk through `sampleColumns`, so the fold has one implementation.
   */
  sample(event: number, timeNs: number, liveBytes: number, rssBytes: number, mappedBytes: number, slackBytes: number, largestFreeBytes: number): void {
    const c = (this.one ??= new SampleColumns());
    c.time[0] = timeNs;
    c.live[0] = liveBytes;
    c.rss[0] = rssBytes;
    c.mapped[0] = mappedBytes;
    c.slack[0] = slackBytes;
    c.free[0] = largestFreeBytes;
    this.sampleColumns(c, event, 1);
  }

  /**
   * The states after events firstEvent .. firstEvent+count-1, rows 0 ..
   * count-1 of `c`, with the running figures in locals for the length of the
   * chunk (the same operations in the same order whatever the chunking, so the
   * sums round the same way).
   */
  sampleColumns(c: SampleColumns, firstEvent: number, count: number): void {
    if (count <= 0) return;
    const time = c.time;
    const live = c.live;
    const rss = c.rss;
    const mapped = c.mapped;
    let lastTime = this.lastTime;
    let lastRss = this.lastRss;
    let lastLive = this.lastLive;
    let rssTimeIntegral = this.rssTimeIntegral;
    let liveTimeIntegral = this.liveTimeIntegral;
    let duration = this.duration;
    let rssEventSum = this.rssEventSum;
    let liveEventSum = this.liveEventSum;
    // The peak of RSS moves on most events of a growing heap: kept in locals, not a call that boxes its numbers.
    let peakRss = this.peakRss;
    let peakRssEvent = this.peakRssEvent;
    let liveAtPeakRss = this.liveAtPeakRss;
    let peakLive = this.peakLive;
    let peakMapped = this.peakMapped;
    let k = 0;
    if (this.samples === 0) {
      // The first state of the run has no predecessor to weigh.
      lastTime = time[0]!;
      lastRss = rss[0]!;
      lastLive = live[0]!;
      rssEventSum += lastRss;
      liveEventSum += lastLive;
      if (lastRss > peakRss) {
        peakRss = lastRss;
        peakRssEvent = firstEvent;
        liveAtPeakRss = lastLive;
      }
      if (lastLive > peakLive) {
        peakLive = lastLive;
        this.newPeakLive(c, firstEvent, 0);
      }
      if (mapped[0]! > peakMapped) peakMapped = mapped[0]!;
      k = 1;
    }
    for (; k < count; k++) {
      const t = time[k]!;
      const r = rss[k]!;
      const l = live[k]!;
      const dt = t - lastTime;
      if (dt > 0) {
        rssTimeIntegral += lastRss * dt;
        liveTimeIntegral += lastLive * dt;
        duration += dt;
      }
      lastTime = t;
      lastRss = r;
      lastLive = l;
      rssEventSum += r;
      liveEventSum += l;
      if (r > peakRss) {
        peakRss = r;
        peakRssEvent = firstEvent + k;
        liveAtPeakRss = l;
      }
      if (l > peakLive) {
        peakLive = l;
        this.newPeakLive(c, firstEvent, k);
      }
      const m = mapped[k]!;
      if (m > peakMapped) peakMapped = m;
    }
    this.samples += count;
    this.lastTime = lastTime;
    this.lastRss = lastRss;
    this.lastLive = lastLive;
    this.rssTimeIntegral = rssTimeIntegral;
    this.liveTimeIntegral = liveTimeIntegral;
    this.duration = duration;
    this.rssEventSum = rssEventSum;
    this.liveEventSum = liveEventSum;
    this.peakRss = peakRss;
    this.peakRssEvent = peakRssEvent;
    this.liveAtPeakRss = liveAtPeakRss;
    this.peakMapped = peakMapped;
    this.timeline.sampleColumns(c, firstEvent, count);
  }

  /** A new peak of live bytes at row k (it returns nothing: a returned number would be boxed on every new peak). */
  private newPeakLive(c: SampleColumns, firstEvent: number, k: number): void {
    const live = c.live[k]!;
    this.peakLive = live;
    this.peakLiveEvent = firstEvent + k;
    this.rssAtPeakLive = c.rss[k]!;
    this.slackAtPeakLive = c.slack[k]!;
    const p = this.peakLivePoint;
    p.event = firstEvent + k;
    p.timeNs = c.time[k]!;
    p.liveBytes = live;
    p.rssBytes = c.rss[k]!;
    p.mappedBytes = c.mapped[k]!;
    p.largestFreeBytes = c.free[k]!;
  }

  /** A point the chart must show whatever the downsampling (a mark). */
  keepPoint(point: TimelinePoint): void {
    this.timeline.keep(point);
  }

  get sampleCount(): number {
    return this.samples;
  }

  finish(): ProbeSummary {
    // Time-weighted over the trace clock; when the clock never moved (no time
    // column and a tick of 0) every event weighs the same.
    const timed = this.duration > 0;
    const n = Math.max(1, this.samples);
    const averageRssBytes = timed ? this.rssTimeIntegral / this.duration : this.rssEventSum / n;
    const averageLiveBytes = timed ? this.liveTimeIntegral / this.duration : this.liveEventSum / n;
    if (this.peakLivePoint.event >= 0) this.timeline.keep(this.peakLivePoint);
    return {
      peakRssBytes: this.peakRss,
      peakRssEvent: this.peakRssEvent,
      peakLiveBytes: this.peakLive,
      peakLiveEvent: this.peakLiveEvent,
      peakMappedBytes: this.peakMapped,
      finalRssBytes: this.lastRss,
      finalLiveBytes: this.lastLive,
      internalFragmentationBytes: this.slackAtPeakLive,
      fragmentation: johnstoneWilson({
        averageRssBytes,
        averageLiveBytes,
        rssAtPeakLive: this.rssAtPeakLive,
        peakLiveBytes: this.peakLive,
        peakRssBytes: this.peakRss,
        liveAtPeakRss: this.liveAtPeakRss,
      }),
      timeline: this.timeline.finish(),
    };
  }
}

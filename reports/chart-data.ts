// What both RSS charts (mermaid and SVG) draw for one trace: one RSS series per
// run plus the live bytes, the marks, and where failed runs stopped.
import type { RunResult } from '../harness/result.ts';
import { marksOf, type MarkKey } from './runs.ts';

/** Colours in series order, with the names the text legend uses (a colour-blind-safe Tableau set). */
export const PALETTE: readonly { hex: string; name: string }[] = [
  { hex: '#1f77b4', name: 'blue' },
  { hex: '#ff7f0e', name: 'orange' },
  { hex: '#2ca02c', name: 'green' },
  { hex: '#d62728', name: 'red' },
  { hex: '#9467bd', name: 'purple' },
  { hex: '#8c564b', name: 'brown' },
  { hex: '#e377c2', name: 'pink' },
  { hex: '#bcbd22', name: 'olive' },
  { hex: '#17becf', name: 'cyan' },
];
/** Live bytes are the same for every model, so they get a neutral colour of their own. */
export const LIVE_COLOR = { hex: '#7f7f7f', name: 'grey' };

export interface ChartSeries {
  label: string;
  color: { hex: string; name: string };
  /** Timeline points: event index and value in bytes, in event order. */
  events: readonly number[];
  values: readonly number[];
  /** The event the run stopped at, when it failed (the series ends there). */
  stoppedAt: number | null;
  /** A word for where it stopped ("OOM", "malloc failed"). */
  stopNote: string | null;
  dashed: boolean;
}

export interface ChartData {
  title: string;
  /** The x range: events 0 .. lastEvent. */
  lastEvent: number;
  series: ChartSeries[];
  marks: MarkKey[];
}

/** The series for a trace's runs; live bytes come from the run that got furthest. */
export function buildChartData(traceName: string, runs: readonly RunResult[], labels: readonly string[]): ChartData {
  const series: ChartSeries[] = runs.map((run, i) => ({
    label: labels[i]!,
    color: PALETTE[i % PALETTE.length]!,
    events: run.timeline.event,
    values: run.timeline.rssBytes,
    stoppedAt: run.status === 'ok' ? null : (run.failure?.event ?? lastOf(run.timeline.event)),
    stopNote: run.status === 'oom' ? 'OOM' : run.status === 'alloc-failed' ? 'malloc failed' : null,
    dashed: false,
  }));
  let furthest: RunResult | null = null;
  for (const run of runs) if (!furthest || lastOf(run.timeline.event) > lastOf(furthest.timeline.event)) furthest = run;
  if (furthest) {
    series.push({
      label: 'live bytes',
      color: LIVE_COLOR,
      events: furthest.timeline.event,
      values: furthest.timeline.liveBytes,
      stoppedAt: null,
      stopNote: null,
      dashed: true,
    });
  }
  const lastEvent = Math.max(0, ...runs.map((r) => Math.max(lastOf(r.timeline.event), r.trace.events - 1)));
  return { title: `RSS over time: ${traceName}`, lastEvent, series, marks: marksOf(runs) };
}

function lastOf(xs: readonly number[]): number {
  return xs.length > 0 ? xs[xs.length - 1]! : 0;
}

/**
 * Resample a series onto `buckets` equal slices of events 0..lastEvent, keeping
 * the maximum in each slice so that peaks survive. The timeline holds its
 * value between points, so a slice's value is the maximum of the level at its
 * first event and of the points inside it. Slices after the series stopped, or
 * before its first point, are null.
 */
export function resampleMax(series: ChartSeries, lastEvent: number, buckets: number): (number | null)[] {
  const span = lastEvent + 1;
  const n = Math.max(1, Math.min(buckets, span));
  const out: (number | null)[] = new Array<number | null>(n).fill(null);
  const { events, values } = series;
  const end = series.stoppedAt ?? lastEvent;
  let p = 0;
  let level: number | null = null;
  for (let b = 0; b < n; b++) {
    const lo = Math.floor((b * span) / n);
    const hi = Math.floor(((b + 1) * span) / n); // exclusive
    if (lo > end) break;
    while (p < events.length && events[p]! <= lo) level = values[p++]!;
    let max = level;
    while (p < events.length && events[p]! < hi) {
      level = values[p++]!;
      max = max === null ? level : Math.max(max, level);
    }
    out[b] = max;
  }
  return out;
}

// Turns the native replayer's JSON lines into a RunResult, the same schema the
// models produce, so reports and `compare` read real runs unchanged. Pure: no
// I/O, so it is tested on hand-written output.
import type { Fragmentation, MarkRecord, RunResult, Timeline, TraceIdentity } from '../result.ts';
import type { StreamSummary } from './stream.ts';

/**
 * What the rss fields measure: `anon` = anonymous resident memory (statm
 * resident − shared, RssAnon), what an allocator adds and what the models
 * count; `resident` = the whole resident set (replayers before rss_measure).
 */
export type RssMeasure = 'anon' | 'resident';

interface StartLine {
  type: 'start';
  /** Absent from older replayers, which measured the whole resident set. */
  rss_measure?: RssMeasure;
  /** Older replayers gave the version here; newer ones in the end line, asked after the replay. */
  allocator_version?: string;
  page_size: number;
  /** Baseline of the rss measure, taken before any library (the allocator included) initialised. */
  baseline_rss: number;
  baseline_vm: number;
  /** Whole resident set at the baseline (information only). */
  baseline_resident?: number;
  events: number;
  slots: number;
}
interface PointLine {
  type: 'sample' | 'peak-live' | 'mark';
  event: number;
  time_ns: number;
  rss: number;
  vm: number;
  live: number;
  label?: string;
}
interface FailLine {
  type: 'fail';
  event: number;
  op: string;
  size: number;
  errno: number;
}
interface EndLine {
  type: 'end';
  /** The serving malloc's own version ("2.36" for glibc, "5.3.0" for jemalloc). */
  allocator_version?: string;
  events: number;
  replay_ns: number;
  idle_ns: number;
  measure_ns: number;
  /** CPU of the replay loop (sampling included), from getrusage; absent from older replayers. */
  user_ns?: number;
  sys_ns?: number;
  rss: number;
  vm: number;
  live: number;
  /** Peak of the rss measure as far as VmHWM shows it (a lower bound on the anonymous peak). */
  hwm: number;
  /** VmHWM itself, the whole resident set's peak. */
  hwm_resident?: number;
  peak_live: number;
  internal_at_peak: number;
}

export interface ReplayOutput {
  start: StartLine;
  points: PointLine[];
  fail: FailLine | null;
  end: EndLine;
}

/** Parse the replayer's stdout; anything unexpected is an internal error with the offending line. */
export function parseReplayOutput(stdout: string): ReplayOutput {
  let start: StartLine | null = null;
  let end: EndLine | null = null;
  let fail: FailLine | null = null;
  const points: PointLine[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    let obj: { type?: string };
    try {
      obj = JSON.parse(line) as { type?: string };
    } catch {
      throw new Error(`native replayer printed a line that is not JSON: ${line.slice(0, 200)}`);
    }
    switch (obj.type) {
      case 'start':
        start = obj as StartLine;
        break;
      case 'sample':
      case 'peak-live':
      case 'mark':
        points.push(obj as PointLine);
        break;
      case 'fail':
        fail = obj as FailLine;
        break;
      case 'end':
        end = obj as EndLine;
        break;
      default:
        throw new Error(`native replayer printed an unknown line: ${line.slice(0, 200)}`);
    }
  }
  if (!start || !end) throw new Error('native replayer output is incomplete (no start or end line)');
  if (start.rss_measure !== undefined && start.rss_measure !== 'anon' && start.rss_measure !== 'resident') {
    throw new Error(`native replayer reports an unknown rss_measure "${String(start.rss_measure)}" (expected anon or resident)`);
  }
  return { start, points, fail, end };
}

/** (rss − live) / live, 0 when nothing is live. */
function overhead(rss: number, live: number): number {
  return live > 0 ? (rss - live) / live : 0;
}

/**
 * Johnstone & Wilson #1–#4 from sampled points. #1 weights each point by the
 * trace time until the next one (by events when the clock stands still).
 */
export function fragmentationFromPoints(points: readonly { event: number; timeNs: number; rss: number; live: number }[], peakRss: number, peakLive: number): Fragmentation {
  let rssSum = 0;
  let liveSum = 0;
  const span = points.length > 1 ? points[points.length - 1]!.timeNs - points[0]!.timeNs : 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const p = points[i]!;
    const next = points[i + 1]!;
    const w = span > 0 ? next.timeNs - p.timeNs : next.event - p.event;
    rssSum += p.rss * w;
    liveSum += p.live * w;
  }
  if (points.length === 1) {
    rssSum = points[0]!.rss;
    liveSum = points[0]!.live;
  }
  let atPeakLive = points[0];
  let atPeakRss = points[0];
  for (const p of points) {
    if (p.live > atPeakLive!.live) atPeakLive = p;
    if (p.rss > atPeakRss!.rss) atPeakRss = p;
  }
  return {
    jw1: overhead(rssSum, liveSum),
    jw2: atPeakLive ? overhead(atPeakLive.rss, atPeakLive.live) : 0,
    jw3: atPeakRss ? overhead(atPeakRss.rss, atPeakRss.live) : 0,
    jw4: overhead(peakRss, peakLive),
  };
}

export interface RealRunContext {
  trace: TraceIdentity;
  modelName: string;
  /** Library path preloaded, or null for the C library's malloc. */
  library: string | null;
  touch: 'full' | 'none';
  idleMs: number;
  summary: StreamSummary;
}

const NOTE_COMMON =
  'Real runs cannot explain retention (no findings): compare with the model of the same allocator for the why. ' +
  'Threads are replayed on one thread, and every request goes to malloc whatever its domain (there is no obmalloc in front of it).';

const MEASURE_TEXT: Record<RssMeasure, string> = {
  anon:
    "RSS is the child's anonymous resident memory (resident − shared pages in /proc/self/statm, i.e. RssAnon: what the " +
    'models count; shared-library code is left out) minus its baseline, taken before any library initialised, so the ' +
    "allocator's start-up memory counts as the models' does.",
  resident: "RSS is the child's whole resident set from /proc/self/statm minus its baseline before the first event.",
};

function noteText(measure: RssMeasure): string {
  return `Measured by replaying the trace through the real allocator in a child process (harness/real/replay.c); ${MEASURE_TEXT[measure]} ${NOTE_COMMON}`;
}

/** Build the RunResult for one real run. */
export function buildRealRunResult(out: ReplayOutput, ctx: RealRunContext): RunResult {
  const measure: RssMeasure = out.start.rss_measure ?? 'resident';
  const baseRss = out.start.baseline_rss;
  const baseVm = out.start.baseline_vm;
  const rssOf = (raw: number): number => Math.max(0, raw - baseRss);
  const vmOf = (raw: number): number => Math.max(0, raw - baseVm);

  const marks: MarkRecord[] = [];
  const timeline: Timeline = { event: [], timeNs: [], liveBytes: [], rssBytes: [], mappedBytes: [] };
  const series: { event: number; timeNs: number; rss: number; live: number }[] = [];
  let peakRss = 0;
  let peakMapped = 0;
  let lastEvent = -1;
  for (const p of out.points) {
    const rss = rssOf(p.rss);
    const vm = vmOf(p.vm);
    peakRss = Math.max(peakRss, rss);
    peakMapped = Math.max(peakMapped, vm);
    if (p.type === 'mark') {
      marks.push({ label: p.label ?? '', event: p.event, timeNs: p.time_ns, rssBytes: rss, liveBytes: p.live, mappedBytes: vm, freeResidentBytes: Math.max(0, rss - p.live) });
    }
    series.push({ event: p.event, timeNs: p.time_ns, rss, live: p.live });
    // One timeline point per event: a mark and a sample after the same event are one point.
    if (p.event === lastEvent) continue;
    lastEvent = p.event;
    timeline.event.push(p.event);
    timeline.timeNs.push(p.time_ns);
    timeline.liveBytes.push(p.live);
    timeline.rssBytes.push(rss);
    timeline.mappedBytes.push(vm);
  }
  // The samples can miss the true peak between two of them; VmHWM cannot.
  peakRss = Math.max(peakRss, rssOf(out.end.hwm));
  const finalRss = rssOf(out.end.rss);
  peakMapped = Math.max(peakMapped, vmOf(out.end.vm));
  const events = out.end.events;
  const seconds = out.end.replay_ns / 1e9;
  const fail = out.fail;
  return {
    trace: ctx.trace,
    model: {
      name: ctx.modelName,
      // The real allocator's version plays the part of a model's preset: "jemalloc (real)@5.3.0".
      preset: out.end.allocator_version || out.start.allocator_version || 'unknown',
      backing: null,
      params: { library: ctx.library ?? 'libc', touch: ctx.touch, idle_ms: ctx.idleMs, rss_measure: measure },
      note: { title: `${ctx.modelName}: the real allocator`, text: noteText(measure) },
    },
    status: fail ? 'alloc-failed' : 'ok',
    peakRssBytes: peakRss,
    finalRssBytes: finalRss,
    peakLiveBytes: ctx.summary.peakLiveBytes,
    finalLiveBytes: out.end.live,
    peakMappedBytes: peakMapped,
    internalFragmentationBytes: out.end.internal_at_peak,
    freeResidentBytes: Math.max(0, finalRss - out.end.live),
    marks,
    fragmentation: fragmentationFromPoints(series, peakRss, ctx.summary.peakLiveBytes),
    retention: [],
    failure: fail
      ? { event: fail.event, reason: `the real ${fail.op} of ${fail.size} bytes returned NULL (errno ${fail.errno})`, requestBytes: fail.size, largestFreeRangeBytes: null }
      : null,
    timeline,
    replay: {
      events,
      seconds,
      eventsPerSecond: seconds > 0 ? events / seconds : 0,
      ...(out.end.user_ns !== undefined && out.end.sys_ns !== undefined ? { userSeconds: out.end.user_ns / 1e9, systemSeconds: out.end.sys_ns / 1e9 } : {}),
    },
  };
}

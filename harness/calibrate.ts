// Calibration: each model against the real allocator it imitates, on the same
// trace, with the same touch policy and the same clock. The native replayer
// (harness/real/) gives real RSS; the model replay gives the model's; this
// module pairs the two runs and measures how far the model is off at every
// mark, at the peak and at the end.
//
// The clock is the subtle part. The native replayer runs the trace as fast as
// the machine goes (about a million events a second), so the real allocator
// sees well under a second pass however long the trace's time_ns column says
// the program ran; the only real time that passes is the --idle-ms sleep at
// each mark. jemalloc purges by elapsed time, so a model fed the trace's own
// clock would decay pages the real jemalloc never got the time to purge. By
// default the model's clock therefore stands still between events and jumps by
// idle-ms at each mark, as the real one does (CalibrationSource below rewrites
// time_ns so); --tick-ns sets a pace, and 'auto' takes the real replay's own.
import { createModel, parseModelSpec, formatModelSpec, type ModelSpec } from '../allocators/registry.ts';
import type { ParamValues } from '../allocators/types.ts';
import { formatBytes, parseBytes } from '../allocators/units.ts';
import { openTrace } from '../traces/open.ts';
import { OP, type EventBatch, type TraceMeta, type TraceSource } from '../traces/types.ts';
import { UsageError } from './cli-errors.ts';
import { runRealTrace } from './real/runner.ts';
import { replay, traceName } from './replayer.ts';
import type { ResultFile, RunResult, RunStatus } from './result.ts';
import { HINT_ADDRESS_SPACE, HINT_MEMORY_LIMIT, type TouchPolicy } from './run-options.ts';
import { WrappedTraceSource } from '../traces/wrapped-source.ts';

export const CALIBRATION_SCHEMA = 'heapreplay-calibration/1';

/** Model name → the `--allocator` name of the real allocator it imitates. */
export const REAL_COUNTERPART: Readonly<Record<string, string>> = { glibc: 'glibc', jemalloc: 'jemalloc' };

export const DEFAULT_CALIBRATION_MODELS = ['glibc', 'jemalloc'] as const;

// ---- the calibration clock and the memory-limit cut -------------------------

export interface CalibrationSourceOptions {
  /** Clock step per event, in ns (0: time stands still between events, as when the native replayer runs flat out). */
  tickNs: number;
  /** Clock jump at each mark (the real replayer's --idle-ms sleep), in ns. */
  idleNs: number;
  /** Stop before the first event that would take live data past this; null = replay everything. */
  liveLimitBytes: number | null;
}

/**
 * A trace as both sides of a calibration replay it: time_ns rewritten to the
 * calibration clock (event index × tick, plus k × idle after the k-th mark,
 * the mark included, since the real replayer sleeps before it reads RSS), every event on thread 0 (the
 * native replayer has one thread), and optionally cut where live data would
 * pass a limit. Batches are copied where changed, never written in place: the
 * inner source may hand out views of its own buffers.
 */
export class CalibrationSource extends WrappedTraceSource {
  /** Index of the first event left out by the live limit in the last full pass; null when nothing was cut. */
  cutAtEvent: number | null = null;
  /** Events the last full pass passed on. */
  keptEvents = 0;

  constructor(
    inner: TraceSource,
    private readonly options: CalibrationSourceOptions,
  ) {
    super(inner);
  }

  /** Every event gets a time on the calibration clock. */
  override get hasTime(): boolean {
    return true;
  }

  async *batches(): AsyncIterable<EventBatch> {
    const { idleNs, tickNs, liveLimitBytes: limit } = this.options;
    let sizes = new Float64Array(limit === null ? 0 : 1024);
    let live = 0;
    let marks = 0;
    let event = 0;
    this.cutAtEvent = null;
    this.keptEvents = 0;
    for await (const b of this.inner.batches()) {
      const n = b.length;
      const time = new Float64Array(n);
      let keep = n;
      for (let i = 0; i < n; i++) {
        const op = b.op[i]!;
        if (limit !== null && op !== OP.mark) {
          const id = b.id[i]!;
          if (id >= sizes.length) {
            const grown = new Float64Array(Math.max(id + 1, sizes.length * 2));
            grown.set(sizes);
            sizes = grown;
          }
          if (op === OP.free) {
            live -= sizes[id]!;
            sizes[id] = 0;
          } else {
            const next = live - (op === OP.realloc ? sizes[id]! : 0) + b.size[i]!;
            if (next > limit) {
              keep = i;
              break;
            }
            live = next;
            sizes[id] = b.size[i]!;
          }
        }
        if (op === OP.mark) marks++;
        time[i] = (event + i) * tickNs + marks * idleNs;
      }
      event += keep;
      this.keptEvents = event;
      if (keep > 0) yield sliceBatch(b, keep, time);
      if (keep < n) {
        this.cutAtEvent = event;
        return;
      }
    }
  }
}

function sliceBatch(b: EventBatch, keep: number, time: Float64Array): EventBatch {
  const labels = new Map<number, string>();
  for (const [i, label] of b.labels) if (i < keep) labels.set(i, label);
  return {
    length: keep,
    op: b.op.subarray(0, keep),
    id: b.id.subarray(0, keep),
    size: b.size.subarray(0, keep),
    align: b.align.subarray(0, keep),
    thread: new Uint16Array(keep),
    timeNs: time.subarray(0, keep),
    domain: b.domain.subarray(0, keep),
    line: b.line.subarray(0, keep),
    labels,
  };
}

// ---- what can be calibrated, and how ----------------------------------------

export interface CalibrationPlan {
  /** Why the trace cannot be replayed for real; null when it can. */
  skip: string | null;
  /** Live-data limit from the memory-limit hint; null = the whole trace. */
  liveLimitBytes: number | null;
}

/**
 * Decide from a trace's hints how it is calibrated. A 32-bit trace needs a
 * 32-bit process (its point is a request that fails for want of address
 * space, which a 64-bit replayer would serve). A memory-limit trace is cut
 * where live data passes the limit: replayed whole, the real run would commit
 * the gigabytes the hint exists to stop at.
 */
export function calibrationPlan(meta: TraceMeta, tracePath: string): CalibrationPlan {
  const bits = meta[HINT_ADDRESS_SPACE]?.trim();
  if (bits === '32') {
    return {
      skip: 'needs a 32-bit process (trace hint "address-space: 32"): the native replayer is a 64-bit program, where the final large request succeeds, so there is no real run to compare the 32-bit model with',
      liveLimitBytes: null,
    };
  }
  const limitText = meta[HINT_MEMORY_LIMIT];
  if (limitText === undefined) return { skip: null, liveLimitBytes: null };
  const limit = parseBytes(limitText);
  if (limit === null || limit <= 0) throw new UsageError(`${tracePath}: metadata "# ${HINT_MEMORY_LIMIT}: ${limitText}" is not valid; expected a byte size such as 2GiB`);
  return { skip: null, liveLimitBytes: limit };
}

// ---- comparing a model run with a real run ----------------------------------

export interface RssComparison {
  modelBytes: number;
  realBytes: number;
  /** model − real: positive when the model claims more RSS than the real allocator holds. */
  errorBytes: number;
  /** errorBytes / realBytes × 100; null when the real RSS is 0 and the model's is not. */
  errorPct: number | null;
}

/**
 * How far apart repeated real runs landed at one point. Real jemalloc is not
 * repeatable: its decay follows the wall clock and purges whole extents when
 * an epoch passes, so the same mark of the same trace differs run to run.
 */
export interface RealSpread {
  /** Real runs compared (the point's realBytes is their median). */
  runs: number;
  realMinBytes: number;
  realMaxBytes: number;
  /** How far the model lies outside [min, max]: model − max above it, model − min below it, 0 inside. */
  outsideBytes: number;
}

export interface PointComparison extends RssComparison {
  /** A mark's label, or "peak" / "final". */
  point: string;
  kind: 'mark' | 'peak' | 'final';
  /** The mark's event index (null for peak and final). */
  event: number | null;
  /** Present when the real allocator ran more than once. */
  spread?: RealSpread;
}

export interface CalibrationPair {
  /** Canonical model spec, e.g. "glibc@2.35". */
  model: string;
  /** The real run's name and version, e.g. "glibc (real)@2.36". */
  real: string;
  modelStatus: RunStatus;
  realStatus: RunStatus;
  /** Wall time of the real replay (its clock, which jemalloc's decay follows), seconds; the median of several runs. */
  realSeconds: number;
  /** Real runs behind each point (1, or the --real-runs count). */
  realRuns: number;
  points: PointComparison[];
}

export function compareRss(modelBytes: number, realBytes: number): RssComparison {
  const errorBytes = modelBytes - realBytes;
  const errorPct = realBytes > 0 ? (errorBytes / realBytes) * 100 : errorBytes === 0 ? 0 : null;
  return { modelBytes, realBytes, errorBytes, errorPct };
}

/** The median of a few numbers (the mean of the middle two when their count is even, rounded down). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.floor((sorted[mid - 1]! + sorted[mid]!) / 2);
}

/** Compare a model figure with the same figure of one or more real runs (their median, and their spread when several). */
function comparePoint(modelBytes: number, realBytes: readonly number[]): RssComparison & { spread?: RealSpread } {
  const out: RssComparison & { spread?: RealSpread } = compareRss(modelBytes, median(realBytes));
  if (realBytes.length > 1) {
    const min = Math.min(...realBytes);
    const max = Math.max(...realBytes);
    out.spread = { runs: realBytes.length, realMinBytes: min, realMaxBytes: max, outsideBytes: modelBytes > max ? modelBytes - max : modelBytes < min ? modelBytes - min : 0 };
  }
  return out;
}

/**
 * Pair a model run with the real run(s) of the same trace: marks in order
 * (they must agree), then peak and final. With several real runs each point
 * compares with their median and records their spread.
 */
export function pairRuns(model: RunResult, realRuns: RunResult | readonly RunResult[]): CalibrationPair {
  const reals = Array.isArray(realRuns) ? (realRuns as readonly RunResult[]) : [realRuns as RunResult];
  const real = reals[0]!;
  const points: PointComparison[] = [];
  const n = Math.min(model.marks.length, ...reals.map((r) => r.marks.length));
  for (let i = 0; i < n; i++) {
    const m = model.marks[i]!;
    for (const run of reals) {
      const r = run.marks[i]!;
      if (m.label !== r.label || m.event !== r.event) {
        throw new Error(`calibration of ${model.trace.name}: mark ${i + 1} is "${m.label}" at event ${m.event} in the model run but "${r.label}" at event ${r.event} in the real run`);
      }
    }
    points.push({ point: m.label, kind: 'mark', event: m.event, ...comparePoint(m.rssBytes, reals.map((r) => r.marks[i]!.rssBytes)) });
  }
  // A run that stopped early (allocation failure) has fewer marks: the missing ones are not compared.
  points.push({ point: 'peak', kind: 'peak', event: null, ...comparePoint(model.peakRssBytes, reals.map((r) => r.peakRssBytes)) });
  points.push({ point: 'final', kind: 'final', event: null, ...comparePoint(model.finalRssBytes, reals.map((r) => r.finalRssBytes)) });
  return {
    model: `${model.model.name}@${model.model.preset}`,
    real: `${real.model.name}@${real.model.preset}`,
    modelStatus: model.status,
    realStatus: reals.find((r) => r.status !== 'ok')?.status ?? 'ok',
    realSeconds: median(reals.map((r) => r.replay.seconds)),
    realRuns: reals.length,
    points,
  };
}

export interface CalibrationTrace {
  name: string;
  path: string;
  sha256: string;
  /** Events replayed (after a memory-limit cut). */
  events: number;
  /** Why the trace was not calibrated; null when it was. */
  skipped: string | null;
  /** How the replay differed from the whole trace (the memory-limit cut); null when it did not. */
  note: string | null;
  pairs: CalibrationPair[];
}

export interface WorstError {
  model: string;
  trace: string;
  point: string;
  comparison: RssComparison;
  /** For byOutside: model − the nearest end of the real spread. */
  outsideBytes?: number;
  spread?: RealSpread;
}

export interface ModelWorst {
  /** Model name (glibc, jemalloc). */
  model: string;
  /** Largest |error %| over all marks of all traces (marks with a real RSS of 0 left out). */
  byPct: WorstError | null;
  /** Largest |error bytes| over all marks of all traces. */
  byBytes: WorstError | null;
  /** With several real runs: the mark where the model lies farthest outside the real runs' spread (null when none is outside, or one real run). */
  byOutside: WorstError | null;
  /** Marks compared. */
  marks: number;
}

function modelName(spec: string): string {
  return spec.split('@')[0]!;
}

/** The worst mark per model over every calibrated trace (marks only: peak and final are shown per trace). */
export function worstErrors(traces: readonly CalibrationTrace[], models: readonly string[]): ModelWorst[] {
  return models.map((name) => {
    const out: ModelWorst = { model: name, byPct: null, byBytes: null, byOutside: null, marks: 0 };
    for (const t of traces) {
      for (const pair of t.pairs) {
        if (modelName(pair.model) !== name) continue;
        for (const p of pair.points) {
          if (p.kind !== 'mark') continue;
          out.marks++;
          const entry: WorstError = { model: pair.model, trace: t.name, point: p.point, comparison: compareRss(p.modelBytes, p.realBytes) };
          if (p.errorPct !== null && (out.byPct === null || Math.abs(p.errorPct) > Math.abs(out.byPct.comparison.errorPct!))) out.byPct = entry;
          if (out.byBytes === null || Math.abs(p.errorBytes) > Math.abs(out.byBytes.comparison.errorBytes)) out.byBytes = entry;
          const outside = p.spread?.outsideBytes ?? 0;
          if (outside !== 0 && (out.byOutside === null || Math.abs(outside) > Math.abs(out.byOutside.outsideBytes ?? 0))) {
            out.byOutside = { ...entry, outsideBytes: outside, spread: p.spread };
          }
        }
      }
    }
    return out;
  });
}

// ---- running it -------------------------------------------------------------

export interface CalibrateOptions {
  /** Model specs, e.g. ["glibc", "jemalloc@5.3"]; each must have a real counterpart. */
  models: readonly string[];
  touch: TouchPolicy;
  idleMs: number;
  /**
   * Model clock step per event (default 0; see the header comment), or
   * 'auto': each model steps at the average pace its real counterpart's
   * replay measured (wall ns per event), so decay sees about the time the
   * real allocator saw; the model side is then as unrepeatable as the real one.
   */
  tickNs?: number | 'auto';
  /** Model parameter overrides per model name (`--param jemalloc.tcache=false`). */
  params?: Record<string, ParamValues>;
  /** Extra environment for the real runs (`MALLOC_CONF=tcache:false`), to match a changed model parameter. */
  env?: Record<string, string>;
  /** Replay each trace through the real allocators this many times (default 1); points compare with the median. */
  realRuns?: number;
  lenient: boolean;
  /** Called when a step starts (for a progress line). */
  onStep?: (text: string) => void;
}

export interface CalibrationResult {
  schema: typeof CALIBRATION_SCHEMA;
  tool: ResultFile['tool'];
  /** ISO time the file was written (timing field). */
  createdAt: string;
  options: { models: string[]; touch: TouchPolicy; idleMs: number; tickNs: number | 'auto'; realRuns: number; lenient: boolean; params: string[]; env: Record<string, string> };
  traces: CalibrationTrace[];
  worst: ModelWorst[];
  /** Every run, model and real, without address maps (report and compare can read them). */
  runs: RunResult[];
}

/** Parse the model list; a model without a real counterpart is a UsageError. */
export function calibrationModels(texts: readonly string[]): ModelSpec[] {
  if (texts.length === 0) throw new UsageError('--models is empty; name glibc, jemalloc or both');
  const specs = texts.map((t) => parseModelSpec(t));
  for (const s of specs) {
    if (!(s.name in REAL_COUNTERPART)) {
      throw new UsageError(`model ${s.name} has no real allocator to calibrate against; calibrate takes ${Object.keys(REAL_COUNTERPART).join(', ')}`);
    }
  }
  const names = specs.map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new UsageError(`--models names ${twice} twice; calibrate one preset of each model per run`);
  return specs;
}

/** Wall ns per event of a real replay (idle and measuring excluded), rounded to whole ns. */
export function realPace(real: RunResult): number {
  return real.replay.events > 0 ? Math.round((real.replay.seconds * 1e9) / real.replay.events) : 0;
}

function cutNote(cutAtEvent: number, limit: number): string {
  return `replayed up to event ${cutAtEvent}, the first that would take live data past the memory-limit hint (${formatBytes(limit)}): the real run is not limited, so the whole trace would commit the memory the hint stops at; neither side is OOM-killed`;
}

/** Calibrate one opened trace: the real runs first (one replay stream for all allocators), then each model. */
export async function calibrateSource(inner: TraceSource, specs: readonly ModelSpec[], options: CalibrateOptions): Promise<{ trace: CalibrationTrace; runs: RunResult[] }> {
  const name = traceName(inner);
  const path = inner.path;
  const plan = calibrationPlan(inner.meta, path);
  const sha256 = await inner.sha256();
  if (plan.skip !== null) {
    return { trace: { name, path, sha256, events: 0, skipped: plan.skip, note: null, pairs: [] }, runs: [] };
  }
  const source = new CalibrationSource(inner, { tickNs: options.tickNs === 'auto' ? 0 : (options.tickNs ?? 0), idleNs: options.idleMs * 1e6, liveLimitBytes: plan.liveLimitBytes });
  const repeats = options.realRuns ?? 1;
  // realRuns[k][i]: the k-th real replay of the i-th model's counterpart.
  const realRuns: RunResult[][] = [];
  for (let k = 0; k < repeats; k++) {
    options.onStep?.(`${name}: real ${specs.map((s) => s.name).join(', ')}${repeats > 1 ? ` (run ${k + 1} of ${repeats})` : ''}`);
    realRuns.push(
      await runRealTrace(source, {
        allocators: specs.map((s) => REAL_COUNTERPART[s.name]!),
        touch: options.touch,
        idleMs: options.idleMs,
        tickNs: 0,
        lenient: options.lenient,
        ...(options.env ? { env: options.env } : {}),
      }),
    );
  }
  const cut = source.cutAtEvent;
  const runs: RunResult[] = [];
  const pairs: CalibrationPair[] = [];
  for (const [i, spec] of specs.entries()) {
    options.onStep?.(`${name}: model ${formatModelSpec(spec)}`);
    const reals = realRuns.map((run) => run[i]!);
    const realRun = reals[0]!;
    const pace = median(reals.map((r) => realPace(r)));
    const modelSource = options.tickNs === 'auto' ? new CalibrationSource(inner, { tickNs: pace, idleNs: options.idleMs * 1e6, liveLimitBytes: plan.liveLimitBytes }) : source;
    const instance = createModel(spec, options.params ?? {}, { bits: 64 });
    const modelRun = await replay(modelSource, instance, {
      touch: options.touch,
      tickNs: 0,
      memoryLimitBytes: null,
      addressSpaceBits: 64,
      lenient: options.lenient,
      addressMaps: false,
    });
    pairs.push(pairRuns(modelRun, reals));
    // The first real run stands for the others in the JSON's runs (reports and compare read it).
    runs.push(modelRun, realRun);
  }
  const note = cut !== null && plan.liveLimitBytes !== null ? cutNote(cut, plan.liveLimitBytes) : null;
  return { trace: { name, path, sha256, events: source.keptEvents, skipped: null, note, pairs }, runs };
}

function paramList(params: Record<string, ParamValues> | undefined): string[] {
  const out: string[] = [];
  for (const model of Object.keys(params ?? {}).sort()) for (const [k, v] of Object.entries(params![model]!)) out.push(`${model}.${k}=${String(v)}`);
  return out;
}

/** Calibrate every trace in order; results are in trace order, then model order. */
export async function calibrate(paths: readonly string[], options: CalibrateOptions): Promise<Omit<CalibrationResult, 'tool' | 'createdAt'>> {
  const specs = calibrationModels(options.models);
  const traces: CalibrationTrace[] = [];
  const runs: RunResult[] = [];
  for (const path of paths) {
    const done = await calibrateSource(await openTrace(path, { lenient: options.lenient }), specs, options);
    traces.push(done.trace);
    runs.push(...done.runs);
  }
  return {
    schema: CALIBRATION_SCHEMA,
    options: { models: specs.map(formatModelSpec), touch: options.touch, idleMs: options.idleMs, tickNs: options.tickNs ?? 0, realRuns: options.realRuns ?? 1, lenient: options.lenient, params: paramList(options.params), env: { ...options.env } },
    traces,
    worst: worstErrors(traces, specs.map((s) => s.name)),
    runs,
  };
}

// Compares two result files: every memory figure that changed, the ones that
// got worse past the threshold, and timing regressions that are both large and
// statistically significant. Pure: result files in, a Comparison out.
import { mean, permutationTest } from 'simple-statistics';
import { mulberry32 } from '../allocators/prng.ts';
import type { ResultFile, RunResult } from '../harness/result.ts';

export interface CompareOptions {
  /** Relative change (0.01 = 1 %) past which a worse memory figure is a regression. */
  threshold: number;
  /** Relative slowdown past which a timing change may be a regression (if also significant). */
  timeThreshold: number;
  /** Significance level of the timing test. */
  alpha?: number;
}

/** One figure of one run, before and after. */
export interface FigureDelta {
  figure: string;
  baseline: number;
  current: number;
  /** (current − baseline) / baseline; ±Infinity when the baseline is 0 and the current is not. */
  relative: number;
  unit: 'bytes' | 'ratio' | 'events/s';
  /** Whether bigger is worse for this figure. */
  worse: 'up' | 'down';
  regression: boolean;
  /** For timing: the test and its p-value. */
  test?: { name: string; pValue: number; samples: [number, number] };
}

export interface RunComparison {
  key: string;
  trace: string;
  model: string;
  statusBefore: string;
  statusAfter: string;
  /** Parameters that differ between the two runs ("trim_threshold: 131072 → 67108864"). */
  paramChanges: string[];
  deltas: FigureDelta[];
  regression: boolean;
}

export interface Comparison {
  runs: RunComparison[];
  /** Keys of runs only in the baseline / only in the current file. */
  onlyBaseline: string[];
  onlyCurrent: string[];
  regressions: number;
  /** Timing figures compared without samples on one side (ratio only, never a regression). */
  timingWithoutSamples: number;
}

/** Params in a stable order so that {a,b} and {b,a} match. */
function canonicalParams(params: Record<string, unknown>): string {
  return Object.keys(params)
    .sort()
    .map((k) => `${k}=${String(params[k])}`)
    .join(',');
}

function modelLabel(run: RunResult): string {
  const m = run.model;
  return `${m.name}@${m.preset}${m.backing ? `+${m.backing}` : ''}`;
}

/** The identity a run is matched by: model, preset, backing and params (the trace part is matched separately). */
function modelKey(run: RunResult): string {
  return `${modelLabel(run)} [${canonicalParams(run.model.params)}]`;
}

/** The model without its params: what a tuning change or a changed preset default keeps. */
function modelOnlyKey(run: RunResult): string {
  return modelLabel(run);
}

/**
 * Pair runs, most exact identity first: trace sha256 + model with params; then
 * trace name + model with params (a regenerated trace has a new sha256 but the
 * same name); then, for runs still unpaired, trace + model without params when
 * that leaves exactly one candidate on each side — a parameter change (a tuned
 * run, or a preset whose default moved) is then compared, and shown, rather than
 * reported as two unmatched runs.
 */
function pairRuns(base: RunResult[], cur: RunResult[]): { pairs: [RunResult, RunResult][]; onlyBase: RunResult[]; onlyCur: RunResult[] } {
  const pairs: [RunResult, RunResult][] = [];
  const leftBase = new Set(base);
  const leftCur = new Set(cur);
  const stages: ((r: RunResult) => string)[] = [
    (r) => `${r.trace.sha256}|${modelKey(r)}`,
    (r) => `${r.trace.name}|${modelKey(r)}`,
    (r) => `${r.trace.sha256}|${modelOnlyKey(r)}`,
    (r) => `${r.trace.name}|${modelOnlyKey(r)}`,
  ];
  stages.forEach((keyOf, stage) => {
    const unique = stage >= 2;
    const byKey = new Map<string, RunResult[]>();
    for (const r of leftBase) byKey.set(keyOf(r), [...(byKey.get(keyOf(r)) ?? []), r]);
    const curCount = new Map<string, number>();
    for (const r of leftCur) curCount.set(keyOf(r), (curCount.get(keyOf(r)) ?? 0) + 1);
    for (const r of [...leftCur]) {
      const candidates = byKey.get(keyOf(r));
      if (!candidates?.length) continue;
      if (unique && (candidates.length !== 1 || curCount.get(keyOf(r)) !== 1)) continue;
      const b = candidates.shift()!;
      pairs.push([b, r]);
      leftBase.delete(b);
      leftCur.delete(r);
    }
  });
  return { pairs, onlyBase: [...leftBase], onlyCur: [...leftCur] };
}

/** Params whose values differ between the paired runs, as "name: before → after". */
function paramChanges(before: RunResult, after: RunResult): string[] {
  const names = [...new Set([...Object.keys(before.model.params), ...Object.keys(after.model.params)])].sort();
  return names.filter((n) => before.model.params[n] !== after.model.params[n]).map((n) => `${n}: ${String(before.model.params[n] ?? '(unset)')} → ${String(after.model.params[n] ?? '(unset)')}`);
}

function relativeChange(before: number, after: number): number {
  if (before === after) return 0;
  if (before === 0) return after > 0 ? Infinity : -Infinity;
  return (after - before) / Math.abs(before);
}

/**
 * Bytes regress when they grow by more than the threshold, relative to the
 * baseline. A fragmentation ratio is already relative, and near zero any tiny
 * change is a large relative one: it regresses when it grows by more than the
 * threshold in absolute terms (1 % = one percentage point more waste).
 */
function memoryDelta(figure: string, before: number, after: number, unit: 'bytes' | 'ratio', threshold: number): FigureDelta {
  const relative = relativeChange(before, after);
  const regression = unit === 'ratio' ? after - before > threshold : relative > threshold;
  return { figure, baseline: before, current: after, relative, unit, worse: 'up', regression };
}

/** Mark figures keyed by label, with a #n suffix for repeated labels. */
function markFigures(run: RunResult): Map<string, number> {
  const seen = new Map<string, number>();
  const out = new Map<string, number>();
  for (const m of run.marks) {
    const n = (seen.get(m.label) ?? 0) + 1;
    seen.set(m.label, n);
    out.set(n === 1 ? m.label : `${m.label} #${n}`, m.rssBytes);
  }
  return out;
}

export const TIMING_TEST_NAME = 'one-sided permutation test on mean ms per replay (simple-statistics permutationTest, 10000 permutations, seeded)';

function timingDelta(before: RunResult, after: RunResult, options: CompareOptions): FigureDelta | null {
  const b = before.replay;
  const a = after.replay;
  if (!b || !a || !(b.eventsPerSecond > 0) || !(a.eventsPerSecond > 0)) return null;
  // Throughput: down is worse; the slowdown ratio is what the threshold applies to.
  const relative = relativeChange(b.eventsPerSecond, a.eventsPerSecond);
  const slowdown = b.eventsPerSecond / a.eventsPerSecond - 1;
  const delta: FigureDelta = { figure: 'events/s', baseline: b.eventsPerSecond, current: a.eventsPerSecond, relative, unit: 'events/s', worse: 'down', regression: false };
  const xs = a.samplesMs;
  const ys = b.samplesMs;
  if (xs && ys && xs.length >= 2 && ys.length >= 2) {
    // H1: the current replay takes longer than the baseline (greater mean ms).
    const pValue = permutationTest(xs, ys, 'greater', 10000, mulberry32(0x5eed));
    delta.test = { name: TIMING_TEST_NAME, pValue, samples: [ys.length, xs.length] };
    delta.regression = slowdown > options.timeThreshold && pValue < (options.alpha ?? 0.05) && mean(xs) > mean(ys);
  }
  return delta;
}

function compareRun(before: RunResult, after: RunResult, options: CompareOptions): RunComparison {
  const t = options.threshold;
  const deltas: FigureDelta[] = [
    memoryDelta('peak RSS', before.peakRssBytes, after.peakRssBytes, 'bytes', t),
    memoryDelta('final RSS', before.finalRssBytes, after.finalRssBytes, 'bytes', t),
    memoryDelta('peak live', before.peakLiveBytes, after.peakLiveBytes, 'bytes', t),
    memoryDelta('free resident (end)', before.freeResidentBytes, after.freeResidentBytes, 'bytes', t),
    memoryDelta('J&W #4', before.fragmentation.jw4, after.fragmentation.jw4, 'ratio', t),
  ];
  const bm = markFigures(before);
  for (const [label, v] of markFigures(after)) {
    const old = bm.get(label);
    if (old !== undefined) deltas.push(memoryDelta(`RSS at '${label}'`, old, v, 'bytes', t));
  }
  const timing = timingDelta(before, after, options);
  if (timing) deltas.push(timing);
  const statusWorse = before.status === 'ok' && after.status !== 'ok';
  return {
    key: `${after.trace.name} · ${modelKey(after)}`,
    trace: after.trace.name,
    model: modelLabel(after),
    statusBefore: before.status,
    statusAfter: after.status,
    paramChanges: paramChanges(before, after),
    deltas,
    regression: statusWorse || deltas.some((d) => d.regression),
  };
}

export function compareResults(baseline: ResultFile, current: ResultFile, options: CompareOptions): Comparison {
  const { pairs, onlyBase, onlyCur } = pairRuns(baseline.runs, current.runs);
  const runs = pairs.map(([b, c]) => compareRun(b, c, options));
  const timingWithoutSamples = runs.filter((r) => r.deltas.some((d) => d.unit === 'events/s' && !d.test)).length;
  return {
    runs,
    onlyBaseline: onlyBase.map((r) => `${r.trace.name} · ${modelKey(r)}`),
    onlyCurrent: onlyCur.map((r) => `${r.trace.name} · ${modelKey(r)}`),
    regressions: runs.filter((r) => r.regression).length,
    timingWithoutSamples,
  };
}

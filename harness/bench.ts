// Timing replays with tinybench. A bench job is a run-matrix cell replayed
// again and again from the compiled form of its trace: each iteration builds
// a fresh model (outside the timed window) and times one whole `replay()`,
// the same function `run` uses, so a bench result carries a normal run's
// memory figures plus the timing samples that `compare` tests.
import { basename, join } from 'node:path';
import { Bench, type Task } from 'tinybench';
import { createModel, parseModelSpec, type ModelInstance } from '../allocators/registry.ts';
import { compileTrace } from '../traces/compiled.ts';
import { openTrace, traceForm } from '../traces/open.ts';
import { hashFile } from '../traces/reader.ts';
import type { RunJob } from './matrix.ts';
import { replay } from './replayer.ts';
import type { ReplayCost, RunResult } from './result.ts';
import { addressSpaceOptionsFor, effectiveRunOptions, type RunOptionsInput } from './run-options.ts';

export interface BenchSettings {
  /** tinybench time budget per job, ms: iterations continue until both this and `iterations` are reached. */
  timeMs: number;
  /** Minimum number of timed replays per job. */
  iterations: number;
  /** Untimed replays first, so the JIT has compiled the hot path (default 1). */
  warmupIterations?: number;
}

export const DEFAULT_BENCH_SETTINGS: Readonly<Required<BenchSettings>> = { timeMs: 1000, iterations: 5, warmupIterations: 1 };

/** Latency statistics of one job, ms per whole replay, and the event rates they mean. */
export interface BenchStats {
  samples: number;
  meanMs: number;
  medianMs: number;
  p75Ms: number;
  p99Ms: number;
  /** Relative margin of error of the mean (95 %), in percent. */
  rmePercent: number;
  /** Events per second at the median, p75 and p99 replay time (p75/p99 are the slower runs). */
  eventsPerSecond: { median: number; p75: number; p99: number };
}

export interface BenchHooks {
  /** Called before each timed or warm-up replay, with its number (1-based) in its phase. */
  onIteration?: (phase: 'warmup' | 'run', n: number) => void;
  /** Events replayed so far in the current replay. */
  onProgress?: (events: number) => void;
}

export interface BenchedRun {
  result: RunResult;
  stats: BenchStats;
}

function rate(events: number, ms: number): number {
  return ms > 0 ? events / (ms / 1000) : 0;
}

/** The replay cost a bench result records: the median sample stands for the run, every sample kept for `compare`. */
export function benchReplayCost(events: number, stats: BenchStats, samplesMs: readonly number[]): ReplayCost {
  return { events, seconds: stats.medianMs / 1000, eventsPerSecond: stats.eventsPerSecond.median, samplesMs: [...samplesMs] };
}

function statsOf(task: Task, events: number): { stats: BenchStats; samplesMs: number[] } {
  const r = task.result;
  if (r.state === 'errored') throw r.error;
  if (r.state !== 'completed') throw new Error(`tinybench task "${task.name}" ended in state ${r.state}`);
  const lat = r.latency;
  const samplesMs = lat.samples ? [...lat.samples] : [];
  const stats: BenchStats = {
    samples: lat.samplesCount,
    meanMs: lat.mean,
    medianMs: lat.p50,
    p75Ms: lat.p75,
    p99Ms: lat.p99,
    rmePercent: lat.rme,
    eventsPerSecond: { median: rate(events, lat.p50), p75: rate(events, lat.p75), p99: rate(events, lat.p99) },
  };
  return { stats, samplesMs };
}

/** The memory figures every replay of a deterministic model must repeat; a difference is a bug in the model or the replayer. */
function memoryFingerprint(r: RunResult): string {
  return `${r.status} ${r.peakRssBytes} ${r.finalRssBytes} ${r.peakLiveBytes} ${r.peakMappedBytes} ${r.marks.map((m) => m.rssBytes).join(',')}`;
}

/**
 * Replay `job` from the compiled trace at `compiledPath` under tinybench.
 * `job.tracePath` is the trace the user named: its path and sha256 go in the
 * result, so a bench result pairs with `run` results of the same trace.
 */
export async function benchJob(job: RunJob, compiledPath: string, input: RunOptionsInput, settings: BenchSettings, hooks: BenchHooks = {}): Promise<BenchedRun> {
  const source = await openTrace(compiledPath);
  const options = effectiveRunOptions(input, source.meta, job.tracePath);
  const spec = parseModelSpec(job.model);
  const build = (): ModelInstance => createModel(spec, job.overrides, addressSpaceOptionsFor(options));
  build(); // a bad spec or parameter fails here, before any timing

  let instance: ModelInstance | null = null;
  let kept: RunResult | null = null;
  let fingerprint: string | null = null;
  const counts = { warmup: 0, run: 0 };
  const bench = new Bench({
    time: settings.timeMs,
    iterations: settings.iterations,
    warmup: (settings.warmupIterations ?? 1) > 0,
    warmupIterations: settings.warmupIterations ?? 1,
    warmupTime: 0,
    retainSamples: true,
    throws: true,
  });
  bench.add(
    `${job.model} on ${job.tracePath}`,
    async () => {
      const result = await replay(source, instance!, { ...options, onProgress: hooks.onProgress });
      const print = memoryFingerprint(result);
      if (fingerprint !== null && print !== fingerprint) {
        throw new Error(`${job.model} on ${job.tracePath}: two replays of the same trace gave different memory figures (${fingerprint} vs ${print}); the model is not deterministic`);
      }
      fingerprint = print;
      kept = result;
    },
    {
      async: true,
      beforeEach(mode) {
        const phase = mode === 'warmup' ? 'warmup' : 'run';
        counts[phase]++;
        hooks.onIteration?.(phase, counts[phase]);
        // A fresh model on a fresh address space per replay, built outside the timed window.
        instance = build();
      },
      afterEach() {
        instance = null;
      },
    },
  );
  await bench.run();
  const task = bench.tasks[0]!;
  const result = kept as RunResult | null;
  if (result === null) throw new Error(`tinybench made no replay of ${job.model} on ${job.tracePath}`);
  const { stats, samplesMs } = statsOf(task, result.replay.events);
  const sha256 = (await traceForm(job.tracePath)) === 'compiled' ? result.trace.sha256 : await hashFile(job.tracePath);
  return {
    result: { matrixIndex: job.index, ...result, trace: { ...result.trace, path: job.tracePath, sha256 }, replay: benchReplayCost(result.replay.events, stats, samplesMs) },
    stats,
  };
}

/**
 * The compiled form of each trace: compiled ones as they are, CSV compiled
 * (validated, lenient when asked) into `tempDir`. Returns trace path → compiled path.
 */
export async function compileForBench(tracePaths: readonly string[], tempDir: string, lenient: boolean): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [i, path] of tracePaths.entries()) {
    if (out.has(path)) continue;
    if ((await traceForm(path)) === 'compiled') {
      out.set(path, path);
      continue;
    }
    // Named after the trace, so a trace without `# name:` gets the same display name as in `run`.
    const stem = (basename(path) || 'trace').replace(/(\.csv)?(\.gz)?$/i, '');
    const compiled = join(tempDir, String(i), `${stem}.hrt`);
    await compileTrace(path, compiled, { lenient });
    out.set(path, compiled);
  }
  return out;
}

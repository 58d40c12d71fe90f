// `heapreplay bench [traces..]`: time the replay of each trace × model with
// tinybench, from the compiled form of the trace (CSV is compiled to a temp
// .hrt first, so parsing is not what gets timed). The result file is a normal
// run's (same replayer, same memory figures) with the timing samples added,
// so `compare` can test two bench results for a significant slowdown.
// Jobs run one after another in this process: timings taken while other
// replays compete for the cores would measure the machine, not the code.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { escapeTerminal } from '../../reports/escape.ts';
import { formatBytes, formatCount } from '../../reports/format.ts';
import { renderTable, terminalTableStyle, type Table } from '../../reports/table.ts';
import { benchJob, compileForBench, DEFAULT_BENCH_SETTINGS, type BenchSettings, type BenchStats } from '../bench.ts';
import { UsageError } from '../cli-errors.ts';
import { EXPORT_OPTION, parseExportTargets, writeExports } from '../exports.ts';
import { appendResultToHistory, checkHistoryFile, HISTORY_OPTION } from '../history-option.ts';
import { expandMatrix, parseSweepParams, splitModelList } from '../matrix.ts';
import { writeFileAtomic } from '../output-file.ts';
import { ProgressLine, progressEnabled } from '../progress.ts';
import { formatResultFile } from '../result-file.ts';
import { RESULT_SCHEMA, type ResultFile, type RunResult } from '../result.ts';
import { commandOptionsRecord } from '../run-options.ts';
import { toolIdentity } from '../version.ts';
import { checkTraceFiles, runOptionsInput, withReplayOptions, type ReplayArgs } from './run.ts';

export interface BenchArgs extends ReplayArgs {
  time: number;
  iterations: number;
  warmup: number;
  json?: string;
  export?: string[];
  history?: string;
  progress: boolean;
}

/** One benched cell: its result and its statistics. */
export interface BenchRow {
  result: RunResult;
  stats: BenchStats;
}

export function benchSettings(args: Pick<BenchArgs, 'time' | 'iterations' | 'warmup'>): Required<BenchSettings> {
  const { time, iterations, warmup } = args;
  if (!Number.isFinite(time) || time < 0) throw new UsageError(`--time ${time} is not valid; expected milliseconds of timed replays per run, ≥ 0`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new UsageError(`--iterations ${iterations} is not valid; expected a whole number ≥ 1`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new UsageError(`--warmup ${warmup} is not valid; expected a whole number ≥ 0`);
  return { timeMs: time, iterations, warmupIterations: warmup };
}

function modelLabel(run: RunResult): string {
  const m = run.model;
  return `${m.name}@${m.preset}${m.backing ? `+${m.backing}` : ''}`;
}

/** Swept parameters distinguish rows of the same model and trace. */
function sweepLabel(run: RunResult, swept: ReadonlySet<string>): string {
  const parts = Object.keys(run.model.params)
    .filter((k) => swept.has(k))
    .sort()
    .map((k) => `${k}=${String(run.model.params[k])}`);
  return parts.join(' ');
}

function rateText(eventsPerSecond: number): string {
  if (!(eventsPerSecond > 0)) return 'n/a';
  return eventsPerSecond >= 1e6 ? `${(eventsPerSecond / 1e6).toFixed(2)} M` : `${(eventsPerSecond / 1e3).toFixed(1)} k`;
}

/** The terminal tables: one per model, a row per trace (and sweep value). */
export function renderBenchTables(rows: readonly BenchRow[], sweptParams: readonly string[] = []): string {
  const swept = new Set(sweptParams);
  const byModel = new Map<string, BenchRow[]>();
  for (const row of rows) {
    const key = modelLabel(row.result);
    const list = byModel.get(key) ?? [];
    list.push(row);
    byModel.set(key, list);
  }
  const out: string[] = [];
  for (const [model, list] of byModel) {
    const withSweep = list.some((r) => sweepLabel(r.result, swept) !== '');
    const table: Table = {
      columns: [
        { header: 'trace', align: 'left' },
        ...(withSweep ? [{ header: 'params', align: 'left' as const }] : []),
        { header: 'events', align: 'right' },
        { header: 'ev/s median', align: 'right' },
        { header: 'p75', align: 'right' },
        { header: 'p99', align: 'right' },
        { header: '±rme', align: 'right' },
        { header: 'samples', align: 'right' },
        { header: 'ms median', align: 'right' },
        { header: 'peak RSS', align: 'right' },
      ],
      rows: list.map(({ result, stats }) => [
        escapeTerminal(result.trace.name),
        ...(withSweep ? [escapeTerminal(sweepLabel(result, swept))] : []),
        formatCount(result.replay.events),
        rateText(stats.eventsPerSecond.median),
        rateText(stats.eventsPerSecond.p75),
        rateText(stats.eventsPerSecond.p99),
        Number.isFinite(stats.rmePercent) ? `${stats.rmePercent.toFixed(2)} %` : 'n/a',
        String(stats.samples),
        stats.medianMs.toFixed(stats.medianMs >= 100 ? 0 : 2),
        formatBytes(result.peakRssBytes),
      ]),
    };
    out.push(escapeTerminal(model), renderTable(table, terminalTableStyle('  ')), '');
  }
  if (rows.length === 0) out.push('no runs', '');
  out.push('events/s at the median replay time; p75 and p99 are the slower replays; ±rme is the 95 % margin of error of the mean time.');
  return `${out.join('\n')}\n`;
}

/** The whole command apart from argument parsing; returns the result file it made. */
export async function executeBench(args: BenchArgs): Promise<ResultFile> {
  const input = runOptionsInput({ ...args, 'default-suite': false, jobs: 1 });
  const settings = benchSettings(args);
  const exports = parseExportTargets(args.export);
  if (args.history !== undefined) await checkHistoryFile(args.history);
  const traces = args.traces ?? [];
  if (traces.length === 0) throw new UsageError('name at least one trace file to bench (.csv, .csv.gz or compiled .hrt)');
  await checkTraceFiles(traces);

  const sweeps = parseSweepParams(args.param ?? []);
  const matrix = expandMatrix(traces, splitModelList(args.models), sweeps);
  for (const p of matrix.unusedParams) process.stderr.write(`heapreplay: warning: --param ${p} names a model that no run uses; it changes nothing\n`);
  const sweptParams = sweeps.filter((s) => s.values.length > 1).flatMap((s) => [s.param, `backing.${s.param}`]);

  const progress = new ProgressLine(matrix.jobs.length, progressEnabled(args.progress));
  const dir = await mkdtemp(join(tmpdir(), 'heapreplay-bench-'));
  const rows: BenchRow[] = [];
  try {
    const compiled = await compileForBench(traces, dir, args.lenient);
    for (const job of matrix.jobs) {
      const label = `${job.model} on ${job.tracePath.split(/[\\/]/).pop()}`;
      progress.start(job.index, label);
      const benched = await benchJob(job, compiled.get(job.tracePath)!, input, settings, {
        onIteration: (phase, n) => progress.start(job.index, `${label} ${phase === 'warmup' ? 'warm-up' : `replay ${n}`}`),
        onProgress: (events) => progress.progress(job.index, events),
      });
      progress.finish(job.index);
      rows.push(benched);
    }
  } finally {
    progress.clear();
    await rm(dir, { recursive: true, force: true });
  }

  const result: ResultFile = {
    schema: RESULT_SCHEMA,
    tool: await toolIdentity(),
    createdAt: new Date().toISOString(),
    options: commandOptionsRecord(input),
    runs: rows.map((r) => r.result),
  };
  process.stdout.write(renderBenchTables(rows, sweptParams));
  const wrote: string[] = [];
  if (args.json) {
    await writeFileAtomic(args.json, formatResultFile(result));
    wrote.push(`results: ${args.json}`);
  }
  wrote.push(...(await writeExports(result, exports)));
  if (args.history !== undefined) {
    const entry = await appendResultToHistory(args.history, result, args.json);
    wrote.push(`history: ${args.history} (${entry.runs.length} runs appended)`);
  }
  if (wrote.length > 0) process.stdout.write(`\n${wrote.join('\n')}\n`);
  return result;
}

export const benchCommand: CommandModule<object, BenchArgs> = {
  command: 'bench [traces..]',
  describe: 'Time the replay of traces through models with tinybench (events/s with spread); write a result JSON with the samples',
  builder: (y) =>
    withReplayOptions(y.positional('traces', { type: 'string', array: true, describe: 'trace files (.csv, .csv.gz or compiled .hrt); CSV is compiled to a temporary .hrt first' }))
      .option('time', { type: 'number', default: DEFAULT_BENCH_SETTINGS.timeMs, describe: 'tinybench time budget per run, in ms: replays repeat until both --time and --iterations are reached' })
      .option('iterations', { type: 'number', default: DEFAULT_BENCH_SETTINGS.iterations, describe: 'minimum timed replays per run' })
      .option('warmup', { type: 'number', default: DEFAULT_BENCH_SETTINGS.warmupIterations, describe: 'untimed warm-up replays per run' })
      .option('json', { type: 'string', describe: 'write the result JSON (with timing samples) here' })
      .option('export', EXPORT_OPTION)
      .option('history', HISTORY_OPTION)
      .option('progress', { type: 'boolean', default: true, describe: 'show progress on stderr when it is a terminal (--no-progress to hide)' })
      .example('$0 bench trace.csv.gz --models glibc,jemalloc --json bench.json', 'events/s per model, samples in bench.json')
      .example('$0 compare old-bench.json bench.json', 'flags a significant slowdown (permutation test on the samples)') as never,
  handler: async (args) => {
    await executeBench(args);
  },
};

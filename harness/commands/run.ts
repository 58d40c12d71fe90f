// `heapreplay run`: replay traces through models (the run matrix), write the
// result JSON and the markdown report, print a compact summary.
// `--default-suite` is what `npm start` runs: every bundled case study through
// the four models, into reports/latest.*.
import { stat, readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { renderTerminalSummary } from '../../reports/terminal.ts';
import { UsageError } from '../cli-errors.ts';
import { EXPORT_OPTION, parseExportTargets, writeExports, type ExportTarget } from '../exports.ts';
import { appendResultToHistory, checkHistoryFile, HISTORY_OPTION } from '../history-option.ts';
import { DEFAULT_MODELS, expandMatrix, parseSweepParams, splitModelList, type RunJob } from '../matrix.ts';
import { writeFileAtomic } from '../output-file.ts';
import { ProgressLine, progressEnabled } from '../progress.ts';
import { formatResultFile } from '../result-file.ts';
import { RESULT_SCHEMA, type ResultFile } from '../result.ts';
import { commandOptionsRecord, parseMemoryLimit, type RunOptionsInput, type TouchPolicy } from '../run-options.ts';
import { formatShard, inShard, parseShard } from '../shard.ts';
import { PACKAGE_ROOT, toolIdentity } from '../version.ts';
import { runMatrix, WorkerThreads } from '../worker-pool.ts';
import { writeReport } from './report.ts';

/** The arguments `withReplayOptions` declares, shared by run and bench. */
export interface ReplayArgs {
  traces?: string[];
  models: string;
  param?: string[];
  'memory-limit'?: string;
  'address-space'?: number;
  touch: TouchPolicy;
  'tick-ns'?: number;
  lenient: boolean;
}

export interface RunArgs extends ReplayArgs {
  json?: string;
  report?: string;
  jobs?: number;
  progress: boolean;
  'default-suite': boolean;
  shard?: string;
  export?: string[];
  history?: string;
}

/** Where the bundled case-study traces live, and where the default suite writes. */
export const BUNDLED_TRACES_DIR = join(PACKAGE_ROOT, 'traces');
export const DEFAULT_SUITE_JSON = join(PACKAGE_ROOT, 'reports', 'latest.json');
export const DEFAULT_SUITE_REPORT = join(PACKAGE_ROOT, 'reports', 'latest.md');

/** Every bundled `traces/*.csv.gz`, sorted by name, as paths relative to the working directory when inside it. */
export async function bundledTraces(dir = BUNDLED_TRACES_DIR): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.csv.gz')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((n) => {
    const abs = join(dir, n);
    const rel = relative(process.cwd(), abs);
    return rel && !rel.startsWith('..') ? rel : abs;
  });
}

export function runOptionsInput(args: RunArgs): RunOptionsInput {
  const input: RunOptionsInput = { touch: args.touch, lenient: args.lenient };
  if (args['memory-limit'] !== undefined) input.memoryLimitBytes = parseMemoryLimit(args['memory-limit']);
  if (args['address-space'] !== undefined) {
    const bits = args['address-space'];
    if (bits !== 32 && bits !== 64) throw new UsageError(`--address-space ${bits} is not valid; expected 32 or 64`);
    input.addressSpaceBits = bits;
  }
  if (args['tick-ns'] !== undefined) {
    const tick = args['tick-ns'];
    if (!Number.isFinite(tick) || tick < 0) throw new UsageError(`--tick-ns ${tick} is not valid; expected nanoseconds per event, ≥ 0`);
    input.tickNs = tick;
  }
  if (args.shard !== undefined) input.shard = formatShard(parseShard(args.shard));
  return input;
}

function workerCount(args: RunArgs): number {
  if (args.jobs === undefined) return availableParallelism();
  if (!Number.isInteger(args.jobs) || args.jobs < 1) throw new UsageError(`--jobs ${args.jobs} is not valid; expected a whole number ≥ 1`);
  return args.jobs;
}

export async function checkTraceFiles(paths: readonly string[]): Promise<void> {
  for (const p of paths) {
    const s = await stat(p).catch(() => null);
    if (!s) throw new UsageError(`${p}: no such trace file`);
    if (!s.isFile()) throw new UsageError(`${p}: not a file; expected a trace (.csv, .csv.gz or a compiled trace)`);
  }
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/**
 * Threads to start before the matrix is known, when it will surely have a job
 * for each: they load their modules while this thread checks the traces.
 */
function earlyThreads(args: RunArgs, threads: number): WorkerThreads | null {
  if (threads <= 1 || args.shard !== undefined) return null;
  const plannedJobs = args['default-suite'] ? threads : (args.traces ?? []).length * splitModelList(args.models).length;
  return plannedJobs >= threads ? new WorkerThreads(threads) : null;
}

/** The whole command, apart from argument parsing: returns the result file it made. */
export async function executeRun(args: RunArgs): Promise<ResultFile> {
  const input = runOptionsInput(args);
  const exports = parseExportTargets(args.export);
  const threads = workerCount(args);
  const early = earlyThreads(args, threads);
  try {
    return await executeRunWith(args, input, exports, threads, early);
  } finally {
    early?.close();
  }
}

async function executeRunWith(args: RunArgs, input: RunOptionsInput, exports: ExportTarget[], threads: number, early: WorkerThreads | null): Promise<ResultFile> {
  if (args.history !== undefined) await checkHistoryFile(args.history);
  const given = args.traces ?? [];
  let traces = given;
  let jsonPath = args.json;
  let reportPath = args.report;
  if (args['default-suite']) {
    if (given.length > 0) throw new UsageError('--default-suite runs the bundled traces; give either trace files or --default-suite, not both');
    traces = await bundledTraces();
    if (traces.length === 0) throw new UsageError(`no bundled traces (*.csv.gz) in ${BUNDLED_TRACES_DIR}; generate them with heapreplay generate`);
    jsonPath ??= DEFAULT_SUITE_JSON;
    reportPath ??= DEFAULT_SUITE_REPORT;
  } else if (traces.length === 0) {
    throw new UsageError('name at least one trace file, or use --default-suite for the bundled case studies');
  }
  await checkTraceFiles(traces);

  const matrix = expandMatrix(traces, splitModelList(args.models), parseSweepParams(args.param ?? []));
  for (const p of matrix.unusedParams) process.stderr.write(`heapreplay: warning: --param ${p} names a model that no run uses; it changes nothing\n`);
  const shard = args.shard !== undefined ? parseShard(args.shard) : null;
  const jobs = matrix.jobs.filter((j) => inShard(j.index, shard));

  // Asked now (a git subprocess) so that the answer is ready when the runs end.
  const tool = toolIdentity();
  tool.catch(() => undefined); // awaited below; this only keeps an early failure from being reported as unhandled
  const progress = new ProgressLine(jobs.length, progressEnabled(args.progress));
  const label = (j: { tracePath: string; model: string }): string => `${j.model} on ${j.tracePath.split(/[\\/]/).pop()}`;
  let runs;
  try {
    const hooks = {
      onJobStart: (j: RunJob) => progress.start(j.index, label(j)),
      onJobProgress: (j: RunJob, events: number) => progress.progress(j.index, events),
      onJobDone: (j: RunJob) => progress.finish(j.index),
    };
    runs = await runMatrix(jobs, input, threads, hooks, early ?? undefined);
  } finally {
    progress.clear();
  }

  const result: ResultFile = {
    schema: RESULT_SCHEMA,
    tool: await tool,
    createdAt: new Date().toISOString(),
    options: commandOptionsRecord(input),
    runs,
  };

  const summary = renderTerminalSummary(result);
  process.stdout.write(summary.endsWith('\n') ? summary : `${summary}\n`);
  const wrote: string[] = [];
  if (jsonPath) {
    await writeFileAtomic(jsonPath, formatResultFile(result));
    wrote.push(`results: ${shown(jsonPath)}`);
  }
  if (reportPath) {
    const files = await writeReport(result, reportPath);
    const charts = files.length - 1;
    wrote.push(`report:  ${shown(reportPath)}${charts > 0 ? ` (+ ${charts} SVG chart${charts === 1 ? '' : 's'} beside it)` : ''}`);
  }
  wrote.push(...(await writeExports(result, exports)));
  if (args.history !== undefined) {
    const entry = await appendResultToHistory(args.history, result, jsonPath);
    wrote.push(`history: ${shown(args.history)} (${entry.runs.length} runs appended)`);
  }
  if (wrote.length > 0) process.stdout.write(`\n${wrote.join('\n')}\n`);
  return result;
}

/**
 * The replay options `run` and `bench` share (models, params, limits, touch,
 * clock, lenient), declared once so both commands take them the same way.
 */
export function withReplayOptions<T>(y: Argv<T>) {
  return y
    .option('models', { type: 'string', default: DEFAULT_MODELS.join(','), describe: 'comma list of model specs: name[@preset][+backing[@preset]], e.g. obmalloc-arenafree@3.11+jemalloc' })
    .option('param', { type: 'string', array: true, describe: 'model.param=value (repeatable); a comma list sweeps it: glibc.trim_threshold=0,128KiB,1MiB' })
    .option('memory-limit', { type: 'string', describe: 'stop with an OOM kill when RSS passes this, e.g. 2GiB (default: the trace\'s "memory-limit" hint, else none)' })
    .option('address-space', { type: 'number', choices: [32, 64], describe: 'simulated address space (default: the trace\'s "address-space" hint, else 64)' })
    .option('touch', { choices: ['full', 'none'] as const, default: 'full' as TouchPolicy, describe: 'write the user bytes of each allocation (full) or nothing (none)' })
    .option('tick-ns', { type: 'number', describe: 'clock step per event for traces without time_ns (default 1000; 0 = time stands still)' })
    .option('lenient', { type: 'boolean', default: false, describe: 'skip and count bad trace rows instead of stopping' });
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run [traces..]',
  describe: 'Replay traces through allocator models; write result JSON and a markdown report',
  builder: (y) =>
    withReplayOptions(y.positional('traces', { type: 'string', array: true, describe: 'trace files (.csv, .csv.gz, compiled)' }))
      .option('json', { type: 'string', describe: 'write the result JSON here' })
      .option('report', { type: 'string', describe: 'write the markdown report here (SVG charts beside it)' })
      .option('jobs', { type: 'number', describe: 'worker threads (default: one per core; 1 runs in-process)' })
      .option('progress', { type: 'boolean', default: true, describe: 'show progress on stderr when it is a terminal (--no-progress to hide)' })
      .option('default-suite', { type: 'boolean', default: false, describe: 'every bundled traces/*.csv.gz through the models, into reports/latest.json and reports/latest.md' })
      .option('shard', { type: 'string', describe: 'run only shard i of n of the run matrix (i/n); join the results with heapreplay merge' })
      .option('export', EXPORT_OPTION)
      .option('history', HISTORY_OPTION)
      .example('$0 run --default-suite', 'the bundled case studies → reports/latest.md')
      .example('$0 run trace.csv.gz --models glibc,jemalloc --json out.json --report out.md', 'two models, files written')
      .example('$0 run trace.csv.gz --models glibc --param glibc.trim_threshold=0,128KiB,1MiB', 'a sweep: one run per value') as never,
  handler: async (args) => {
    await executeRun(args);
  },
};

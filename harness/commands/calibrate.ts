// `heapreplay calibrate`: each model against the real allocator it imitates on
// the same traces; writes the model-versus-real table (reports/calibration.md
// for the bundled and recorded traces) and optionally the numbers as JSON.
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { CommandModule } from 'yargs';
import { renderCalibrationMarkdown, renderCalibrationTerminal } from '../../reports/calibration-markdown.ts';
import { calibrate, DEFAULT_CALIBRATION_MODELS, type CalibrationResult } from '../calibrate.ts';
import { UsageError } from '../cli-errors.ts';
import { writeFileAtomic } from '../output-file.ts';
import type { TouchPolicy } from '../run-options.ts';
import { PACKAGE_ROOT, toolIdentity } from '../version.ts';
import { parseParamOverrides } from '../../allocators/registry.ts';
import { parseEnvPairs } from './record.ts';
import { bundledTraces } from './run.ts';

export interface CalibrateArgs {
  traces?: string[];
  models: string;
  'idle-ms': number;
  'tick-ns': string;
  'real-runs': number;
  touch: TouchPolicy;
  param?: string[];
  env?: string[];
  lenient: boolean;
  report?: string;
  json?: string;
}

export const RECORDED_TRACES_DIR = join(PACKAGE_ROOT, 'traces', 'recorded');

/** The default set: the bundled case studies, then the recorded real-program traces. */
export async function defaultCalibrationTraces(): Promise<string[]> {
  const recorded = (await readdir(RECORDED_TRACES_DIR).catch(() => [] as string[]))
    .filter((n) => n.endsWith('.csv.gz'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => {
      const abs = join(RECORDED_TRACES_DIR, n);
      const rel = relative(process.cwd(), abs);
      return rel && !rel.startsWith('..') ? rel : abs;
    });
  return [...(await bundledTraces()), ...recorded];
}

async function checkTraceFiles(paths: readonly string[]): Promise<void> {
  for (const p of paths) {
    const s = await stat(p).catch(() => null);
    if (!s) throw new UsageError(`${p}: no such trace file`);
    if (!s.isFile()) throw new UsageError(`${p}: not a file; expected a trace (.csv, .csv.gz or a compiled trace)`);
  }
}

/** The whole command apart from argument parsing: returns what it measured. */
export async function executeCalibrate(args: CalibrateArgs): Promise<CalibrationResult> {
  const idleMs = args['idle-ms'];
  if (!Number.isInteger(idleMs) || idleMs < 0) throw new UsageError(`--idle-ms ${idleMs} is not valid; expected whole milliseconds ≥ 0`);
  const tickText = String(args['tick-ns']).trim();
  const tickNs = tickText === 'auto' ? 'auto' : Number(tickText);
  if (tickNs !== 'auto' && (tickText === '' || !Number.isFinite(tickNs) || tickNs < 0)) {
    throw new UsageError(`--tick-ns ${tickText} is not valid; expected nanoseconds per event (≥ 0) or auto`);
  }
  const realRuns = args['real-runs'];
  if (!Number.isInteger(realRuns) || realRuns < 1 || realRuns > 20) throw new UsageError(`--real-runs ${realRuns} is not valid; expected a whole number of runs from 1 to 20`);
  const models = args.models
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  const traces = args.traces && args.traces.length > 0 ? args.traces : await defaultCalibrationTraces();
  if (traces.length === 0) throw new UsageError('no traces given and no bundled traces found; name trace files');
  await checkTraceFiles(traces);

  const verbose = process.stderr.isTTY === true && !process.env.CI;
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const measured = await calibrate(traces, {
    models,
    touch: args.touch,
    idleMs,
    tickNs,
    realRuns,
    params: parseParamOverrides(args.param ?? []),
    env: parseEnvPairs(args.env ?? []),
    lenient: args.lenient,
    onStep: verbose ? (text) => process.stderr.write(`calibrate: ${text}\n`) : undefined,
  });
  const result: CalibrationResult = { ...measured, tool: await toolIdentity(), createdAt: new Date().toISOString() };
  const used = process.cpuUsage(cpu);
  const wallSeconds = (performance.now() - wall) / 1000;

  process.stdout.write(renderCalibrationTerminal(result));
  const wrote: string[] = [];
  if (args.report) {
    await writeFileAtomic(args.report, renderCalibrationMarkdown(result));
    wrote.push(`report:  ${args.report}`);
  }
  if (args.json) {
    await writeFileAtomic(args.json, `${JSON.stringify(result, null, 1)}\n`);
    wrote.push(`results: ${args.json}`);
  }
  // Timing goes to stderr, so stdout stays the same run to run.
  process.stderr.write(`calibrate: ${wallSeconds.toFixed(1)} s wall, ${((used.user + used.system) / 1e6).toFixed(1)} s CPU in this process (the native replayer's CPU not counted)\n`);
  if (wrote.length > 0) process.stdout.write(`\n${wrote.join('\n')}\n`);
  return result;
}

export const calibrateCommand: CommandModule<object, CalibrateArgs> = {
  command: 'calibrate [traces..]',
  describe: 'Compare each model with the real allocator it imitates (glibc, jemalloc) on the same traces: RSS per mark, error in % and bytes',
  builder: (y) =>
    y
      .positional('traces', { type: 'string', array: true, describe: 'trace files (default: the bundled case studies and traces/recorded/*.csv.gz)' })
      .option('models', { type: 'string', default: DEFAULT_CALIBRATION_MODELS.join(','), describe: 'comma list of models with a real counterpart: glibc, jemalloc (a preset may follow: jemalloc@5.3)' })
      .option('idle-ms', { type: 'number', default: 0, describe: 'both clocks jump this far at each mark (the real replayer sleeps); between events time stands still on both sides' })
      .option('tick-ns', { type: 'string', default: '0', describe: "the model's clock step per event: 0 = time stands still (the native replayer runs a trace in about a second); auto = the pace the real replay measured (wall ns per event), which follows the real allocator's clock more closely but is not repeatable" })
      .option('real-runs', { type: 'number', default: 3, describe: 'replay each trace through the real allocators this many times; errors are against the median and the report shows the spread (real jemalloc is not repeatable)' })
      .option('touch', { choices: ['full', 'none'] as const, default: 'full' as TouchPolicy, describe: 'write the user bytes of each allocation (full) or nothing (none), on both sides' })
      .option('param', { type: 'string', array: true, describe: 'model.param=value for the models (repeatable), e.g. jemalloc.tcache=false; pair it with --env for the real side' })
      .option('env', { type: 'string', array: true, describe: 'NAME=value for the real runs (repeatable), e.g. MALLOC_CONF=tcache:false' })
      .option('lenient', { type: 'boolean', default: false, describe: 'skip and count bad trace rows instead of stopping' })
      .option('report', { type: 'string', describe: 'write the markdown table here (e.g. reports/calibration.md)' })
      .option('json', { type: 'string', describe: 'write the comparison and every run (model and real) as JSON here' })
      .example('$0 calibrate --report reports/calibration.md', 'every bundled and recorded trace, glibc and jemalloc')
      .example('$0 calibrate trace.csv.gz --models jemalloc --idle-ms 11000', 'jemalloc with a decay period of idle at each mark')
      .example('$0 calibrate trace.csv.gz --models jemalloc --param jemalloc.tcache=false --env MALLOC_CONF=tcache:false', 'both sides without thread caches') as never,
  handler: async (args) => {
    await executeCalibrate(args);
  },
};

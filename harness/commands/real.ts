// `heapreplay real`: replay traces through real allocators (the native
// replayer under LD_PRELOAD) and write the same result JSON and report as
// `run`, so reports and `compare` work on real runs and model-versus-real
// tables can be made from them.
import type { CommandModule } from 'yargs';
import { renderTerminalSummary } from '../../reports/terminal.ts';
import { openTrace } from '../../traces/open.ts';
import { UsageError } from '../cli-errors.ts';
import { writeFileAtomic } from '../output-file.ts';
import { runRealTrace } from '../real/runner.ts';
import { formatResultFile } from '../result-file.ts';
import { RESULT_SCHEMA, type ResultFile, type RunResult } from '../result.ts';
import { DEFAULT_TICK_NS, type TouchPolicy } from '../run-options.ts';
import { toolIdentity } from '../version.ts';
import { writeReport } from './report.ts';

export interface RealArgs {
  traces: string[];
  allocator: string;
  'idle-ms': number;
  touch: TouchPolicy;
  'tick-ns'?: number;
  lenient: boolean;
  json?: string;
  report?: string;
}

function checkArgs(args: RealArgs): { allocators: string[]; tickNs: number } {
  if (!args.traces || args.traces.length === 0) throw new UsageError('name at least one trace file');
  const allocators = args.allocator
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (allocators.length === 0) throw new UsageError('--allocator needs a name: glibc, jemalloc, tcmalloc, mimalloc or a path to a .so');
  const idle = args['idle-ms'];
  if (!Number.isInteger(idle) || idle < 0) throw new UsageError(`--idle-ms ${idle} is not valid; expected whole milliseconds ≥ 0`);
  const tickNs = args['tick-ns'] ?? DEFAULT_TICK_NS;
  if (!Number.isFinite(tickNs) || tickNs < 0) throw new UsageError(`--tick-ns ${tickNs} is not valid; expected nanoseconds per event, ≥ 0`);
  return { allocators, tickNs };
}

/** The whole command apart from argument parsing: returns the result file it made. */
export async function executeReal(args: RealArgs): Promise<ResultFile> {
  const { allocators, tickNs } = checkArgs(args);
  const runs: RunResult[] = [];
  for (const path of args.traces) {
    const source = await openTrace(path, { lenient: args.lenient });
    runs.push(...(await runRealTrace(source, { allocators, touch: args.touch, idleMs: args['idle-ms'], tickNs, lenient: args.lenient })));
  }
  const result: ResultFile = {
    schema: RESULT_SCHEMA,
    tool: await toolIdentity(),
    createdAt: new Date().toISOString(),
    options: { touch: args.touch, tickNs, memoryLimitBytes: null, addressSpaceBits: 64, lenient: args.lenient },
    runs,
  };
  const summary = renderTerminalSummary(result);
  process.stdout.write(summary.endsWith('\n') ? summary : `${summary}\n`);
  const wrote: string[] = [];
  if (args.json) {
    await writeFileAtomic(args.json, formatResultFile(result));
    wrote.push(`results: ${args.json}`);
  }
  if (args.report) {
    await writeReport(result, args.report);
    wrote.push(`report:  ${args.report}`);
  }
  if (wrote.length > 0) process.stdout.write(`\n${wrote.join('\n')}\n`);
  return result;
}

export const realCommand: CommandModule<object, RealArgs> = {
  command: 'real <traces..>',
  describe: 'Replay traces through the real allocators (native replayer, LD_PRELOAD) and report real RSS',
  builder: (y) =>
    y
      .positional('traces', { type: 'string', array: true, demandOption: true, describe: 'trace files (.csv, .csv.gz, compiled)' })
      .option('allocator', { type: 'string', default: 'glibc', describe: 'comma list: glibc, jemalloc, tcmalloc, mimalloc, or a path to a malloc library (.so)' })
      .option('idle-ms', { type: 'number', default: 0, describe: 'sleep this long at each mark before reading RSS. jemalloc purges only when it runs: with MALLOC_CONF=background_thread:true its background thread purges during the sleep' })
      .option('touch', { choices: ['full', 'none'] as const, default: 'full' as TouchPolicy, describe: 'write every page of each allocation (full) or nothing (none); calloc is never written' })
      .option('tick-ns', { type: 'number', describe: 'trace clock step per event for traces without time_ns (default 1000), for the timeline' })
      .option('lenient', { type: 'boolean', default: false, describe: 'skip and count bad trace rows instead of stopping' })
      .option('json', { type: 'string', describe: 'write the result JSON here' })
      .option('report', { type: 'string', describe: 'write the markdown report here (SVG charts beside it)' })
      .example('$0 real trace.csv.gz --allocator glibc,jemalloc --report real.md', 'real RSS under glibc and jemalloc')
      .example('$0 real trace.csv.gz --allocator jemalloc --idle-ms 11000', 'let jemalloc decay dirty pages at each mark') as never,
  handler: async (args) => {
    await executeReal(args);
  },
};

// Runs a trace through real allocators: converts it once into a replay stream,
// then starts the native replayer per allocator (execa, argv array, no shell)
// with LD_PRELOAD set, and turns its JSON lines into RunResults.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { UsageError } from '../cli-errors.ts';
import { traceName } from '../replayer.ts';
import type { RunOptionsRecord, RunResult, TraceIdentity } from '../result.ts';
import type { TraceSource } from '../../traces/types.ts';
import { buildReplayer } from './build.ts';
import { resolveAllocator, type ResolvedAllocator } from './libraries.ts';
import { buildRealRunResult, parseReplayOutput } from './real-result.ts';
import { writeReplayStream, type StreamSummary } from './stream.ts';

export interface RealRunOptions {
  /** `glibc`, `jemalloc`, `tcmalloc`, `mimalloc` or a path to a malloc library. */
  allocators: readonly string[];
  touch: 'full' | 'none';
  /** Sleep this long at each mark before reading RSS (jemalloc decays with time). */
  idleMs: number;
  /** ns per event for traces without a time column. */
  tickNs: number;
  /** Sample points over the trace (besides marks); default 2000. */
  samples?: number;
  /** Extra environment for the child (e.g. MALLOC_CONF). */
  env?: Record<string, string>;
  /** Whether the trace was opened leniently (recorded in the run's options). */
  lenient?: boolean;
}

/** Allocator tuning variables in the child's environment, recorded with each run so it can be reproduced. */
const TUNING_ENV = /^(MALLOC_|MIMALLOC_|TCMALLOC_|GLIBC_TUNABLES$)/;

function tuningEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(env).sort()) if (TUNING_ENV.test(key) && env[key] !== undefined) out[`env.${key}`] = env[key]!;
  return out;
}

/** Run the prepared stream through one allocator. */
async function runOne(replayer: string, streamPath: string, allocator: ResolvedAllocator, trace: TraceIdentity, summary: StreamSummary, options: RealRunOptions): Promise<RunResult> {
  const args = ['--touch', options.touch, '--idle-ms', String(options.idleMs), '--samples', String(options.samples ?? 2000), streamPath];
  const result = await execa(replayer, args, {
    env: { ...options.env, LD_PRELOAD: allocator.preload ?? '' },
    stdin: 'ignore',
    reject: false,
    maxBuffer: 1 << 28,
  });
  // ld.so only warns when a preload cannot be loaded and then runs with glibc:
  // a silent wrong answer, so it is an error here.
  if (/cannot be preloaded|wrong ELF class/.test(result.stderr)) {
    throw new UsageError(`${allocator.preload} could not be preloaded: ${result.stderr.trim().split('\n')[0]}`);
  }
  if (result.exitCode !== 0) {
    const why = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
    throw new Error(`the native replayer under ${allocator.modelName} ${why}: ${result.stderr.trim().slice(0, 500)}`);
  }
  const out = parseReplayOutput(result.stdout);
  const run = buildRealRunResult(out, { trace, modelName: allocator.modelName, library: allocator.preload, touch: options.touch, idleMs: options.idleMs, summary });
  Object.assign(run.model.params, tuningEnv({ ...process.env, ...options.env }));
  return run;
}

/** Replay one trace through each allocator in `options.allocators`, in that order. */
export async function runRealTrace(source: TraceSource, options: RealRunOptions): Promise<RunResult[]> {
  // Resolve every allocator first, so a missing library fails before any work.
  const allocators: ResolvedAllocator[] = [];
  for (const name of options.allocators) allocators.push(await resolveAllocator(name));
  const { path: replayer } = await buildReplayer();
  const dir = await mkdtemp(join(tmpdir(), 'heapreplay-real-'));
  try {
    const streamPath = join(dir, 'trace.hrstream');
    const summary = await writeReplayStream(source, streamPath, { tickNs: options.tickNs });
    const trace: TraceIdentity = {
      name: traceName(source),
      path: source.path,
      events: summary.events,
      sha256: await source.sha256(),
      meta: { ...source.meta },
      ...(source.skippedRows ? { skippedRows: source.skippedRows } : {}),
    };
    const record: RunOptionsRecord = { touch: options.touch, tickNs: options.tickNs, memoryLimitBytes: null, addressSpaceBits: 64, lenient: options.lenient ?? false };
    const runs: RunResult[] = [];
    for (const allocator of allocators) runs.push({ ...(await runOne(replayer, streamPath, allocator, trace, summary, options)), options: record });
    return runs;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

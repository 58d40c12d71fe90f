// One cell of the run matrix, start to finish: open the trace, settle the
// options (the command line, then the trace's hints), build the model on a
// fresh address space, replay. The same function runs in-process and in a
// worker thread, which is what makes `--jobs N` give the results `--jobs 1` does.
import { createModel, parseModelSpec } from '../allocators/registry.ts';
import { openTrace } from '../traces/open.ts';
import type { TraceSource } from '../traces/types.ts';
import type { RunJob } from './matrix.ts';
import type { TraceCache } from './replayable-trace.ts';
import { replay } from './replayer.ts';
import type { RunResult } from './result.ts';
import { addressSpaceOptionsFor, effectiveRunOptions, type RunOptionsInput } from './run-options.ts';

export interface RunJobHooks {
  /** Events replayed so far in this job (called once per batch). */
  onProgress?: (events: number) => void;
}

/**
 * `traces`, when given, lends the job a trace decoded by an earlier job of the
 * same thread, or by an earlier run (see replayable-trace.ts, decoded-store.ts);
 * without it the job streams the file. Either way the result is the same, byte for byte.
 */
export async function runJob(job: RunJob, input: RunOptionsInput, hooks: RunJobHooks = {}, traces?: TraceCache): Promise<RunResult> {
  const lenient = input.lenient ?? false;
  const kept = traces ? await traces.open(job.tracePath, lenient) : null;
  const source: TraceSource = kept ?? (await openTrace(job.tracePath, { lenient }));
  const options = effectiveRunOptions(input, source.meta, job.tracePath);
  const instance = createModel(parseModelSpec(job.model), job.overrides, addressSpaceOptionsFor(options));
  const result = await replay(source, instance, { ...options, onProgress: hooks.onProgress });
  if (kept) await traces!.persist(kept, result.trace.events);
  // The matrix position lets `merge` put the runs of sharded result files back in order.
  return { matrixIndex: job.index, ...result };
}

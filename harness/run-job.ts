// One cell of the run matrix, start to finish: open the trace, settle the
// options (the command line, then the trace's hints), build the model on a
// fresh address space, replay. The same function runs in-process and in a
// worker thread, which is what makes `--jobs N` give the results `--jobs 1` does.
import { createModel, parseModelSpec } from '../allocators/registry.ts';
import { openTrace } from '../traces/open.ts';
import type { RunJob } from './matrix.ts';
import { replay } from './replayer.ts';
import type { RunResult } from './result.ts';
import { addressSpaceOptionsFor, effectiveRunOptions, type RunOptionsInput } from './run-options.ts';

export interface RunJobHooks {
  /** Events replayed so far in this job (called once per batch). */
  onProgress?: (events: number) => void;
}

export async function runJob(job: RunJob, input: RunOptionsInput, hooks: RunJobHooks = {}): Promise<RunResult> {
  const source = await openTrace(job.tracePath, { lenient: input.lenient ?? false });
  const options = effectiveRunOptions(input, source.meta, job.tracePath);
  const instance = createModel(parseModelSpec(job.model), job.overrides, addressSpaceOptionsFor(options));
  const result = await replay(source, instance, { ...options, onProgress: hooks.onProgress });
  // The matrix position lets `merge` put the runs of sharded result files back in order.
  return { matrixIndex: job.index, ...result };
}

// The worker-thread side of the run matrix: take a job, run it, send back the
// result or the error. Errors travel as plain data and are rebuilt on the main
// thread as the same classes, so a bad trace still exits 2 with its located message.
// The worker keeps the trace it last replayed (TraceCache): the scheduler hands
// it the jobs of one trace in a row, and each after the first skips the parsing.
import { parentPort } from 'node:worker_threads';
import type { RunJob } from './matrix.ts';
import { runStore } from './decoded-store.ts';
import { DEFAULT_KEEP_BYTES, TraceCache } from './replayable-trace.ts';
import type { RunResult } from './result.ts';
import { runJob } from './run-job.ts';
import type { RunOptionsInput } from './run-options.ts';
import { serializeError, type SerializedError } from './worker-errors.ts';

export type ToWorker = { type: 'job'; job: RunJob; input: RunOptionsInput };
export type FromWorker =
  | { type: 'progress'; index: number; events: number }
  | { type: 'result'; index: number; result: RunResult }
  | { type: 'error'; index: number; error: SerializedError };

const port = parentPort;
if (port) {
  const traces = new TraceCache(DEFAULT_KEEP_BYTES, runStore());
  port.on('message', (msg: ToWorker) => {
    const index = msg.job.index;
    const onProgress = (events: number): void => port.postMessage({ type: 'progress', index, events } satisfies FromWorker);
    runJob(msg.job, msg.input, { onProgress }, traces).then(
      (result) => port.postMessage({ type: 'result', index, result } satisfies FromWorker),
      (err: unknown) => port.postMessage({ type: 'error', index, error: serializeError(err) } satisfies FromWorker),
    );
  });
}

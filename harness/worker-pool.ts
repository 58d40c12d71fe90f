// Runs the jobs of a run matrix: in-process for `--jobs 1`, otherwise on a
// pool of worker threads that each take the next job when they finish one.
// Results land at their job's position, so the output order never depends on
// which worker was faster.
import { Worker } from 'node:worker_threads';
import type { RunJob } from './matrix.ts';
import type { RunResult } from './result.ts';
import { runJob } from './run-job.ts';
import type { RunOptionsInput } from './run-options.ts';
import type { FromWorker, ToWorker } from './worker.ts';
import { deserializeError } from './worker-errors.ts';

export interface MatrixHooks {
  onJobStart?: (job: RunJob) => void;
  /** Events replayed so far in a running job. */
  onJobProgress?: (job: RunJob, events: number) => void;
  onJobDone?: (job: RunJob, result: RunResult) => void;
}

const BOOTSTRAP = new URL('./worker-bootstrap.js', import.meta.url);

export async function runMatrix(jobs: readonly RunJob[], input: RunOptionsInput, workerCount: number, hooks: MatrixHooks = {}): Promise<RunResult[]> {
  const threads = Math.max(1, Math.min(Math.floor(workerCount), jobs.length));
  if (threads <= 1) return runInProcess(jobs, input, hooks);
  return runInWorkers(jobs, input, threads, hooks);
}

async function runInProcess(jobs: readonly RunJob[], input: RunOptionsInput, hooks: MatrixHooks): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (const job of jobs) {
    hooks.onJobStart?.(job);
    const result = await runJob(job, input, { onProgress: (events) => hooks.onJobProgress?.(job, events) });
    hooks.onJobDone?.(job, result);
    results.push(result);
  }
  return results;
}

function runInWorkers(jobs: readonly RunJob[], input: RunOptionsInput, threads: number, hooks: MatrixHooks): Promise<RunResult[]> {
  const position = new Map<number, number>();
  jobs.forEach((j, i) => position.set(j.index, i));
  const results: (RunResult | undefined)[] = new Array(jobs.length);
  const workers: Worker[] = [];
  let next = 0;
  let done = 0;
  let settled = false;

  return new Promise((resolve, reject) => {
    const finish = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      for (const w of workers) void w.terminate();
      if (err) reject(err);
      else resolve(results as RunResult[]);
    };
    const feed = (w: Worker): void => {
      if (next >= jobs.length) return;
      const job = jobs[next++]!;
      hooks.onJobStart?.(job);
      w.postMessage({ type: 'job', job, input } satisfies ToWorker);
    };
    for (let t = 0; t < threads; t++) {
      const w = new Worker(BOOTSTRAP);
      workers.push(w);
      w.on('message', (msg: FromWorker) => {
        if (settled) return;
        const at = position.get(msg.index)!;
        const job = jobs[at]!;
        if (msg.type === 'progress') {
          hooks.onJobProgress?.(job, msg.events);
        } else if (msg.type === 'error') {
          finish(deserializeError(msg.error));
        } else {
          results[at] = msg.result;
          done++;
          hooks.onJobDone?.(job, msg.result);
          if (done === jobs.length) finish(null);
          else feed(w);
        }
      });
      w.on('error', (err) => finish(err));
      w.on('exit', (code) => {
        if (!settled) finish(new Error(`a worker thread exited (code ${code}) before the run matrix finished`));
      });
      feed(w);
    }
  });
}

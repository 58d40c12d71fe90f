// Runs the jobs of a run matrix: in-process for `--jobs 1`, otherwise on a
// pool of worker threads that each take a job when they finish one (which
// job: job-schedule.ts). Each thread keeps the trace it replays decoded for
// its next job of that trace (replayable-trace.ts). Results land at their
// job's position, so the output order never depends on which worker was faster.
import { stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { estimatedEvents, JobScheduler } from './job-schedule.ts';
import type { RunJob } from './matrix.ts';
import { runStore } from './decoded-store.ts';
import { DEFAULT_KEEP_BYTES, TraceCache } from './replayable-trace.ts';
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

/**
 * Worker threads started ahead of the matrix: a thread takes a few hundred
 * milliseconds to load its modules, which it can do while the main thread
 * still lists and checks the traces. A thread that fails or exits before
 * the matrix takes it over is remembered, and the matrix reports it.
 */
export class WorkerThreads {
  readonly threads: Worker[] = [];
  private failure: Error | null = null;
  private closed = false;

  constructor(count: number) {
    for (let t = 0; t < count; t++) {
      const w = new Worker(BOOTSTRAP);
      w.on('error', (err) => {
        this.failure ??= err;
      });
      w.on('exit', (code) => {
        if (!this.closed) this.failure ??= exitError(code);
      });
      this.threads.push(w);
    }
  }

  /** The first failure of any thread so far, if any. */
  get failed(): Error | null {
    return this.failure;
  }

  /** Stop every thread (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.threads) void w.terminate();
  }
}

function exitError(code: number): Error {
  return new Error(`a worker thread exited (code ${code}) before the run matrix finished`);
}

/**
 * Run `jobs` on `workerCount` threads (1: in this thread). `threads`, when
 * given, are threads started earlier for this matrix; it uses as many of
 * them as it has jobs, and closes them all when it ends.
 */
export async function runMatrix(jobs: readonly RunJob[], input: RunOptionsInput, workerCount: number, hooks: MatrixHooks = {}, threads?: WorkerThreads): Promise<RunResult[]> {
  const count = Math.max(1, Math.min(Math.floor(workerCount), threads?.threads.length ?? Infinity, jobs.length));
  try {
    if (count <= 1) return await runInProcess(jobs, input, hooks);
    return await runInWorkers(jobs, input, threads ?? new WorkerThreads(count), count, hooks);
  } finally {
    threads?.close();
  }
}

/** In matrix order, where the jobs of a trace follow one another, so each trace is decoded once. */
async function runInProcess(jobs: readonly RunJob[], input: RunOptionsInput, hooks: MatrixHooks): Promise<RunResult[]> {
  const results: RunResult[] = [];
  const traces = new TraceCache(DEFAULT_KEEP_BYTES, runStore());
  for (const job of jobs) {
    hooks.onJobStart?.(job);
    const result = await runJob(job, input, { onProgress: (events) => hooks.onJobProgress?.(job, events) }, traces);
    hooks.onJobDone?.(job, result);
    results.push(result);
  }
  return results;
}

/** The estimated events of each trace, from its file size (0 when it cannot be read: the job will say why). */
async function traceWeights(jobs: readonly RunJob[]): Promise<Map<string, number>> {
  const paths = [...new Set(jobs.map((j) => j.tracePath))];
  const sizes = await Promise.all(paths.map((p) => stat(p).then((s) => s.size, () => 0)));
  return new Map(paths.map((p, i) => [p, estimatedEvents(p, sizes[i]!)]));
}

async function runInWorkers(jobs: readonly RunJob[], input: RunOptionsInput, pool: WorkerThreads, count: number, hooks: MatrixHooks): Promise<RunResult[]> {
  const position = new Map<number, number>();
  jobs.forEach((j, i) => position.set(j.index, i));
  const weights = await traceWeights(jobs);
  const schedule = new JobScheduler(jobs, (path) => weights.get(path) ?? 0);
  const results: (RunResult | undefined)[] = new Array(jobs.length);
  const workers = pool.threads.slice(0, count);
  let done = 0;
  let settled = false;

  return new Promise<RunResult[]>((resolve, reject) => {
    const finish = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      pool.close();
      if (err) reject(err);
      else resolve(results as RunResult[]);
    };
    if (pool.failed) {
      finish(pool.failed);
      return;
    }
    const feed = (w: Worker, t: number): void => {
      const job = schedule.next(t);
      if (job === null) return;
      hooks.onJobStart?.(job);
      w.postMessage({ type: 'job', job, input } satisfies ToWorker);
    };
    workers.forEach((w, t) => {
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
          else feed(w, t);
        }
      });
      w.on('error', (err) => finish(err));
      w.on('exit', (code) => {
        if (!settled) finish(exitError(code));
      });
      feed(w, t);
    });
  });
}

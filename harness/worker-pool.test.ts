// Threads started ahead of the matrix (what `run` does while it checks the
// traces) give the results that threads started by the matrix give, and are
// all stopped when the matrix ends, used or not.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceEvent } from '../traces/types.ts';
import { writeTrace } from '../traces/writer.ts';
import { expandMatrix } from './matrix.ts';
import type { RunResult } from './result.ts';
import { runMatrix, WorkerThreads } from './worker-pool.ts';

function ev(op: TraceEvent['op'], id: string | null, size = 0, label: string | null = null): TraceEvent {
  return { op, id, size, align: 0, thread: 0, timeNs: null, domain: 'obj', label, line: 0 };
}

function* events(): Generator<TraceEvent> {
  for (let i = 0; i < 100; i++) yield ev('malloc', `b${i}`, i % 2 ? 40 : 100_000);
  yield ev('mark', null, 0, 'After alloc');
  for (let i = 0; i < 100; i += 2) yield ev('free', `b${i}`);
}

const exited = (t: WorkerThreads): Promise<number[]> => Promise.all(t.threads.map((w) => new Promise<number>((resolve) => w.once('exit', resolve))));
const strip = (runs: RunResult[]): string => JSON.stringify(runs.map(({ replay: _r, ...rest }) => rest));

let dir = '';
let traces: string[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hr-pool-'));
  traces = [join(dir, 'a.csv'), join(dir, 'b.csv.gz')];
  for (const t of traces) await writeTrace(t, {}, events());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runMatrix with threads started early', () => {
  it('gives the in-process results and stops every thread, the unused ones too', async () => {
    const { jobs } = expandMatrix(traces, ['glibc', 'obmalloc'], []);
    const one = await runMatrix(jobs, {}, 1);
    const threads = new WorkerThreads(3);
    const gone = exited(threads);
    // Two workers asked for, three started: the third is never used.
    const two = await runMatrix(jobs, {}, 2, {}, threads);
    expect(strip(two)).toBe(strip(one));
    expect((await gone).length).toBe(3);
    expect(one.map((r) => r.trace.events)).toEqual([151, 151, 151, 151]);
  });

  it('runs a one-job matrix in-process and still stops the threads', async () => {
    const { jobs } = expandMatrix([traces[0]!], ['jemalloc'], []);
    const threads = new WorkerThreads(2);
    const gone = exited(threads);
    const runs = await runMatrix(jobs, {}, 2, {}, threads);
    expect(runs.map((r) => r.model.name)).toEqual(['jemalloc']);
    expect((await gone).length).toBe(2);
  });

  it('passes a trace error back and stops the threads', async () => {
    const { jobs } = expandMatrix([traces[0]!, join(dir, 'missing.csv')], ['glibc'], []);
    const threads = new WorkerThreads(2);
    const gone = exited(threads);
    await expect(runMatrix(jobs, {}, 2, {}, threads)).rejects.toThrow(/missing\.csv/);
    expect((await gone).length).toBe(2);
  });
});

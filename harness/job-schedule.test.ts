import { describe, expect, it } from 'vitest';
import { estimatedEvents, JobScheduler } from './job-schedule.ts';
import type { RunJob } from './matrix.ts';

/** The matrix of traces × models, in matrix order (trace slowest). */
function matrix(traces: readonly string[], models: number): RunJob[] {
  const jobs: RunJob[] = [];
  for (const t of traces) for (let m = 0; m < models; m++) jobs.push({ index: jobs.length, tracePath: t, model: `m${m}`, overrides: {} });
  return jobs;
}

const label = (j: RunJob | null): string => (j === null ? '-' : `${j.tracePath}${j.model.slice(1)}`);

describe('JobScheduler', () => {
  it('keeps a worker on its trace, gives a fresh worker the biggest trace nobody has, and never repeats a job', () => {
    const weight: Record<string, number> = { small: 1, big: 10, mid: 5 };
    const s = new JobScheduler(matrix(['small', 'big', 'mid'], 3), (p) => weight[p]!);
    const seen: string[] = [];
    // Worker 0 starts the biggest trace, worker 1 the next biggest, and each stays on its own.
    seen.push(label(s.next(0)), label(s.next(1)), label(s.next(0)), label(s.next(1)), label(s.next(0)));
    expect(seen).toEqual(['big0', 'mid0', 'big1', 'mid1', 'big2']);
    // Worker 0's trace is done: it takes the one trace nobody has.
    expect(label(s.next(0))).toBe('small0');
    expect(label(s.next(1))).toBe('mid2');
    expect(s.remaining).toBe(2);
    expect([label(s.next(1)), label(s.next(0)), label(s.next(0))]).toEqual(['small1', 'small2', '-']);
    expect(s.remaining).toBe(0);
  });

  it('lets an idle worker help with the trace that has the most work left when every trace is taken', () => {
    // One trace of 4 runs and one of 1: worker 1 finishes its single run, then shares the long trace.
    const weight: Record<string, number> = { long: 3, short: 3 };
    const s = new JobScheduler([...matrix(['long'], 4), ...matrix(['short'], 1)].map((j, index) => ({ ...j, index })), (p) => weight[p]!);
    expect(label(s.next(0))).toBe('long0');
    expect(label(s.next(1))).toBe('short0');
    expect(label(s.next(1))).toBe('long1');
    expect(label(s.next(0))).toBe('long2');
    expect(label(s.next(1))).toBe('long3');
    expect(s.next(0)).toBeNull();
  });

  it('hands out every job exactly once, whatever order the workers ask in', () => {
    const jobs = matrix(['a', 'b', 'c', 'd', 'e'], 4);
    const s = new JobScheduler(jobs, (p) => p.charCodeAt(0));
    const got: number[] = [];
    // A fixed but irregular order of requests from 3 workers.
    const order = [0, 1, 2, 2, 0, 1, 1, 1, 0, 2, 0, 0, 2, 1, 2, 0, 1, 2, 2, 1, 0, 0, 1];
    for (const w of order) {
      const j = s.next(w);
      if (j) got.push(j.index);
    }
    expect(got.sort((x, y) => x - y)).toEqual(jobs.map((j) => j.index));
    expect(s.next(0)).toBeNull();
  });

  it('breaks ties between equal traces by matrix order', () => {
    const s = new JobScheduler(matrix(['x', 'y'], 2), () => 1);
    expect(label(s.next(0))).toBe('x0');
    expect(label(s.next(1))).toBe('y0');
  });
});

describe('estimatedEvents', () => {
  it('reads file sizes of each stored form as event counts', () => {
    // ~6 bytes per event gzip CSV, ~30 plain CSV, 36 compiled.
    expect(estimatedEvents('t.csv.gz', 6000)).toBe(1000);
    expect(estimatedEvents('t.csv', 30_000)).toBe(1000);
    expect(estimatedEvents('t.HRT', 36_000)).toBe(1000);
  });
});

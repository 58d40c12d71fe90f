import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileTrace } from '../traces/compiled.ts';
import { hashFile } from '../traces/reader.ts';
import type { TraceEvent } from '../traces/types.ts';
import { writeTrace } from '../traces/writer.ts';
import { benchJob, benchReplayCost, compileForBench, type BenchStats } from './bench.ts';
import type { RunJob } from './matrix.ts';
import type { RunResult } from './result.ts';
import { runJob } from './run-job.ts';

function ev(op: TraceEvent['op'], id: string | null, size = 0, label: string | null = null): TraceEvent {
  return { op, id, size, align: 0, thread: 0, timeNs: null, domain: 'obj', label, line: 0 };
}

/** 300 blocks, half of them 20 kB, then every other one freed: glibc keeps the heap, so the figures are not trivial. */
function* events(): Generator<TraceEvent> {
  for (let i = 0; i < 300; i++) yield ev('malloc', String(i), i % 2 ? 48 : 20_000);
  yield ev('mark', null, 0, 'After alloc');
  for (let i = 0; i < 300; i += 2) yield ev('free', String(i));
  yield ev('mark', null, 0, 'After del');
}
const EVENTS = 300 + 1 + 150 + 1;

let dir = '';
let csv = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hr-bench-'));
  csv = join(dir, 'tiny.csv.gz');
  await writeTrace(csv, {}, events());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The parts of a run that are not timing, nor where the trace was read from. */
function memoryPart(r: RunResult): unknown {
  const { replay: _r, matrixIndex: _m, ...rest } = r;
  return { ...rest, trace: { ...r.trace, path: '', sha256: '' } };
}

describe('compileForBench', () => {
  it('compiles CSV to a .hrt named after the trace, and passes compiled traces through', async () => {
    const hrt = join(dir, 'already.hrt');
    await compileTrace(csv, hrt);
    const map = await compileForBench([csv, hrt, csv], join(dir, 'tmp'), false);
    expect(map.size).toBe(2);
    expect(map.get(csv)).toBe(join(dir, 'tmp', '0', 'tiny.hrt'));
    expect(map.get(hrt)).toBe(hrt);
  });
});

describe('benchJob', () => {
  it('gives the memory figures of a normal run, plus tinybench samples', async () => {
    const map = await compileForBench([csv], join(dir, 'job'), false);
    const job: RunJob = { index: 3, tracePath: csv, model: 'glibc@2.35', overrides: {} };
    const iterations: string[] = [];
    const { result, stats } = await benchJob(job, map.get(csv)!, { touch: 'full' }, { timeMs: 0, iterations: 4, warmupIterations: 1 }, {
      onIteration: (phase, n) => iterations.push(`${phase}${n}`),
    });
    const normal = await runJob(job, { touch: 'full' });
    expect(memoryPart(result)).toEqual(memoryPart(normal));
    expect(result.peakRssBytes).toBeGreaterThan(150 * 20_000);
    // the trace is named and identified as the file the user gave, not the temporary .hrt
    expect(result.trace.name).toBe('tiny');
    expect(result.trace.path).toBe(csv);
    expect(result.trace.sha256).toBe(await hashFile(csv));
    expect(result.matrixIndex).toBe(3);
    // time 0 and 4 iterations: exactly 4 timed replays after one warm-up
    expect(iterations).toEqual(['warmup1', 'run1', 'run2', 'run3', 'run4']);
    expect(stats.samples).toBe(4);
    expect(result.replay.samplesMs).toHaveLength(4);
    expect(result.replay.events).toBe(EVENTS);
    const sorted = [...result.replay.samplesMs!].sort((a, b) => a - b);
    // tinybench's p50 of 4 samples interpolates between the middle two
    expect(stats.medianMs).toBeCloseTo((sorted[1]! + sorted[2]!) / 2, 9);
    expect(result.replay.seconds).toBeCloseTo(stats.medianMs / 1000, 12);
    expect(result.replay.eventsPerSecond).toBeCloseTo(EVENTS / (stats.medianMs / 1000), 6);
    expect(stats.p99Ms).toBeGreaterThanOrEqual(stats.p75Ms);
    expect(stats.p75Ms).toBeGreaterThanOrEqual(stats.medianMs);
    expect(stats.eventsPerSecond.p99).toBeLessThanOrEqual(stats.eventsPerSecond.median);
  });

  it('fails on a bad model spec before timing anything', async () => {
    const map = await compileForBench([csv], join(dir, 'bad'), false);
    const job: RunJob = { index: 0, tracePath: csv, model: 'nosuchmodel', overrides: {} };
    await expect(benchJob(job, map.get(csv)!, {}, { timeMs: 0, iterations: 1 })).rejects.toThrow(/nosuchmodel/);
  });
});

describe('benchReplayCost', () => {
  it('reports the median as the run and keeps every sample', () => {
    const stats: BenchStats = { samples: 3, meanMs: 20, medianMs: 20, p75Ms: 25, p99Ms: 29, rmePercent: 5, eventsPerSecond: { median: 1000 / 0.02, p75: 1000 / 0.025, p99: 1000 / 0.029 } };
    // 1000 events in 20 ms = 50 000 events/s
    expect(benchReplayCost(1000, stats, [15, 20, 25])).toEqual({ events: 1000, seconds: 0.02, eventsPerSecond: 50_000, samplesMs: [15, 20, 25] });
  });
});

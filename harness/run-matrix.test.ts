// --jobs N must give the results --jobs 1 gives, in the same order, byte for byte
// apart from the timing fields.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTrace } from '../traces/writer.ts';
import type { TraceEvent } from '../traces/types.ts';
import { expandMatrix, parseSweepParams } from './matrix.ts';
import { mergeResults } from './merge.ts';
import { RESULT_SCHEMA, type ResultFile, type RunResult } from './result.ts';
import { commandOptionsRecord } from './run-options.ts';
import { formatShard, inShard } from './shard.ts';
import { runMatrix } from './worker-pool.ts';

function ev(op: TraceEvent['op'], id: string | null, size = 0, label: string | null = null, timeNs: number | null = null): TraceEvent {
  return { op, id, size, align: 0, thread: 0, timeNs, domain: 'obj', label, line: 0 };
}

/** Interleaved big and small blocks, then the big ones freed: the shape of seed 001's frag.py, small. */
function* fragEvents(n: number, big: number): Generator<TraceEvent> {
  let t = 0;
  for (let i = 0; i < n; i++) {
    yield ev('malloc', `b${i}`, big, null, (t += 200));
    yield ev('malloc', `s${i}`, 40, null, (t += 100));
  }
  yield ev('mark', null, 0, 'After alloc', (t += 1000));
  for (let i = 0; i < n; i++) yield ev('free', `b${i}`, 0, null, (t += 150));
  yield ev('mark', null, 0, 'After del', (t += 1000));
}

function stripTiming(runs: RunResult[]): string {
  return JSON.stringify(runs.map(({ replay: _replay, ...rest }) => rest));
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hr-matrix-'));
  await writeTrace(join(dir, 'frag.csv'), { name: 'frag' }, fragEvents(500, 5000));
  await writeTrace(join(dir, 'big.csv.gz'), { name: 'big' }, fragEvents(100, 300_000));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runMatrix', () => {
  it('gives identical results in the same order with 1 and 2 worker threads', async () => {
    const traces = [join(dir, 'frag.csv'), join(dir, 'big.csv.gz')];
    const { jobs } = expandMatrix(traces, ['glibc', 'jemalloc', 'obmalloc-arenafree'], parseSweepParams(['glibc.trim_threshold=0,1MiB']));
    const input = { touch: 'full' as const };
    const one = await runMatrix(jobs, input, 1);
    const done: number[] = [];
    const two = await runMatrix(jobs, input, 2, { onJobDone: (j) => done.push(j.index) });
    // obmalloc-arenafree sits on glibc, so the glibc sweep applies to it too (as its backing's params).
    const trim = (r: RunResult): string => String(r.model.params.trim_threshold ?? r.model.params['backing.trim_threshold'] ?? '-');
    expect(one.map((r) => `${r.trace.name} ${r.model.name} ${trim(r)}`)).toEqual([
      'frag glibc 0',
      'frag glibc 1048576',
      'frag jemalloc -',
      'frag obmalloc-arenafree 0',
      'frag obmalloc-arenafree 1048576',
      'big glibc 0',
      'big glibc 1048576',
      'big jemalloc -',
      'big obmalloc-arenafree 0',
      'big obmalloc-arenafree 1048576',
    ]);
    expect(one.map((r) => r.matrixIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(stripTiming(two)).toBe(stripTiming(one));
    expect([...done].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The runs measured something: 100 live blocks of 300 kB at the first mark.
    expect(one[5]!.marks[0]!.liveBytes).toBe(100 * 300_000 + 100 * 40);
    expect(one[5]!.peakRssBytes).toBeGreaterThan(100 * 300_000);
  });

  it('gives, through shards and merge, the runs one whole run gives', async () => {
    const { jobs } = expandMatrix([join(dir, 'frag.csv')], ['glibc', 'jemalloc', 'obmalloc'], []);
    const file = (runs: RunResult[], shard: string | null): ResultFile => ({
      schema: RESULT_SCHEMA,
      tool: { name: 'heapreplay', version: 'test', commit: null },
      createdAt: '',
      options: commandOptionsRecord(shard ? { shard } : {}),
      runs,
    });
    const whole = file(await runMatrix(jobs, {}, 1), null);
    const shards = await Promise.all(
      [1, 2].map(async (index) => {
        const shard = { index, count: 2 };
        return { path: `s${index}.json`, result: file(await runMatrix(jobs.filter((j) => inShard(j.index, shard)), { shard: formatShard(shard) }, 1), formatShard(shard)) };
      }),
    );
    expect(shards.map((s) => s.result.runs.map((r) => r.matrixIndex))).toEqual([[0, 2], [1]]);
    const merged = mergeResults(shards);
    const strip = (f: ResultFile): string => JSON.stringify({ ...f, runs: f.runs.map(({ replay: _r, ...rest }) => rest) });
    expect(strip(merged)).toBe(strip(whole));
  });

  it('passes a located trace error back from a worker thread', async () => {
    const bad = join(dir, 'bad.csv');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(bad, '# heapreplay-trace v1\nop,id,size\nmalloc,1,10\nfree,2,\n');
    const { jobs } = expandMatrix([bad], ['glibc', 'jemalloc'], []);
    await expect(runMatrix(jobs, {}, 2)).rejects.toMatchObject({ name: 'TraceError', line: 4 });
    await expect(runMatrix(jobs, {}, 1)).rejects.toMatchObject({ name: 'TraceError', line: 4 });
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventBatch, TraceEvent, TraceSource } from '../traces/types.ts';
import { writeTrace } from '../traces/writer.ts';
import type { RunJob } from './matrix.ts';
import { BATCH_BYTES_PER_EVENT, ReplayableTrace, TraceCache } from './replayable-trace.ts';
import type { RunResult } from './result.ts';
import { runJob } from './run-job.ts';
import { memorySource } from './testing/memory-source.ts';

/** Counts the passes a consumer starts on the wrapped source. */
function counted(source: TraceSource): { source: TraceSource; passes: () => number } {
  let passes = 0;
  const wrapped = Object.create(source) as TraceSource;
  wrapped.batches = () => {
    passes++;
    return source.batches();
  };
  return { source: wrapped, passes: () => passes };
}

async function collect(source: TraceSource): Promise<EventBatch[]> {
  const out: EventBatch[] = [];
  for await (const b of source.batches()) out.push(b);
  return out;
}

/** 10 events in batches of 3: 4 batches (3+3+3+1). */
const TEN = [
  ...Array.from({ length: 5 }, (_, i) => ({ op: 'malloc' as const, id: `a${i}`, size: 16 * (i + 1) })),
  ...Array.from({ length: 5 }, (_, i) => ({ op: 'free' as const, id: `a${i}` })),
];

describe('ReplayableTrace', () => {
  it('streams the first pass and serves the same batches from memory after it', async () => {
    const inner = counted(memorySource(TEN));
    const trace = new ReplayableTrace(inner.source);
    const first = await collect(trace);
    expect(trace.isKept).toBe(true);
    const second = await collect(trace);
    const third = await collect(trace);
    expect(inner.passes()).toBe(1);
    expect(first.map((b) => b.length)).toEqual([3, 3, 3, 1]);
    // The very batches of the first pass, not copies.
    second.forEach((b, i) => expect(b).toBe(first[i]));
    third.forEach((b, i) => expect(b).toBe(first[i]));
    expect(trace.idCount).toBe(5);
    expect(trace.idName(first[0]!.id[2]!)).toBe('a2');
  });

  it('keeps nothing past its budget, and every pass streams again', async () => {
    const inner = counted(memorySource(TEN));
    // Room for 9 events: the 4th batch (event 10) passes the budget.
    const trace = new ReplayableTrace(inner.source, 9 * BATCH_BYTES_PER_EVENT);
    await collect(trace);
    expect(trace.isKept).toBe(false);
    const again = await collect(trace);
    expect(again.reduce((n, b) => n + b.length, 0)).toBe(10);
    expect(inner.passes()).toBe(2);
  });

  it('keeps a trace that fits its budget exactly', async () => {
    const trace = new ReplayableTrace(memorySource(TEN), 10 * BATCH_BYTES_PER_EVENT);
    await collect(trace);
    expect(trace.isKept).toBe(true);
  });

  it('keeps nothing from a pass that stopped early', async () => {
    const inner = counted(memorySource(TEN));
    const trace = new ReplayableTrace(inner.source);
    for await (const _ of trace.batches()) break;
    expect(trace.isKept).toBe(false);
    expect((await collect(trace)).length).toBe(4);
    expect(trace.isKept).toBe(true);
    expect(inner.passes()).toBe(2);
  });
});

function ev(op: TraceEvent['op'], id: string | null, size = 0, label: string | null = null): TraceEvent {
  return { op, id, size, align: 0, thread: 0, timeNs: null, domain: 'obj', label, line: 0 };
}

/** Big and small blocks interleaved, the big ones freed: every model keeps some of it, so the figures are not trivial. */
function* fragEvents(): Generator<TraceEvent> {
  for (let i = 0; i < 200; i++) {
    yield ev('malloc', `b${i}`, 150_000);
    yield ev('malloc', `s${i}`, 48);
  }
  yield ev('mark', null, 0, 'After alloc');
  for (let i = 0; i < 200; i++) yield ev('free', `b${i}`);
  yield ev('mark', null, 0, 'After del');
}

function withoutTiming(r: RunResult): string {
  const { replay: _replay, ...rest } = r;
  return JSON.stringify(rest);
}

describe('TraceCache', () => {
  let dir = '';
  let gz = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hr-replayable-'));
    gz = join(dir, 'frag.csv.gz');
    await writeTrace(gz, { name: 'frag' }, fragEvents());
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lends one decoded trace to the jobs of that trace, and opens another for another path or mode', async () => {
    const cache = new TraceCache();
    const a = await cache.open(gz, false);
    expect(await cache.open(gz, false)).toBe(a);
    expect(await cache.open(gz, true)).not.toBe(a);
    const other = join(dir, 'copy.csv.gz');
    await writeTrace(other, { name: 'frag' }, fragEvents());
    const b = await cache.open(other, true);
    expect(b.path).toBe(other);
    // One slot: going back to the first path opens it again.
    expect(await cache.open(gz, false)).not.toBe(a);
  });

  it('gives the results of a fresh open to every model that replays the kept trace', async () => {
    const cache = new TraceCache();
    const models = ['glibc', 'jemalloc', 'obmalloc', 'obmalloc-arenafree', 'glibc'];
    for (const [index, model] of models.entries()) {
      const job: RunJob = { index, tracePath: gz, model, overrides: {} };
      const shared = await runJob(job, { touch: 'full' }, {}, cache);
      const alone = await runJob(job, { touch: 'full' });
      expect(withoutTiming(shared)).toBe(withoutTiming(alone));
      // 400 mallocs, a mark, 200 frees, a mark.
      expect(shared.trace.events).toBe(602);
      expect(shared.marks.map((m) => m.liveBytes)).toEqual([200 * 150_000 + 200 * 48, 200 * 48]);
    }
    expect((await cache.open(gz, false)).isKept).toBe(true);
  });

  it('does not keep a trace that failed to open, so each job reports the error', async () => {
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, 'op,id,size\nmalloc,1,10\nfree,2,\n');
    const cache = new TraceCache();
    const job: RunJob = { index: 0, tracePath: join(dir, 'missing.csv'), model: 'glibc', overrides: {} };
    await expect(runJob(job, {}, {}, cache)).rejects.toThrow();
    await expect(runJob(job, {}, {}, cache)).rejects.toThrow();
    // A bad row fails every job of the trace with the same located error.
    const badJob: RunJob = { index: 1, tracePath: bad, model: 'glibc', overrides: {} };
    await expect(runJob(badJob, {}, {}, cache)).rejects.toMatchObject({ name: 'TraceError', line: 3 });
    await expect(runJob({ ...badJob, model: 'jemalloc' }, {}, {}, cache)).rejects.toMatchObject({ name: 'TraceError', line: 3 });
  });
});

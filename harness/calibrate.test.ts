import { describe, expect, it } from 'vitest';
import { parseModelSpec } from '../allocators/registry.ts';
import { OP, type EventBatch, type TraceSource } from '../traces/types.ts';
import {
  CalibrationSource,
  calibrateSource,
  calibrationModels,
  calibrationPlan,
  compareRss,
  median,
  pairRuns,
  realPace,
  worstErrors,
  type CalibrationTrace,
} from './calibrate.ts';
import { UsageError } from './cli-errors.ts';
import { onPath, requireNative } from './real/native-test-support.ts';
import { systemLibraries } from './real/libraries.ts';
import type { MarkRecord, RunResult } from './result.ts';
import { memorySource, type MemoryEvent } from './testing/memory-source.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

async function collect(source: TraceSource): Promise<EventBatch[]> {
  const out: EventBatch[] = [];
  for await (const b of source.batches()) out.push(b);
  return out;
}

function column<K extends 'op' | 'timeNs' | 'thread' | 'size'>(batches: EventBatch[], key: K): number[] {
  return batches.flatMap((b) => Array.from(b[key] as ArrayLike<number>).slice(0, b.length));
}

describe('CalibrationSource', () => {
  const events: MemoryEvent[] = [
    { op: 'malloc', id: 'a', size: 100, timeNs: 5_000, thread: 3 },
    { op: 'mark', label: 'one', timeNs: 9_000 },
    { op: 'malloc', id: 'b', size: 200, timeNs: 12_000, thread: 1 },
    { op: 'free', id: 'a', timeNs: 13_000 },
    { op: 'mark', label: 'two', timeNs: 20_000 },
    { op: 'malloc', id: 'c', size: 300, timeNs: 30_000 },
  ];

  it('replaces the trace clock by event × tick + k × idle after the k-th mark (the mark included) and puts every event on thread 0', async () => {
    const src = new CalibrationSource(memorySource(events, { batchSize: 4 }), { tickNs: 10, idleNs: 1_000_000, liveLimitBytes: null });
    const batches = await collect(src);
    expect(src.hasTime).toBe(true);
    // event i at i × 10 ns; marks at indices 1 and 4 add 1 ms each from themselves on
    expect(column(batches, 'timeNs')).toEqual([0, 10 + 1e6, 20 + 1e6, 30 + 1e6, 40 + 2e6, 50 + 2e6]);
    expect(column(batches, 'thread')).toEqual([0, 0, 0, 0, 0, 0]);
    expect(column(batches, 'size')).toEqual([100, 0, 200, 0, 0, 300]);
    // labels keep their position inside each batch
    expect([...batches[0]!.labels]).toEqual([[1, 'one']]);
    expect([...batches[1]!.labels]).toEqual([[0, 'two']]);
    expect(src.cutAtEvent).toBeNull();
    expect(src.keptEvents).toBe(6);
  });

  it('does not write into the batches of the source it wraps', async () => {
    const inner = memorySource(events, { batchSize: 10 });
    const seen: EventBatch[] = [];
    const spy: TraceSource = { ...inner, batches: async function* () { for await (const b of inner.batches()) { seen.push(b); yield b; } } };
    await collect(new CalibrationSource(spy, { tickNs: 0, idleNs: 7, liveLimitBytes: null }));
    expect(Array.from(seen[0]!.thread)).toEqual([3, 0, 1, 0, 0, 0]);
    expect(seen[0]!.timeNs[0]).toBe(5_000);
  });

  it('cuts before the first event that takes live data past the limit', async () => {
    // live: a=100 → 100; b=200 → 300; free a → 200; c=300 → 500 > 450: cut at event 5
    const src = new CalibrationSource(memorySource(events, { batchSize: 2 }), { tickNs: 0, idleNs: 0, liveLimitBytes: 450 });
    const batches = await collect(src);
    expect(column(batches, 'op')).toEqual([OP.malloc, OP.mark, OP.malloc, OP.free, OP.mark]);
    expect(src.cutAtEvent).toBe(5);
    expect(src.keptEvents).toBe(5);
    // a realloc counts its new size against the old one: 100 → 400 is +300 (400 ≤ 450), 400 → 500 passes
    const grow = new CalibrationSource(
      memorySource([
        { op: 'malloc', id: 'x', size: 100 },
        { op: 'realloc', id: 'x', size: 400 },
        { op: 'realloc', id: 'x', size: 500 },
      ]),
      { tickNs: 0, idleNs: 0, liveLimitBytes: 450 },
    );
    expect((await collect(grow)).reduce((n, b) => n + b.length, 0)).toBe(2);
    expect(grow.cutAtEvent).toBe(2);
  });
});

describe('calibrationPlan', () => {
  it('skips a 32-bit trace, cuts a memory-limit trace, replays others whole', () => {
    expect(calibrationPlan({ 'address-space': '32' }, 't.csv').skip).toMatch(/32-bit process/);
    expect(calibrationPlan({ 'memory-limit': '2GiB' }, 't.csv')).toEqual({ skip: null, liveLimitBytes: 2 * 1024 * MiB });
    expect(calibrationPlan({}, 't.csv')).toEqual({ skip: null, liveLimitBytes: null });
    expect(() => calibrationPlan({ 'memory-limit': 'lots' }, 't.csv')).toThrow(/t\.csv: metadata "# memory-limit: lots"/);
  });
});

describe('calibrationModels', () => {
  it('takes models with a real counterpart only, each once', () => {
    expect(calibrationModels(['glibc', 'jemalloc@5.3']).map((s) => `${s.name}@${s.preset}`)).toEqual(['glibc@2.35', 'jemalloc@5.3']);
    expect(() => calibrationModels(['obmalloc'])).toThrow(UsageError);
    expect(() => calibrationModels(['jemalloc', 'jemalloc@5.1'])).toThrow(/twice/);
    expect(() => calibrationModels([])).toThrow(UsageError);
  });
});

function mark(label: string, event: number, rssBytes: number): MarkRecord {
  return { label, event, timeNs: 0, rssBytes, liveBytes: 0, mappedBytes: 0, freeResidentBytes: 0 };
}

function run(name: string, preset: string, marks: MarkRecord[], peak: number, final: number): RunResult {
  return {
    trace: { name: 't', path: 't.csv', events: 10, sha256: '0'.repeat(64) },
    model: { name, preset, params: {} },
    status: 'ok',
    peakRssBytes: peak,
    finalRssBytes: final,
    peakLiveBytes: 0,
    finalLiveBytes: 0,
    peakMappedBytes: 0,
    internalFragmentationBytes: 0,
    freeResidentBytes: 0,
    marks,
    fragmentation: { jw1: 0, jw2: 0, jw3: 0, jw4: 0 },
    retention: [],
    failure: null,
    timeline: { event: [], timeNs: [], liveBytes: [], rssBytes: [], mappedBytes: [] },
    replay: { events: 10, seconds: 1, eventsPerSecond: 10 },
  };
}

describe('comparing runs', () => {
  it('gives model − real in bytes and as % of real', () => {
    expect(compareRss(110, 100)).toEqual({ modelBytes: 110, realBytes: 100, errorBytes: 10, errorPct: 10 });
    expect(compareRss(75, 100).errorPct).toBe(-25);
    expect(compareRss(0, 0).errorPct).toBe(0);
    expect(compareRss(4096, 0).errorPct).toBeNull();
  });

  it('pairs marks in order, then peak and final', () => {
    const model = run('jemalloc', '5.3', [mark('A', 3, 150 * MiB), mark('B', 7, 20 * MiB)], 160 * MiB, 20 * MiB);
    const real = run('jemalloc (real)', '5.3.0', [mark('A', 3, 100 * MiB), mark('B', 7, 25 * MiB)], 100 * MiB, 25 * MiB);
    const pair = pairRuns(model, real);
    expect(pair.model).toBe('jemalloc@5.3');
    expect(pair.real).toBe('jemalloc (real)@5.3.0');
    expect(pair.points.map((p) => [p.point, p.errorBytes, p.errorPct])).toEqual([
      ['A', 50 * MiB, 50],
      ['B', -5 * MiB, -20],
      ['peak', 60 * MiB, 60],
      ['final', -5 * MiB, -20],
    ]);
    const other = run('jemalloc (real)', '5.3.0', [mark('A', 4, 1)], 1, 1);
    expect(() => pairRuns(model, other)).toThrow(/mark 1 is "A" at event 3 in the model run but "A" at event 4/);
  });

  it('compares with the median of several real runs and records how far outside their range the model lies', () => {
    const model = run('jemalloc', '5.3', [mark('T', 5, 208 * MiB), mark('U', 9, 190 * MiB)], 250 * MiB, 208 * MiB);
    const reals = [
      run('jemalloc (real)', '5.3.0', [mark('T', 5, 188 * MiB), mark('U', 9, 189 * MiB)], 245 * MiB, 195 * MiB),
      run('jemalloc (real)', '5.3.0', [mark('T', 5, 201 * MiB), mark('U', 9, 192 * MiB)], 244 * MiB, 201 * MiB),
      run('jemalloc (real)', '5.3.0', [mark('T', 5, 188 * MiB), mark('U', 9, 191 * MiB)], 245 * MiB, 195 * MiB),
    ];
    reals[1]!.replay.seconds = 3;
    const pair = pairRuns(model, reals);
    expect(pair.realRuns).toBe(3);
    expect(pair.realSeconds).toBe(1); // median of 1, 3, 1
    const [t, u, peak] = pair.points;
    // T: median 188 MiB, range 188–201: the model (208) is 20 MiB above the median, 7 MiB above the range.
    expect([t!.realBytes, t!.errorBytes, t!.spread]).toEqual([188 * MiB, 20 * MiB, { runs: 3, realMinBytes: 188 * MiB, realMaxBytes: 201 * MiB, outsideBytes: 7 * MiB }]);
    // U: 190 MiB lies within 189–192 MiB: outside 0, though the error against the median (191) is −1 MiB.
    expect([u!.errorBytes, u!.spread!.outsideBytes]).toEqual([-1 * MiB, 0]);
    // Below the range counts negative: peak 250 vs 244–245 is +5 MiB outside.
    expect(peak!.spread!.outsideBytes).toBe(5 * MiB);
    const worst = worstErrors([{ name: 's', path: 's.csv', sha256: '', events: 1, skipped: null, note: null, pairs: [pair] }], ['jemalloc']);
    expect([worst[0]!.byOutside!.point, worst[0]!.byOutside!.outsideBytes]).toEqual(['T', 7 * MiB]);
    // One real run: no spread, nothing outside to rank.
    const single = pairRuns(model, reals[0]!);
    expect(single.points[0]!.spread).toBeUndefined();
    expect(worstErrors([{ name: 's', path: 's.csv', sha256: '', events: 1, skipped: null, note: null, pairs: [single] }], ['jemalloc'])[0]!.byOutside).toBeNull();
  });

  it('takes the median of an even count as the mean of the middle two', () => {
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(median([7])).toBe(7);
  });

  it("gives the real replay's pace as whole wall ns per event", () => {
    const r = run('jemalloc (real)', '5.3.0', [], 0, 0);
    r.replay = { events: 3000, seconds: 0.0045, eventsPerSecond: 0 };
    expect(realPace(r)).toBe(1500);
    r.replay = { events: 0, seconds: 1, eventsPerSecond: 0 };
    expect(realPace(r)).toBe(0);
  });

  it('finds the worst mark per model by % and by bytes, over traces', () => {
    const t = (name: string, pairs: CalibrationTrace['pairs']): CalibrationTrace => ({ name, path: `${name}.csv`, sha256: '', events: 1, skipped: null, note: null, pairs });
    const g1 = pairRuns(run('glibc', '2.35', [mark('x', 1, 110), mark('y', 2, 2000)], 0, 0), run('glibc (real)', '2.36', [mark('x', 1, 100), mark('y', 2, 1900)], 0, 0));
    const j1 = pairRuns(run('jemalloc', '5.3', [mark('x', 1, 50)], 0, 0), run('jemalloc (real)', '5.3.0', [mark('x', 1, 0)], 0, 0));
    const g2 = pairRuns(run('glibc', '2.35', [mark('z', 1, 70)], 0, 0), run('glibc (real)', '2.36', [mark('z', 1, 100)], 0, 0));
    const worst = worstErrors([t('one', [g1, j1]), t('two', [g2])], ['glibc', 'jemalloc']);
    // glibc: x +10 % (+10 B), y +5.3 % (+100 B), z -30 % (-30 B) → by % z, by bytes y
    expect(worst[0]!.marks).toBe(3);
    expect([worst[0]!.byPct!.trace, worst[0]!.byPct!.point, worst[0]!.byPct!.comparison.errorPct]).toEqual(['two', 'z', -30]);
    expect([worst[0]!.byBytes!.trace, worst[0]!.byBytes!.point, worst[0]!.byBytes!.comparison.errorBytes]).toEqual(['one', 'y', 100]);
    // jemalloc's only mark has a real RSS of 0: no % to rank, but it is still the worst by bytes
    expect(worst[1]!.byPct).toBeNull();
    expect(worst[1]!.byBytes!.comparison.errorBytes).toBe(50);
  });
});

describe('calibrateSource against the real allocators', async () => {
  if (!requireNative(onPath('cc'), 'a C compiler (cc)', 'gcc')) return;
  const hasJemalloc = (await systemLibraries()).has('libjemalloc.so.2');
  if (!requireNative(hasJemalloc, 'jemalloc (libjemalloc.so.2)', 'libjemalloc2')) return;

  it('replays a small trace through both sides and pairs every mark', async () => {
    // One 4 MiB block, written in full: both glibc (above the mmap threshold) and jemalloc (a large extent)
    // map it on its own, so model and real both gain at least 4 MiB between "before" and "held".
    const source = memorySource(
      [
        { op: 'mark', label: 'before' },
        { op: 'malloc', id: 'big', size: 4 * MiB },
        { op: 'malloc', id: 's', size: 64 },
        { op: 'mark', label: 'held' },
        { op: 'free', id: 'big' },
        { op: 'mark', label: 'freed' },
      ],
      { meta: { name: 'four-mib' } },
    );
    const specs = [parseModelSpec('glibc'), parseModelSpec('jemalloc')];
    const { trace, runs } = await calibrateSource(source, specs, { models: ['glibc', 'jemalloc'], touch: 'full', idleMs: 0, lenient: false });
    expect(trace.name).toBe('four-mib');
    expect(trace.events).toBe(6);
    expect(runs.map((r) => r.model.name)).toEqual(['glibc', 'glibc (real)', 'jemalloc', 'jemalloc (real)']);
    expect(trace.pairs.map((p) => p.points.map((q) => q.point))).toEqual([
      ['before', 'held', 'freed', 'peak', 'final'],
      ['before', 'held', 'freed', 'peak', 'final'],
    ]);
    for (const [i, pair] of trace.pairs.entries()) {
      const model = runs[2 * i]!;
      const real = runs[2 * i + 1]!;
      pair.points.slice(0, 3).forEach((p, k) => {
        expect(p.modelBytes).toBe(model.marks[k]!.rssBytes);
        expect(p.realBytes).toBe(real.marks[k]!.rssBytes);
        expect(p.errorBytes).toBe(p.modelBytes - p.realBytes);
      });
      const [before, held] = pair.points;
      expect(held!.modelBytes - before!.modelBytes).toBeGreaterThanOrEqual(4 * MiB);
      expect(held!.realBytes - before!.realBytes).toBeGreaterThanOrEqual(4 * MiB);
    }
    // glibc unmaps a freed mmapped chunk at once, for real and in the model
    const glibc = trace.pairs[0]!.points;
    expect(glibc[1]!.realBytes - glibc[2]!.realBytes).toBeGreaterThanOrEqual(4 * MiB);
    expect(glibc[1]!.modelBytes - glibc[2]!.modelBytes).toBeGreaterThanOrEqual(4 * MiB);
  });

  it('reports a 32-bit trace as skipped without running anything', async () => {
    const source = memorySource([{ op: 'malloc', id: 'a', size: 1 }], { meta: { name: 'small', 'address-space': '32' } });
    const { trace, runs } = await calibrateSource(source, [parseModelSpec('glibc')], { models: ['glibc'], touch: 'full', idleMs: 0, lenient: false });
    expect(runs).toEqual([]);
    expect(trace.skipped).toMatch(/32-bit/);
    expect(trace.pairs).toEqual([]);
  });
});

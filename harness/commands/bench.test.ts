import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { compareResults } from '../../reports/compare.ts';
import { checkBmf, checkGab } from '../../reports/exports/format-check.ts';
import { parseHistory } from '../../reports/history.ts';
import type { TraceEvent } from '../../traces/types.ts';
import { writeTrace } from '../../traces/writer.ts';
import type { BenchStats } from '../bench.ts';
import { UsageError } from '../cli-errors.ts';
import type { ResultFile, RunResult } from '../result.ts';
import { PACKAGE_ROOT } from '../version.ts';
import { benchSettings, executeBench, renderBenchTables, type BenchArgs } from './bench.ts';

function ev(op: TraceEvent['op'], id: string | null, size = 0, label: string | null = null): TraceEvent {
  return { op, id, size, align: 0, thread: 0, timeNs: null, domain: 'obj', label, line: 0 };
}

function* events(): Generator<TraceEvent> {
  for (let i = 0; i < 200; i++) yield ev('malloc', String(i), i % 2 ? 48 : 20_000);
  yield ev('mark', null, 0, 'After alloc');
  for (let i = 0; i < 200; i += 2) yield ev('free', String(i));
  yield ev('mark', null, 0, 'After del');
}

function args(over: Partial<BenchArgs>): BenchArgs {
  return { models: 'glibc,jemalloc', touch: 'full', lenient: false, time: 0, iterations: 3, warmup: 1, progress: false, ...over };
}

let dir = '';
let trace = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hr-bench-cmd-'));
  trace = join(dir, 'small.csv.gz');
  await writeTrace(trace, { name: 'small' }, events());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('benchSettings', () => {
  it('takes tinybench budgets and rejects nonsense', () => {
    expect(benchSettings({ time: 500, iterations: 5, warmup: 0 })).toEqual({ timeMs: 500, iterations: 5, warmupIterations: 0 });
    expect(() => benchSettings({ time: -1, iterations: 5, warmup: 1 })).toThrow(UsageError);
    expect(() => benchSettings({ time: 10, iterations: 0, warmup: 1 })).toThrow(/--iterations 0/);
    expect(() => benchSettings({ time: 10, iterations: 2.5, warmup: 1 })).toThrow(/--iterations 2.5/);
    expect(() => benchSettings({ time: 10, iterations: 2, warmup: -1 })).toThrow(/--warmup -1/);
  });
});

describe('heapreplay bench', () => {
  it('stores samples, writes valid exports and history, and a bench result compares clean with itself', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let result: ResultFile;
    let printed = '';
    try {
      result = await executeBench(
        args({ traces: [trace], json: join(dir, 'b.json'), export: [`gab:${join(dir, 'g.json')}`, `bmf:${join(dir, 'm.json')}`], history: join(dir, 'h.jsonl') }),
      );
    } finally {
      printed = out.mock.calls.map((c) => String(c[0])).join('');
      out.mockRestore();
    }
    expect(printed).toMatch(/glibc@2\.35\n {2}trace +events +ev\/s median +p75 +p99 +±rme/);
    expect(printed).toContain('jemalloc@5.3');
    expect(printed).toContain(`export:  ${join(dir, 'g.json')} (gab)`);
    expect(printed).toContain('(2 runs appended)');

    const file = JSON.parse(await readFile(join(dir, 'b.json'), 'utf8')) as ResultFile;
    expect(file).toEqual(result);
    expect(file.runs.map((r) => r.model.name)).toEqual(['glibc', 'jemalloc']);
    for (const run of file.runs) {
      expect(run.replay.samplesMs).toHaveLength(3);
      expect(run.replay.events).toBe(302);
      expect(run.trace.path).toBe(trace);
    }
    const gab = JSON.parse(await readFile(join(dir, 'g.json'), 'utf8')) as { unit: string }[];
    expect(checkGab(gab)).toEqual([]);
    expect(gab.filter((e) => e.unit === 'ns/event')).toHaveLength(2);
    const bmf = JSON.parse(await readFile(join(dir, 'm.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(checkBmf(bmf)).toEqual([]);
    expect(Object.values(bmf).every((m) => m.latency !== undefined)).toBe(true);
    const history = parseHistory(await readFile(join(dir, 'h.jsonl'), 'utf8'));
    expect(history.entries).toHaveLength(1);
    expect(history.entries[0]!.runs.every((r) => r.eventsPerSecond !== null && r.eventsPerSecond > 0)).toBe(true);

    const self = compareResults(file, file, { threshold: 0.01, timeThreshold: 0.1 });
    expect(self.regressions).toBe(0);
    const timing = self.runs.flatMap((r) => r.deltas).filter((d) => d.unit === 'events/s');
    expect(timing).toHaveLength(2);
    for (const d of timing) expect(d.test?.samples).toEqual([3, 3]);

    // The same through the CLI: compare exits 0 on a bench result against itself.
    const r = await execa('node', [join(PACKAGE_ROOT, 'bin', 'heapreplay.js'), 'compare', 'b.json', 'b.json'], { cwd: dir, reject: false, env: { CI: '1' } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('No regression in 2 matched runs');
  }, 60_000);

  it('refuses a bad --export before replaying anything', async () => {
    await expect(executeBench(args({ traces: [trace], export: ['xml:out.xml'] }))).rejects.toThrow(/unknown format "xml"; expected one of gab/);
    await expect(executeBench(args({ traces: [] }))).rejects.toThrow(/name at least one trace/);
    await expect(executeBench(args({ traces: [join(dir, 'missing.csv')] }))).rejects.toThrow(/no such trace file/);
  });
});

describe('renderBenchTables', () => {
  it('prints a table per model with the rates at median, p75 and p99', () => {
    const run = (model: string, events: number): RunResult =>
      ({ trace: { name: 't', events }, model: { name: model, preset: 'x', backing: null, params: {} }, replay: { events }, peakRssBytes: 2 * 1024 * 1024 }) as unknown as RunResult;
    // 2 M events: 1 s median = 2.00 M ev/s; 1.25 s p75 = 1.60 M; 2 s p99 = 1.00 M
    const stats: BenchStats = { samples: 5, meanMs: 1100, medianMs: 1000, p75Ms: 1250, p99Ms: 2000, rmePercent: 4.321, eventsPerSecond: { median: 2e6, p75: 1.6e6, p99: 1e6 } };
    const text = renderBenchTables([
      { result: run('glibc', 2e6), stats },
      { result: run('jemalloc', 2e6), stats: { ...stats, eventsPerSecond: { median: 5e5, p75: 4e5, p99: 2.5e5 } } },
    ]);
    const lines = text.split('\n');
    expect(lines[0]).toBe('glibc@x');
    expect(lines[3]).toMatch(/^ {2}t +2,000,000 +2\.00 M +1\.60 M +1\.00 M +4\.32 % +5 +1000 +2 MiB$/);
    expect(text).toContain('jemalloc@x');
    expect(text).toMatch(/500\.0 k +400\.0 k +250\.0 k/);
  });
});

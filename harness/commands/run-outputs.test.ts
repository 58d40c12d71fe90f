// `run --export` and `run --history`, in-process (the CLI end to end is in run.test.ts).
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkBmf, checkGab } from '../../reports/exports/format-check.ts';
import { parseHistory } from '../../reports/history.ts';
import type { TraceEvent } from '../../traces/types.ts';
import { writeTrace } from '../../traces/writer.ts';
import { executeRun, type RunArgs } from './run.ts';

function* events(): Generator<TraceEvent> {
  for (let i = 0; i < 50; i++) yield { op: 'malloc', id: String(i), size: 1000 * (i + 1), align: 0, thread: 0, timeNs: null, domain: 'obj', label: null, line: 0 };
  yield { op: 'mark', id: null, size: 0, align: 0, thread: 0, timeNs: null, domain: 'obj', label: 'End', line: 0 };
}

let dir = '';
let trace = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hr-run-outputs-'));
  trace = join(dir, 't.csv');
  await writeTrace(trace, { name: 't' }, events());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function args(over: Partial<RunArgs>): RunArgs {
  return { traces: [trace], models: 'glibc,jemalloc', touch: 'full', lenient: false, jobs: 1, progress: false, 'default-suite': false, ...over };
}

async function quietly<T>(work: () => Promise<T>): Promise<{ value: T; printed: string }> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const value = await work();
    return { value, printed: out.mock.calls.map((c) => String(c[0])).join('') };
  } finally {
    out.mockRestore();
  }
}

describe('run --export / --history', () => {
  it('writes the tracker files and appends the history, without --json', async () => {
    const history = join(dir, 'h.jsonl');
    const { value: result, printed } = await quietly(() => executeRun(args({ export: [`gab:${join(dir, 'g.json')}`, `bmf:${join(dir, 'm.json')}`], history })));
    expect(printed).toContain(`export:  ${join(dir, 'm.json')} (bmf)`);
    const gab = JSON.parse(await readFile(join(dir, 'g.json'), 'utf8')) as { name: string; value: number }[];
    expect(checkGab(gab)).toEqual([]);
    // a run has no timing samples: peak and final RSS per run, nothing else
    expect(gab).toHaveLength(4);
    expect(gab[0]!.value).toBeCloseTo(result.runs[0]!.peakRssBytes / 1048576, 3);
    expect(checkBmf(JSON.parse(await readFile(join(dir, 'm.json'), 'utf8')))).toEqual([]);
    const { entries } = parseHistory(await readFile(history, 'utf8'));
    expect(entries).toHaveLength(1);
    expect(entries[0]!.runs.map((r) => r.peakRssBytes)).toEqual(result.runs.map((r) => r.peakRssBytes));
  });

  it('rejects a bad --export before replaying, writing nothing', async () => {
    await expect(executeRun(args({ export: ['gab'], json: join(dir, 'never.json') }))).rejects.toThrow(/expected format:file/);
    expect(await stat(join(dir, 'never.json')).catch(() => null)).toBeNull();
  });
});

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeTrace } from '../../traces/writer.ts';
import type { TraceEvent } from '../../traces/types.ts';
import type { CalibrationResult } from '../calibrate.ts';
import { UsageError } from '../cli-errors.ts';
import { onPath, requireNative } from '../real/native-test-support.ts';
import { defaultCalibrationTraces, executeCalibrate, type CalibrateArgs } from './calibrate.ts';

function event(op: TraceEvent['op'], id: string | null, size = 0, label: string | null = null): TraceEvent {
  return { op, id, size, align: 0, thread: 0, timeNs: null, domain: 'obj', label, line: 0 };
}

const base: CalibrateArgs = { models: 'glibc', 'idle-ms': 0, 'tick-ns': '0', 'real-runs': 1, touch: 'full', lenient: false };

async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return await f();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heapreplay-calibrate-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('heapreplay calibrate: arguments', () => {
  it('rejects a model without a real counterpart, a bad --idle-ms and a missing trace before running anything', async () => {
    await expect(executeCalibrate({ ...base, traces: ['x.csv'], models: 'obmalloc' })).rejects.toThrow(UsageError);
    await expect(executeCalibrate({ ...base, traces: ['x.csv'], 'idle-ms': -1 })).rejects.toThrow(/--idle-ms -1/);
    await expect(executeCalibrate({ ...base, traces: ['x.csv'], 'real-runs': 0 })).rejects.toThrow(/--real-runs 0 is not valid/);
    await expect(executeCalibrate({ ...base, traces: ['x.csv'], 'real-runs': 1.5 })).rejects.toThrow(UsageError);
    await expect(executeCalibrate({ ...base, traces: [join(dir, 'missing.csv')] })).rejects.toThrow(/no such trace file/);
    await expect(executeCalibrate({ ...base, traces: ['x.csv'], 'tick-ns': 'soon' })).rejects.toThrow(/--tick-ns soon is not valid/);
  });

  it('defaults to the bundled case studies, then the recorded traces', async () => {
    const traces = await defaultCalibrationTraces();
    const recorded = traces.findIndex((t) => t.includes('recorded'));
    expect(traces.some((t) => /sawtooth\.csv\.gz$/.test(t))).toBe(true);
    expect(recorded).toBeGreaterThan(0);
    expect(traces.slice(recorded).every((t) => t.includes('recorded'))).toBe(true);
  });
});

describe('heapreplay calibrate: a run', async () => {
  if (!requireNative(onPath('cc'), 'a C compiler (cc)', 'gcc')) return;

  it('writes the markdown table and the JSON for a small trace', async () => {
    const trace = join(dir, 'small.csv');
    // 300 blocks of 2000 bytes (≈ 600 KB on the brk heap), a mark, all freed, a mark.
    const events: TraceEvent[] = [];
    for (let i = 0; i < 300; i++) events.push(event('malloc', `b${i}`, 2000));
    events.push(event('mark', null, 0, 'Full'));
    for (let i = 0; i < 300; i++) events.push(event('free', `b${i}`));
    events.push(event('mark', null, 0, 'Empty'));
    await writeTrace(trace, { name: 'small' }, events);
    const report = join(dir, 'cal.md');
    const json = join(dir, 'cal.json');
    const result = await quietly(() => executeCalibrate({ ...base, traces: [trace], report, json }));
    const md = await readFile(report, 'utf8');
    expect(md).toMatch(/^# Calibration: models against the real allocators/);
    expect(md).toMatch(/\| glibc@2\.35 \| Full +\|/);
    expect(md).toMatch(/\| glibc@2\.35 \| Empty +\|/);
    const stored = JSON.parse(await readFile(json, 'utf8')) as CalibrationResult;
    expect(stored.schema).toBe('heapreplay-calibration/1');
    expect(stored.traces[0]!.pairs[0]!.points.map((p) => p.point)).toEqual(['Full', 'Empty', 'peak', 'final']);
    expect(stored.runs.map((r) => r.model.name)).toEqual(['glibc', 'glibc (real)']);
    // Both sides hold the 600 KB at "Full" (the touch policy writes every block on both sides).
    const full = result.traces[0]!.pairs[0]!.points[0]!;
    expect(full.modelBytes).toBeGreaterThanOrEqual(300 * 2000);
    expect(full.realBytes).toBeGreaterThanOrEqual(300 * 2000);
    expect(full.errorBytes).toBe(full.modelBytes - full.realBytes);
  });
});

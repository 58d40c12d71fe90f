import { describe, expect, it } from 'vitest';
import { ModelSpecError } from '../allocators/registry.ts';
import { UsageError } from './cli-errors.ts';
import { expandMatrix, parseSweepParams, splitModelList } from './matrix.ts';

const MiB = 1024 * 1024;

describe('run matrix', () => {
  it('orders jobs trace × model × sweep, the sweep only on the model it names', () => {
    const m = expandMatrix(['a.csv', 'b.csv'], ['glibc', 'jemalloc'], parseSweepParams(['glibc.trim_threshold=0,128KiB,1MiB']));
    expect(m.jobs.map((j) => [j.index, j.tracePath, j.model.split('@')[0], j.overrides.glibc?.trim_threshold ?? null])).toEqual([
      [0, 'a.csv', 'glibc', 0],
      [1, 'a.csv', 'glibc', 128 * 1024],
      [2, 'a.csv', 'glibc', MiB],
      [3, 'a.csv', 'jemalloc', null],
      [4, 'b.csv', 'glibc', 0],
      [5, 'b.csv', 'glibc', 128 * 1024],
      [6, 'b.csv', 'glibc', MiB],
      [7, 'b.csv', 'jemalloc', null],
    ]);
    expect(m.unusedParams).toEqual([]);
  });

  it('varies the first swept parameter slowest and merges values per model', () => {
    const m = expandMatrix(['t'], ['glibc'], parseSweepParams(['glibc.trim_threshold=0,1MiB', 'glibc.top_pad=0,64KiB', 'glibc.mmap_max=0']));
    expect(m.jobs.map((j) => j.overrides.glibc)).toEqual([
      { trim_threshold: 0, top_pad: 0, mmap_max: 0 },
      { trim_threshold: 0, top_pad: 65536, mmap_max: 0 },
      { trim_threshold: MiB, top_pad: 0, mmap_max: 0 },
      { trim_threshold: MiB, top_pad: 65536, mmap_max: 0 },
    ]);
  });

  it('applies a backing model\'s params to the obmalloc runs that sit on it and names canonical specs', () => {
    const m = expandMatrix(['t'], ['obmalloc-arenafree+glibc', 'jemalloc'], parseSweepParams(['glibc.trim_threshold=0,1MiB']));
    expect(m.jobs).toHaveLength(3);
    expect(m.jobs[0]!.model).toMatch(/^obmalloc-arenafree@[^+]+\+glibc@/);
    expect(m.jobs[1]!.overrides).toEqual({ glibc: { trim_threshold: MiB } });
    expect(m.jobs[2]!.overrides).toEqual({});
  });

  it('reports params for models no run uses', () => {
    expect(expandMatrix(['t'], ['jemalloc'], parseSweepParams(['glibc.top_pad=0'])).unusedParams).toEqual(['glibc.top_pad']);
  });

  it('rejects bad values, unknown params, repeated params and an empty model list', () => {
    expect(() => parseSweepParams(['glibc.trim_threshold=0,lots'])).toThrow(ModelSpecError);
    expect(() => parseSweepParams(['glibc.trim_threshold=0,lots'])).toThrow(/bad value "lots" for glibc.trim_threshold/);
    expect(() => parseSweepParams(['glibc.nope=1'])).toThrow(/unknown parameter "nope"/);
    expect(() => parseSweepParams(['glibc.top_pad=0', 'glibc.top_pad=1'])).toThrow(UsageError);
    expect(() => parseSweepParams(['trim_threshold=0'])).toThrow(/expected model.param=value/);
    expect(() => expandMatrix(['t'], splitModelList(' , '), [])).toThrow(UsageError);
    expect(() => expandMatrix(['t'], ['mimalloc'], [])).toThrow(/unknown model "mimalloc"/);
  });
});

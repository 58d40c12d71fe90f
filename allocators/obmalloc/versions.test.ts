import { describe, expect, it } from 'vitest';
import { ModelSpecError } from '../model-spec-error.ts';
import { obmallocArenaFreeModel, obmallocModel } from './index.ts';
import { blocksPerPool, buildConfig, classSize, sizeClassOf, type ObmallocConfig } from './versions.ts';

function config(model: 'obmalloc' | 'obmalloc-arenafree', preset: string, bits: 64 | 32 = 64): ObmallocConfig {
  const def = model === 'obmalloc' ? obmallocModel : obmallocArenaFreeModel;
  return buildConfig(model, preset, def.presets.find((p) => p.name === preset)!.params, model !== 'obmalloc', bits);
}

describe('size classes per version', () => {
  it('2.4: 8-byte steps up to 256, 32 classes; (n-1)>>3', () => {
    const c = config('obmalloc', '2.4');
    expect(c.classes).toBe(32);
    expect([1, 8, 9, 16, 17, 255, 256].map((n) => sizeClassOf(c, n))).toEqual([0, 0, 1, 1, 2, 31, 31]);
    expect([0, 1, 31].map((i) => classSize(c, i))).toEqual([8, 16, 256]);
  });

  it('2.7: 8-byte steps up to 512, 64 classes', () => {
    const c = config('obmalloc-arenafree', '2.7');
    expect(c.classes).toBe(64);
    expect(sizeClassOf(c, 512)).toBe(63);
    expect(classSize(c, 63)).toBe(512);
  });

  it('3.8+: 16-byte steps up to 512, 32 classes; (n-1)>>4', () => {
    for (const v of ['3.8', '3.9', '3.11']) {
      const c = config('obmalloc-arenafree', v);
      expect(c.classes).toBe(32);
      expect([1, 16, 17, 32, 33, 512].map((n) => sizeClassOf(c, n))).toEqual([0, 0, 1, 1, 2, 31]);
      expect(classSize(c, 0)).toBe(16);
    }
  });

  it('version flags: takeover only in 2.4, fingers from 3.8, radix tree from 3.10, keep-one from 3.9', () => {
    expect(config('obmalloc', '2.4').takesOverForeignBlocks).toBe(true);
    expect(config('obmalloc-arenafree', '2.5').takesOverForeignBlocks).toBe(false);
    expect(config('obmalloc-arenafree', '2.7').searchFingers).toBe(false);
    expect(config('obmalloc-arenafree', '3.8').searchFingers).toBe(true);
    expect(config('obmalloc-arenafree', '3.9').radixTree).toBe(false);
    expect(config('obmalloc-arenafree', '3.10').radixTree).toBe(true);
    expect(config('obmalloc-arenafree', '3.8').keepEmptyArena).toBe(false);
    expect(config('obmalloc-arenafree', '3.9').keepEmptyArena).toBe(true);
  });
});

describe('pool geometry', () => {
  it('the pool header is 48 bytes on 64-bit (4 pointers + 4 uints) and 32 on 32-bit', () => {
    expect(config('obmalloc', '2.4').poolHeader).toBe(48);
    expect(config('obmalloc', '2.4', 32).poolHeader).toBe(32);
    expect(config('obmalloc-arenafree', '2.5').arenaObjectSize).toBe(48);
  });

  it('4 KiB pools: (4096-48)/size = 506 at 8, 126 at 32, 15 at 256', () => {
    const c = config('obmalloc', '2.4');
    expect(blocksPerPool(c, 0)).toBe(506); // 4048/8 = 506
    expect(blocksPerPool(c, 3)).toBe(126); // 4048/32 = 126.5
    expect(blocksPerPool(c, 31)).toBe(15); // 4048/256 = 15.8
  });

  it('16 KiB pools: (16384-48)/size = 1021 at 16, 31 at 512', () => {
    const c = config('obmalloc-arenafree', '3.11');
    expect(c.poolSize).toBe(16384);
    expect(c.poolsPerArena).toBe(64);
    expect(blocksPerPool(c, 0)).toBe(1021); // 16336/16 = 1021
    expect(blocksPerPool(c, 31)).toBe(31); // 16336/512 = 31.9
  });
});

describe('param validation', () => {
  const base = obmallocArenaFreeModel.presets.find((p) => p.name === '3.11')!.params;
  const bad: [string, Record<string, number | string | boolean>, RegExp][] = [
    ['arena size not a power of two', { arena_size: 1000000 }, /arena_size must be a power of two/],
    ['pool size not a power of two', { pool_size: 3000 }, /pool_size must be a power of two/],
    ['threshold not a multiple of alignment', { threshold: 500 }, /multiple of alignment/],
    ['alignment not a power of two', { alignment: 12 }, /alignment must be a power of two/],
    ['threshold too big for the pool', { pool_size: 1024, threshold: 512 }, /fewer than two blocks/],
    ['arena smaller than two pools', { arena_size: 16384 }, /at least two pools/],
    ['unknown arena source', { arena_source: 'brk' }, /arena_source must be malloc or mmap/],
  ];
  for (const [what, override, message] of bad) {
    it(`rejects ${what}`, () => {
      expect(() => buildConfig('obmalloc-arenafree', '3.11', { ...base, ...override }, true, 64)).toThrow(ModelSpecError);
      expect(() => buildConfig('obmalloc-arenafree', '3.11', { ...base, ...override }, true, 64)).toThrow(message);
    });
  }

  it('accepts overrides that make sense', () => {
    const c = buildConfig('obmalloc-arenafree', '3.11', { ...base, pool_size: 4096, arena_size: 262144, threshold: 256 }, true, 64);
    expect(c.poolsPerArena).toBe(64);
    expect(c.classes).toBe(16);
  });
});

import { describe, expect, it } from 'vitest';
import { AddressSpace } from '../address-space.ts';
import { ModelSpecError } from '../model-spec-error.ts';
import { glibcModel } from './index.ts';
import { resolveGlibcConfig } from './params.ts';

describe('glibc params and presets', () => {
  it('has the documented defaults in every preset', () => {
    for (const p of glibcModel.presets) {
      const cfg = resolveGlibcConfig(p.name, p.params);
      expect(cfg.trimThreshold).toBe(131072);
      expect(cfg.mmapThreshold).toBe(131072);
      expect(cfg.topPad).toBe(131072);
      expect(cfg.maxFast).toBe(128);
      expect(cfg.dynamicThreshold).toBe(true);
    }
    expect(resolveGlibcConfig('2.35', {}).tcacheStructChunk).toBe(656);
    expect(resolveGlibcConfig('2.26', { tcache_count: 7 }).tcacheStructChunk).toBe(592);
    expect(resolveGlibcConfig('2.23', {}).tcacheStructChunk).toBe(0);
    expect(glibcModel.defaultPreset).toBe('2.35');
  });

  it('treats a mallopt-style threshold as fixed', () => {
    expect(resolveGlibcConfig('2.35', { trim_threshold: 0 }).dynamicThreshold).toBe(false);
    expect(resolveGlibcConfig('2.35', { top_pad: 0 }).dynamicThreshold).toBe(false);
    expect(resolveGlibcConfig('2.35', { mmap_threshold: 65536 }).dynamicThreshold).toBe(false);
    expect(resolveGlibcConfig('2.35', { mxfast: 0 }).maxFast).toBe(16);
  });

  it('rejects values glibc would refuse, naming the parameter', () => {
    expect(() => resolveGlibcConfig('2.35', { mxfast: 200 })).toThrow(ModelSpecError);
    expect(() => resolveGlibcConfig('2.35', { mxfast: 200 })).toThrow(/glibc\.mxfast must be 0–160/);
    expect(() => resolveGlibcConfig('2.35', { mmap_threshold: 64 * 1024 * 1024 })).toThrow(/at most 32 MiB/);
    expect(() => resolveGlibcConfig('2.35', { tcache_count: 70000 })).toThrow(/0–65535/);
    expect(() => resolveGlibcConfig('2.26', { tcache_count: 200 })).toThrow(/0–127/);
    expect(() => resolveGlibcConfig('2.23', { tcache_count: 7 })).toThrow(/has no tcache/);
    expect(() => resolveGlibcConfig('2.35', { top_pad: -1 })).toThrow(/whole number/);
    expect(() => resolveGlibcConfig('9.99', {})).toThrow(/unknown glibc preset/);
  });

  it('builds through the registry entry, checking params and describing itself', () => {
    const space = new AddressSpace();
    expect(() => glibcModel.create({ space, params: { mxfast: 999 }, preset: '2.35' })).toThrow(ModelSpecError);
    const model = glibcModel.create({ space, params: glibcModel.presets[2]!.params, preset: '2.23' });
    const note = model.describe();
    expect(note.title).toBe('glibc 2.23 ptmalloc2, main arena');
    expect(note.text).toMatch(/no tcache/);
    expect(note.text).toMatch(/one thread and one arena/);
  });
});

describe('mallopt semantics through the registry', () => {
  it('turns the dynamic threshold off when a threshold is set, even to its default value', async () => {
    const { createModel, parseModelSpec, parseParamOverrides } = await import('../registry.ts');
    const spec = parseModelSpec('glibc');
    const req = { id: 0, event: 0, thread: 0, domain: 0, nowNs: 0 };
    const freeBig = (overrides: string[]): number => {
      const inst = createModel(spec, parseParamOverrides(overrides));
      // malloc(200000) is mmapped; freeing it raises mmap_threshold to 200704
      // only while the dynamic rule is on. Then malloc(150000) comes from the heap.
      inst.model.free(inst.model.malloc(200000, req), req);
      const again = inst.model.malloc(150000, req);
      return again >= inst.space.heapStart && again < inst.space.brk ? 1 : 0;
    };
    expect(freeBig([])).toBe(1); // dynamic rule on: served from the heap
    expect(freeBig(['glibc.trim_threshold=128KiB'])).toBe(0); // mallopt at the default value: stays mmapped
  });
});

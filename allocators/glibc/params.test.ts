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

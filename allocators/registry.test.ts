import { describe, expect, it } from 'vitest';
import { createModel, formatModelSpec, MODELS, ModelSpecError, parseModelSpec, parseParamOverrides, resolveParams } from './registry.ts';

describe('model specs', () => {
  it('fill in default presets and the glibc backing', () => {
    expect(formatModelSpec(parseModelSpec('glibc'))).toBe('glibc@2.35');
    expect(formatModelSpec(parseModelSpec('obmalloc-arenafree'))).toBe('obmalloc-arenafree@3.11+glibc@2.35');
    expect(formatModelSpec(parseModelSpec('obmalloc@2.4+jemalloc@3'))).toBe('obmalloc@2.4+jemalloc@3');
  });

  it('reject unknown names, presets and backings, listing what is valid', () => {
    expect(() => parseModelSpec('tcmalloc')).toThrow(/unknown model "tcmalloc"; valid models: glibc, jemalloc, obmalloc, obmalloc-arenafree/);
    expect(() => parseModelSpec('glibc@9.9')).toThrow(/unknown preset "9.9" for glibc; valid presets: 2.35, 2.26, 2.23/);
    expect(() => parseModelSpec('glibc+jemalloc')).toThrow(/does not sit on a backing model/);
    expect(() => parseModelSpec('obmalloc+obmalloc')).toThrow(/backing model must be a system allocator/);
    expect(() => parseModelSpec('a@b@c')).toThrow(ModelSpecError);
  });
});

describe('parameters', () => {
  it('parse typed values per model', () => {
    const o = parseParamOverrides(['glibc.trim_threshold=1MiB', 'jemalloc.dirty_decay_ms=-1', 'jemalloc.tcache=false', 'obmalloc-arenafree.arena_source=malloc']);
    expect(o).toEqual({ glibc: { trim_threshold: 1048576 }, jemalloc: { dirty_decay_ms: -1, tcache: false }, 'obmalloc-arenafree': { arena_source: 'malloc' } });
    expect(resolveParams('glibc', '2.35', o).trim_threshold).toBe(1048576);
    expect(resolveParams('glibc', '2.35', o).top_pad).toBe(131072);
  });

  it('reject unknown params and bad values with what was expected', () => {
    expect(() => parseParamOverrides(['glibc.trim=0'])).toThrow(/unknown parameter "trim" for glibc; valid parameters: trim_threshold/);
    expect(() => parseParamOverrides(['glibc.trim_threshold=lots'])).toThrow(/expected a byte size/);
    expect(() => parseParamOverrides(['jemalloc.dirty_decay_ms=-5'])).toThrow(/-1 for never/);
    expect(() => parseParamOverrides(['obmalloc-arenafree.arena_source=brk'])).toThrow(/one of malloc, mmap/);
    expect(() => parseParamOverrides(['trim_threshold=0'])).toThrow(/expected model.param=value/);
  });

  it('every preset of every model has a value for every param it declares, and builds', () => {
    for (const def of MODELS) {
      for (const preset of def.presets) {
        for (const p of def.params) expect(preset.params, `${def.name}@${preset.name}.${p.name}`).toHaveProperty(p.name);
        const spec = parseModelSpec(`${def.name}@${preset.name}`);
        expect(() => createModel(spec)).not.toThrow();
      }
    }
  });
});

describe('composition', () => {
  it('builds an obmalloc model on a backing that shares its address space', () => {
    const inst = createModel(parseModelSpec('obmalloc-arenafree+jemalloc'), parseParamOverrides(['jemalloc.dirty_decay_ms=0']));
    expect(inst.backingParams?.dirty_decay_ms).toBe(0);
    expect(inst.model.space).toBe(inst.space);
    const req = { id: 0, event: 0, thread: 0, domain: 1, nowNs: 0 };
    const raw = inst.model.malloc(100000, req); // raw domain: served by jemalloc on the same space
    expect(raw).toBeGreaterThan(0);
    inst.space.touch(raw, 100000);
    expect(inst.space.residentBytes).toBeGreaterThanOrEqual(100000);
  });
});

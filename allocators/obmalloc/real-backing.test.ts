// obmalloc on the real backing models, built through the registry: the
// interplay the spec describes must emerge from the two models, not be
// special-cased (allocator-models.md §3 last bullet, §4.1 last bullet).
import { describe, expect, it } from 'vitest';
import { createModel, parseModelSpec } from '../registry.ts';
import type { ObmallocModel } from './model.ts';
import { NO_POOL } from './pools.ts';
import { Driver } from './testing/driver.ts';
import { randomTrace } from './testing/random-trace.ts';

const KiB = 1024;

function make(spec: string) {
  const { model, space } = createModel(parseModelSpec(spec));
  const ob = model as ObmallocModel;
  return { model: ob, space, driver: new Driver(ob, space) };
}

function inHeap(space: { heapStart: number; brk: number }, addr: number): boolean {
  return addr >= space.heapStart && addr < space.brk;
}

describe('obmalloc on glibc', () => {
  it('2.4: glibc mmaps the 256 KiB arena (nb 262160 ≥ 128 KiB) and returns base + 16, so the arena has 63 pools', () => {
    const { model, driver } = make('obmalloc@2.4+glibc');
    driver.malloc(1, 100);
    const arena = model.arenas.address[0]!;
    expect(arena % 4096).toBe(16);
    expect(model.arenas.ntotalpools[0]).toBe(63);
    expect(model.arenas.firstPool[0]).toBe(arena - 16 + 4096);
  });

  it('2.4: RSS does not drop when everything is freed', () => {
    const { space, driver } = make('obmalloc@2.4+glibc');
    for (let i = 0; i < 5000; i++) driver.malloc(i, 16 + (i % 15) * 16);
    const rss = space.residentBytes;
    driver.freeAll();
    expect(space.residentBytes).toBe(rss);
  });

  it('2.5: freeing the first (mmapped) arena gives its pages back and raises glibc’s mmap threshold, so the next arena comes from the brk heap', () => {
    const { model, space, driver } = make('obmalloc-arenafree@2.5+glibc');
    driver.malloc(1, 100);
    const first = model.arenas.address[0]!;
    expect(inHeap(space, first)).toBe(false);
    const rss = space.residentBytes;
    driver.free(1);
    expect(model.arenas.live).toBe(0);
    // the mmapped chunk had two resident pages: glibc's header page and the pool
    expect(rss - space.residentBytes).toBe(2 * 4096);
    driver.malloc(2, 100);
    const second = model.arenas.address[0]!;
    expect(inHeap(space, second)).toBe(true);
  });

  it('2.5: an arena freed below a live one stays resident, and the backing says why, naming the arena', () => {
    const { model, space, driver } = make('obmalloc-arenafree@2.5+glibc');
    driver.malloc(0, 100);
    driver.free(0); // first arena gone: the threshold is raised, arenas now come from the heap
    // 63 pools × 15 blocks of 256 B fill one arena; one more block opens a second arena above it
    for (let i = 1; i <= 63 * 15 + 1; i++) driver.malloc(i, 256);
    expect(model.arenas.live).toBe(2);
    const [low, high] = [model.arenas.address[0]!, model.arenas.address[1]!].sort((a, b) => a - b) as [number, number];
    expect(inHeap(space, low) && inHeap(space, high)).toBe(true);
    const rss = space.residentBytes;
    for (let i = 1; i <= 63 * 15; i++) driver.free(i); // empties the lower arena: obmalloc frees it
    expect(model.arenas.live).toBe(1);
    // §4.1: the freed arena chunk sits below the live one, so glibc cannot trim it: RSS stays
    expect(rss - space.residentBytes).toBe(0);
    const named = model.retention().filter((f) => f.kind === 'trim-blocked' && /obmalloc arena/.test(f.text));
    expect(named).toHaveLength(1);
    // the finding points at the one live block that keeps the upper arena, so the report can name its trace id
    expect(named[0]!.liveBlocks).toBe(1);
    expect(named[0]!.blockAddr).toBe(driver.live.get(63 * 15 + 1)!.addr);
    expect(named[0]!.bytes).toBeGreaterThanOrEqual(62 * 4096);
  });

  it('3.11: arenas are mappings of their own; large and raw requests are glibc chunks outside them', () => {
    const { model, space, driver } = make('obmalloc-arenafree@3.11+glibc');
    driver.malloc(1, 512);
    expect(space.mappings().filter((m) => m.tag === 'obmalloc arena').length).toBe(1);
    const big = driver.malloc(2, 513);
    const raw = driver.malloc(3, 64, 1);
    for (const a of [big, raw]) {
      expect(model.arenas.poolOf(a)).toBe(NO_POOL);
      expect(inHeap(space, a)).toBe(true);
    }
  });

  for (const spec of ['obmalloc@2.4+glibc', 'obmalloc-arenafree@2.5+glibc', 'obmalloc-arenafree@3.8+glibc', 'obmalloc-arenafree@3.11+glibc', 'obmalloc-arenafree@3.11+jemalloc', 'obmalloc-arenafree@2.7+jemalloc']) {
    it(`${spec}: random trace keeps the invariants; freeing everything leaves only the documented arenas`, () => {
      const built = make(spec);
      randomTrace(built, 4321, 5000);
      built.driver.freeAll();
      const { model } = built;
      if (model.config.freesArenas) expect(model.arenas.live).toBe(model.config.keepEmptyArena ? 1 : 0);
      else expect(model.arenas.live).toBe(model.arenas.narenas);
    });
  }
});

describe('registry', () => {
  it('builds both models with their default presets on glibc', () => {
    expect(make('obmalloc').model.config.version).toBe('2.4');
    const af = make('obmalloc-arenafree').model;
    expect(af.config.version).toBe('3.11');
    expect(af.config.poolSize).toBe(16 * KiB);
  });

  it('rejects a bad override with a ModelSpecError naming the param', () => {
    expect(() => createModel(parseModelSpec('obmalloc-arenafree'), { 'obmalloc-arenafree': { arena_size: 3 * 1024 * 1024 } })).toThrow(/arena_size must be a power of two/);
  });
});

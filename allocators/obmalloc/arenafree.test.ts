// The 2.5+ model on the test backing: arena freeing, usable_arenas order,
// the kept empty arena, and what goes to the backing.
import { describe, expect, it } from 'vitest';
import { NO_ARENA } from './arenas.ts';
import { ObmallocModel } from './model.ts';
import { NO_POOL } from './pools.ts';
import { build } from './testing/build.ts';
import { Driver, seededRandom } from './testing/driver.ts';
import { MmapBacking } from './testing/mmap-backing.ts';
import { AddressSpace } from '../address-space.ts';
import { buildConfig } from './versions.ts';
import { obmallocArenaFreeModel } from './index.ts';

const KiB = 1024;

/** Fill `arenas` arenas with blocks of `size` (the largest class), returning ids per arena and pool. */
function fillArenas(model: ObmallocModel, driver: Driver, arenas: number, size: number): number[][][] {
  const perPool = model.pools.nBlocks[model.config.classes - 1]!;
  const byArena: number[][][] = [];
  let id = 0;
  const cls = model.config.classes - 1;
  while (model.arenas.live < arenas || model.usable!.head !== NO_ARENA || model.pools.usedHead[cls] !== NO_POOL) {
    const addr = driver.malloc(id, size);
    const p = model.arenas.poolOf(addr);
    const a = model.arenas.arenaOfPool(p);
    const slot = p - model.arenas.poolNumber(a, 0);
    ((byArena[a] ??= [])[slot] ??= []).push(id);
    id++;
  }
  for (const pools of byArena) for (const ids of pools) expect(ids.length).toBe(perPool);
  return byArena;
}

describe('obmalloc 2.5 arena freeing', () => {
  it('frees an arena when its last block goes: the backing unmaps it and RSS drops by its resident pages', () => {
    const { model, backing, space, driver } = build('obmalloc-arenafree', '2.5');
    const block = driver.malloc(1, 40);
    // 2.5 reallocs the arena-object vector first (16 × 48 = 768 B), then mallocs the arena
    expect(backing.requests.map(([s]) => s)).toEqual([768, 256 * KiB]);
    const arena = backing.requests[1]![1];
    expect(model.arenas.ntotalpools[0]).toBe(63);
    expect(block).toBe(arena - 16 + 4096 + 48);
    const rss = space.residentBytes;
    driver.free(1);
    expect(backing.owns(arena)).toBe(false);
    expect(model.arenas.live).toBe(0);
    // resident pages of the arena mapping: page 0 (the backing's header) and page 1 (the pool)
    expect(rss - space.residentBytes).toBe(2 * 4096);
  });

  it('keeps usable_arenas sorted by free pools and takes new pools from the most used arena', () => {
    const { model, driver } = build('obmalloc-arenafree', '2.5');
    const [A, B, C] = fillArenas(model, driver, 3, 256) as [number[][], number[][], number[][]];
    expect(model.usable!.head).toBe(NO_ARENA); // all three full
    const emptyPools = (pools: number[][], n: number) => pools.slice(0, n).forEach((ids) => ids.forEach((id) => driver.free(id)));
    emptyPools(A, 10);
    emptyPools(B, 5);
    emptyPools(C, 20);
    expect(model.usable!.order()).toEqual([1, 0, 2]); // B (5 free) < A (10) < C (20)
    expect([1, 0, 2].map((a) => model.arenas.nfreepools[a])).toEqual([5, 10, 20]);
    // a class with no used pool takes a pool from B, the head: its most recently emptied pool (slot 4)
    const addr = driver.malloc(99_999, 8);
    expect(model.arenas.poolOf(addr)).toBe(model.arenas.poolNumber(1, 4));
    expect(addr).toBe(model.arenas.firstPool[1]! + 4 * 4096 + 48);
  });

  it('3.8 (nfp2lasta) gives the same order in the same situation', () => {
    const { model, driver } = build('obmalloc-arenafree', '3.8');
    const [A, B, C] = fillArenas(model, driver, 3, 512) as [number[][], number[][], number[][]];
    const emptyPools = (pools: number[][], n: number) => pools.slice(0, n).forEach((ids) => ids.forEach((id) => driver.free(id)));
    emptyPools(A, 10);
    emptyPools(B, 5);
    emptyPools(C, 20);
    expect(model.arenas.ntotalpools[0]).toBe(64); // mmap arenas are page-aligned: 4 KiB pools fit 64
    expect(model.usable!.order()).toEqual([1, 0, 2]);
    const addr = driver.malloc(99_999, 16);
    expect(model.arenas.poolOf(addr)).toBe(model.arenas.poolNumber(1, 4));
  });

  for (const preset of ['2.5', '3.8']) {
    it(`${preset}: an arena that moves goes first among the arenas with its new count`, () => {
      const { model, driver } = build('obmalloc-arenafree', preset);
      const size = model.config.threshold;
      const [A, B, C] = fillArenas(model, driver, 3, size) as [number[][], number[][], number[][]];
      const emptyPool = (ids: number[]) => ids.forEach((id) => driver.free(id));
      emptyPool(B[0]!);
      emptyPool(B[1]!); // [B2]
      emptyPool(C[0]!); // [C1, B2]
      emptyPool(A[0]!); // [A1, C1, B2]
      emptyPool(A[1]!); // A has 2 > C's 1: it moves right, and stops before B, which also has 2
      expect(model.usable!.order()).toEqual([2, 0, 1]);
    });
  }

  for (const keep of [false, true]) {
    it(`the sliding (2.5) and finger (3.8) implementations keep the same sorted order on a random trace (keep_empty_arena=${keep})`, () => {
      const params = { ...obmallocArenaFreeModel.presets.find((p) => p.name === '2.7')!.params, keep_empty_arena: keep };
      const make = (fingers: boolean) => {
        const space = new AddressSpace();
        const config = { ...buildConfig('obmalloc-arenafree', '2.7', params, true, 64), searchFingers: fingers };
        const model = new ObmallocModel(config, space, new MmapBacking(space), !fingers);
        return { model, driver: new Driver(model, space) };
      };
      const slide = make(false);
      const fingers = make(true);
      const rnd = seededRandom(keep ? 8 : 7);
      let longest = 0;
      let differentHeads = 0;
      for (let step = 0; step < 40_000; step++) {
        const id = Math.floor(rnd() * 6000);
        const size = 1 + Math.floor(rnd() * 512);
        for (const { driver } of [slide, fingers]) {
          if (driver.live.has(id)) driver.free(id);
          else driver.malloc(id, size);
        }
        if (step % 50 === 0) {
          const order = slide.model.usable!.order();
          expect(fingers.model.usable!.order()).toEqual(order);
          const counts = order.map((a) => slide.model.arenas.nfreepools[a]!);
          expect(counts).toEqual([...counts].sort((x, y) => x - y));
          longest = Math.max(longest, order.length);
          if (order.length > 1 && order[0] !== Math.min(...order)) differentHeads++;
        }
      }
      expect(longest).toBeGreaterThanOrEqual(4);
      expect(differentHeads).toBeGreaterThan(0);
    });
  }

  it('names the arena kept by one live block, with the bytes it holds', () => {
    const { model, driver } = build('obmalloc-arenafree', '2.5');
    const [A] = fillArenas(model, driver, 1, 256) as [number[][]];
    const keep = A[0]![0]!;
    for (const ids of A) for (const id of ids) if (id !== keep) driver.free(id);
    const pinned = model.retention().filter((f) => f.kind === 'arena-pinned');
    expect(pinned).toHaveLength(1);
    // 62 empty resident pools (62 × 4096) + the used pool minus its header and one 256-byte block (4096 − 48 − 256)
    expect(pinned[0]!.bytes).toBe(62 * 4096 + 3792);
    expect(pinned[0]!.liveBlocks).toBe(1);
    expect(pinned[0]!.blockAddr).toBe(driver.live.get(keep)!.addr);
    expect(pinned[0]!.text).toMatch(/1 live block/);
  });
});

describe('obmalloc 3.9+ keeps one empty arena', () => {
  it('3.11: arenas of 63 16 KiB pools when the mmap base is not 16 KiB-aligned', () => {
    const { model, space, driver } = build('obmalloc-arenafree', '3.11');
    driver.malloc(1, 16);
    const base = model.arenas.address[0]!;
    expect(base % 4096).toBe(0);
    expect(base % 16384).not.toBe(0);
    expect(model.arenas.ntotalpools[0]).toBe(63);
    expect(model.arenas.firstPool[0]! % 16384).toBe(0);
    expect(space.mappings().filter((m) => m.tag === 'obmalloc arena').map((m) => m.length)).toEqual([1024 * KiB]);
  });

  it('3.11: freeing everything in three arenas leaves exactly one, and says why', () => {
    const { model, space, driver } = build('obmalloc-arenafree', '3.11');
    fillArenas(model, driver, 3, 512);
    expect(model.arenas.live).toBe(3);
    driver.freeAll();
    expect(model.arenas.live).toBe(1);
    expect(space.mappings().filter((m) => m.tag === 'obmalloc arena')).toHaveLength(1);
    const kept = model.retention().filter((f) => f.kind === 'kept-arena');
    expect(kept).toHaveLength(1);
    expect(kept[0]!.text).toMatch(/bpo-37257/);
    // fill again and free in the other order: still one
    fillArenas(model, driver, 3, 512);
    for (const id of [...driver.live.keys()].reverse()) driver.free(id);
    expect(model.arenas.live).toBe(1);
  });

  it('3.8 keeps none', () => {
    const { model, driver } = build('obmalloc-arenafree', '3.8');
    fillArenas(model, driver, 3, 512);
    driver.freeAll();
    expect(model.arenas.live).toBe(0);
  });
});

describe('requests obmalloc does not serve (2.5+)', () => {
  it('raw-domain, zero-byte and large requests go to the backing and lie outside every arena', () => {
    const { model, backing, driver } = build('obmalloc-arenafree', '3.11');
    driver.malloc(1, 64); // make an arena exist
    const addrs = [driver.malloc(2, 100, 1), driver.malloc(3, 0), driver.malloc(4, 513), driver.malloc(5, 1 << 20)];
    expect(backing.requests.slice(-4).map(([s]) => s)).toEqual([100, 1, 513, 1 << 20]);
    for (const a of addrs) {
      expect(model.arenas.arenaContaining(a)).toBe(NO_ARENA);
      expect(model.arenas.poolOf(a)).toBe(NO_POOL);
      expect(backing.owns(a)).toBe(true);
    }
    expect(driver.malloc(6, 512)).toBeGreaterThan(model.arenas.address[0]!);
  });

  it('memalign is the C library\'s; advanceTime and trim reach the backing', () => {
    const { model, backing, driver } = build('obmalloc-arenafree', '3.11');
    driver.malloc(1, 64);
    const calls: string[] = [];
    backing.advanceTime = (ns: number) => void calls.push(`advance ${ns}`);
    backing.trim = () => void calls.push('trim');
    const aligned = model.memalign(4096, 100, { id: 2, event: 2, thread: 0, domain: 0, nowNs: 0 });
    expect(aligned % 4096).toBe(0);
    expect(backing.owns(aligned)).toBe(true);
    expect(model.arenas.poolOf(aligned)).toBe(NO_POOL);
    model.advanceTime(5e9);
    model.trim();
    expect(calls).toEqual(['advance 5000000000', 'trim']);
  });

  it('realloc leaves C-heap blocks with the C library (no take-over since 2.5)', () => {
    const { model, backing, driver } = build('obmalloc-arenafree', '2.5');
    driver.malloc(1, 1000);
    const small = driver.realloc(1, 100);
    expect(model.arenas.poolOf(small)).toBe(NO_POOL);
    expect(backing.owns(small)).toBe(true);
  });

  it('3.10+: the radix tree nodes are backing blocks, allocated once', () => {
    const { model, backing, driver } = build('obmalloc-arenafree', '3.11');
    driver.malloc(1, 16);
    // 64-bit, IGNORE_BITS 0, ARENA_BITS 20: interior 15 bits (256 KiB mid node), bottom 14 bits (128 KiB node)
    expect(backing.requests.map(([s]) => s)).toEqual([16 * 48, 256 * KiB, 128 * KiB]);
    expect(model.radix!.nodes).toBe(2);
  });
});

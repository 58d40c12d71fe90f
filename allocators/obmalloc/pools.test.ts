// The pool writes obmalloc skips asking the AddressSpace about (link words on
// pages already resident, the header again at pool reuse) must never lose
// residency: every page CPython would have written must be resident.
import { describe, expect, it } from 'vitest';
import type { ObmallocModel } from './model.ts';
import { ALL_PRESETS, build } from './testing/build.ts';
import { seededRandom } from './testing/driver.ts';

/**
 * Pages CPython has written in each carved pool of a live arena and that are
 * not resident: the header, and the first word of every block below the
 * virgin mark (each was a free-list link when it was carved, or is block 0 on
 * the header's page). Empty when the model kept residency right.
 */
function unwrittenPages(model: ObmallocModel): string[] {
  const { arenas, pools, space, config } = model;
  const missing: string[] = [];
  for (let a = 0; a < arenas.objects; a++) {
    if (arenas.address[a] === 0) continue;
    for (let slot = 0; slot < arenas.carved[a]!; slot++) {
      const p = arenas.poolNumber(a, slot);
      const base = pools.addr[p]!;
      if (!space.isResident(base)) missing.push(`header of pool 0x${base.toString(16)}`);
      const cls = pools.szidx(p);
      if (cls < 0) continue;
      for (let bi = 0; bi < pools.virgin(p); bi++) {
        const at = pools.blockAddress(p, bi, cls);
        if (!space.isResident(at)) missing.push(`block ${bi} (${config.alignment * (cls + 1)} B) of pool 0x${base.toString(16)}`);
      }
    }
  }
  return missing;
}

describe('obmalloc pool writes without the user touching anything', () => {
  for (const [name, preset] of ALL_PRESETS) {
    it(`${name}@${preset}: every link word and header CPython wrote is resident`, () => {
      const { model, driver } = build(name, preset);
      (driver as unknown as { touch: boolean }).touch = false;
      const rnd = seededRandom(42);
      const threshold = model.config.threshold;
      let checks = 0;
      for (let step = 0; step < 4000; step++) {
        const id = Math.floor(rnd() * 1500);
        // Frees outweigh mallocs late, so pools empty, change class and arenas go.
        const freeShare = step < 2500 ? 0.35 : 0.8;
        if (driver.live.has(id)) {
          if (rnd() < freeShare) driver.free(id);
          else driver.realloc(id, 1 + Math.floor(rnd() * threshold));
        } else {
          driver.malloc(id, rnd() < 0.5 ? 1 + Math.floor(rnd() * 48) : 1 + Math.floor(rnd() * threshold));
        }
        if (step % 200 === 0) {
          expect(unwrittenPages(model)).toEqual([]);
          checks++;
        }
      }
      expect(checks).toBe(20);
      expect(unwrittenPages(model)).toEqual([]);
    });
  }

  it('finds a page the model failed to write (the check can fail)', () => {
    const { model, driver, space } = build('obmalloc-arenafree', '3.11');
    (driver as unknown as { touch: boolean }).touch = false;
    // 512-byte blocks: block 8's link word is the first on the pool's second page.
    for (let i = 0; i < 9; i++) driver.malloc(i, 512);
    expect(unwrittenPages(model)).toEqual([]);
    const pool = model.pools.addr[model.arenas.poolNumber(0, 0)]!;
    space.dontneed(pool + 4096, 4096);
    // Blocks 8 (live) and 9 (the carved free-list head) have their first words there.
    const name = pool.toString(16);
    expect(unwrittenPages(model)).toEqual([`block 8 (512 B) of pool 0x${name}`, `block 9 (512 B) of pool 0x${name}`]);
  });
});

describe('obmalloc finds the block a pointer names', () => {
  for (const [name, preset] of [['obmalloc', '2.4'], ['obmalloc-arenafree', '3.11']] as const) {
    it(`${name}@${preset}: every block of a full pool of every class frees to its own slot`, () => {
      const { model, driver } = build(name, preset);
      const { classes, alignment } = model.config;
      const rnd = seededRandom(7);
      let id = 0;
      for (let cls = 0; cls < classes; cls++) {
        const size = (cls + 1) * alignment;
        const n = model.pools.nBlocks[cls]!;
        const ids: number[] = [];
        for (let i = 0; i < n; i++) ids.push(id), driver.malloc(id++, size);
        const addrs = ids.map((i) => driver.live.get(i)!.addr);
        const p = model.arenas.poolOf(addrs[0]!);
        expect(model.pools.count(p)).toBe(n);
        // Free all but one in a shuffled order (the pool stays in use and keeps
        // its list); the LIFO list then hands the blocks back in reverse.
        const freed = ids.map((_, i) => i).slice(1);
        for (let i = freed.length - 1; i > 0; i--) {
          const j = Math.floor(rnd() * (i + 1));
          [freed[i], freed[j]] = [freed[j]!, freed[i]!];
        }
        for (const i of freed) driver.free(ids[i]!);
        expect(model.pools.count(p)).toBe(1);
        for (const i of freed.reverse()) expect(driver.malloc(id++, size)).toBe(addrs[i]);
      }
    });
  }

  it('rejects a pointer inside a block and one past the carved blocks', () => {
    const { model, driver } = build('obmalloc-arenafree', '3.11');
    const a = driver.malloc(1, 48);
    const req = { id: 9, event: 0, thread: 0, domain: 0, nowNs: 0 };
    expect(() => model.free(a + 16, req)).toThrow(/is not a block of the pool/);
    // Blocks 0 and 1 are carved (1 is the free list); block 2 is virgin.
    expect(() => model.free(a + 2 * 48, req)).toThrow(/is not a block of the pool/);
    expect(() => model.free(a - 48, req)).toThrow(/is not a block of the pool/);
  });
});

// The replayer asks malloc_usable_size of every block right after allocating
// it, and the model answers that from what it remembers of the allocation. The
// remembered answer must be the one a full lookup gives: the block size for a
// pool block, the backing's answer for anything else.
import { describe, expect, it } from 'vitest';
import type { ObmallocModel } from './model.ts';
import { NO_POOL } from './pools.ts';
import { build } from './testing/build.ts';
import { seededRandom } from './testing/driver.ts';
import type { MmapBacking } from './testing/mmap-backing.ts';

/** Usable size by lookup: the pool's block size, or the backing's answer. */
function lookedUp(model: ObmallocModel, backing: MmapBacking, addr: number): number {
  const p = model.arenas.poolOf(addr);
  return p !== NO_POOL ? model.pools.blockSizeOf(p) : backing.usableSize(addr);
}

describe('obmalloc usable size right after an allocation', () => {
  for (const [name, preset] of [['obmalloc', '2.4'], ['obmalloc-arenafree', '3.11']] as const) {
    it(`${name}@${preset}: equals the looked-up size after malloc and every kind of realloc`, () => {
      const { model, backing, driver } = build(name, preset);
      const threshold = model.config.threshold;
      const rnd = seededRandom(5);
      const sizes = [0, 1, 8, 17, threshold, threshold + 1, 5000];
      let pool = 0;
      let inBacking = 0;
      for (let step = 0; step < 3000; step++) {
        const id = Math.floor(rnd() * 400);
        const size = sizes[Math.floor(rnd() * sizes.length)]!;
        let addr: number;
        if (!driver.live.has(id)) addr = driver.malloc(id, size, rnd() < 0.1 ? 1 : 0);
        else if (rnd() < 0.4) {
          driver.free(id);
          continue;
        } else addr = driver.realloc(id, size);
        // The model's remembered answer first, then the lookup.
        const remembered = model.usableSize(addr);
        expect(remembered).toBe(lookedUp(model, backing, addr));
        if (model.arenas.poolOf(addr) === NO_POOL) inBacking++;
        else pool++;
      }
      // Both kinds were checked many times.
      expect(pool).toBeGreaterThan(500);
      expect(inBacking).toBeGreaterThan(500);
    });
  }

  it('after a pool block grows into the backing, the answer is the backing block\'s', () => {
    const { model, backing, driver } = build('obmalloc-arenafree', '3.11');
    driver.malloc(1, 100);
    const moved = driver.realloc(1, 4000);
    expect(model.arenas.poolOf(moved)).toBe(NO_POOL);
    // The test backing maps whole pages with a 16-byte header: 4096 − 16.
    expect(model.usableSize(moved)).toBe(4080);
    expect(backing.usableSize(moved)).toBe(4080);
    // Shrinking within 3/4 of a 112-byte block keeps it in place: 112.
    driver.malloc(2, 112);
    const same = driver.realloc(2, 90);
    expect(model.usableSize(same)).toBe(112);
  });
});

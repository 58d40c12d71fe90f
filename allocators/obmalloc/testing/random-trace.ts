// A seeded random workload for obmalloc models that checks, every 250 steps,
// what any correct allocator keeps true of its live blocks and pages.
import { expect } from 'vitest';
import type { AddressSpace } from '../../address-space.ts';
import type { ObmallocModel } from '../model.ts';
import { NO_POOL } from '../pools.ts';
import { seededRandom, type Driver } from './driver.ts';

type Built = { driver: Driver; model: ObmallocModel; space: AddressSpace };

/** Grow then shrink a random heap of small, zero, large and raw requests, with reallocs; check invariants on the way. */
export function randomTrace(b: Built, seed: number, steps: number): { addrs: number[]; checks: number } {
  const { driver, model, space } = b;
  const rnd = seededRandom(seed);
  const threshold = model.config.threshold;
  const addrs: number[] = [];
  let checks = 0;
  const pickSize = (): number => {
    const r = rnd();
    if (r < 0.05) return 0;
    if (r < 0.15) return threshold + 1 + Math.floor(rnd() * 200_000);
    if (r < 0.55) return 1 + Math.floor(rnd() * 64);
    return 1 + Math.floor(rnd() * threshold);
  };
  for (let step = 0; step < steps; step++) {
    const freeShare = step < steps * 0.6 ? 0.3 : 0.75;
    const id = Math.floor(rnd() * steps);
    const r = rnd();
    if (driver.live.has(id)) {
      if (r < freeShare) driver.free(id);
      else addrs.push(driver.realloc(id, pickSize()));
    } else {
      addrs.push(driver.malloc(id, pickSize(), r < 0.05 ? 1 : 0));
    }
    if (step % 250 === 0 || step === steps - 1) {
      // pool blocks have obmalloc's alignment; the backing's own blocks at least 8 (jemalloc's 8-byte class)
      expect(driver.check((a) => (model.arenas.poolOf(a) !== NO_POOL ? model.config.alignment : 8))).toEqual([]);
      const touchedLive = driver.livePages() * space.pageSize;
      expect(space.mappedBytes).toBeGreaterThanOrEqual(space.residentBytes);
      expect(space.residentBytes).toBeGreaterThanOrEqual(touchedLive);
      checks++;
    }
  }
  return { addrs, checks };
}


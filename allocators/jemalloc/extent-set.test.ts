// ExtentSet's first fit and best fit against brute force over its members:
// the bitmap scans, the per-bin tops and the bin limits must pick exactly the
// extent the eset rules name, whatever the order of inserts and removes.
import { describe, expect, it } from 'vitest';
import { ExtentPool, ExtentSet, NONE, ST_ACTIVE, ST_DIRTY } from './extents.ts';
import { PAGE, pszCeilIndex, pszQuantizeCeil, pszQuantizeFloor, pszSize } from './size-classes.ts';

function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
}

/** eset_first_fit by the definition: lowest (serial, address) among members whose bin surely fits and is within the limit. */
function bruteFirstFit(pool: ExtentPool, members: Set<number>, size: number, lgMaxFit: number, pad: number): number {
  const from = pszCeilIndex(pszQuantizeCeil(size, pad));
  const limit = lgMaxFit >= 64 ? Infinity : size * 2 ** lgMaxFit;
  let best = NONE;
  for (const e of members) {
    const bin = pszCeilIndex(pszQuantizeFloor(pool.size[e]!, pad));
    if (bin < from || pszSize(bin) > limit) continue;
    if (best === NONE || pool.sn[e]! < pool.sn[best]! || (pool.sn[e] === pool.sn[best] && pool.start[e]! < pool.start[best]!)) best = e;
  }
  return best;
}

describe('ExtentSet', () => {
  it('first fit picks the lowest (serial, address) fitting extent, with and without the active-fit limit', () => {
    for (const pad of [0, PAGE]) {
      const pool = new ExtentPool();
      const set = new ExtentSet(pool, ST_DIRTY, 'psz-sn-addr', 0, pad);
      const members = new Set<number>();
      const rand = lcg(pad + 7);
      for (let step = 0; step < 1200; step++) {
        if (members.size < 120 && rand(3) !== 0) {
          // Sizes from one page to 512 MiB, several serial numbers, distinct addresses.
          const pages = rand(4) === 0 ? 1 + rand(131072) : 1 + rand(64);
          const e = pool.create(0x100000000 + step * 2 ** 30, pages * PAGE + pad, 1 + rand(5), ST_ACTIVE, false, 0);
          set.insert(e);
          members.add(e);
        } else if (members.size > 0) {
          const list = [...members];
          const e = list[rand(list.length)]!;
          set.remove(e);
          members.delete(e);
          pool.release(e);
        }
        const want = (1 + (rand(2) === 0 ? rand(40) : rand(100000))) * PAGE + pad;
        for (const lg of [6, 64]) expect(set.firstFit(want, lg)).toBe(bruteFirstFit(pool, members, want, lg, pad));
      }
      expect(set.count).toBe(members.size);
    }
  });

  it('best fit (jemalloc 3 runs) takes the smallest run that fits, lowest address among equals', () => {
    const pool = new ExtentPool();
    const set = new ExtentSet(pool, ST_DIRTY, 'pages-addr', 1024);
    const members = new Set<number>();
    const rand = lcg(99);
    for (let step = 0; step < 1200; step++) {
      if (members.size < 120 && rand(3) !== 0) {
        const e = pool.create(0x200000000 + step * 2 ** 23, (1 + rand(1024)) * PAGE, 1, ST_ACTIVE, false, 0);
        set.insert(e);
        members.add(e);
      } else if (members.size > 0) {
        const list = [...members];
        const e = list[rand(list.length)]!;
        set.remove(e);
        members.delete(e);
        pool.release(e);
      }
      const want = (1 + rand(1024)) * PAGE;
      let best = NONE;
      for (const e of members) {
        if (pool.size[e]! < want) continue;
        if (best === NONE || pool.size[e]! < pool.size[best]! || (pool.size[e] === pool.size[best] && pool.start[e]! < pool.start[best]!)) best = e;
      }
      expect(set.bestFit(want)).toBe(best);
    }
  });
});

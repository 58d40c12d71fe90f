// Seeded random traces through every preset: the invariants any allocator
// must keep, checked against the model's own address space.
import { describe, expect, it } from 'vitest';
import { NONE } from './extents.ts';
import { mulberry32 as rng } from '../prng.ts';
import { activity, makeModel, MiB } from './test-helpers.ts';

interface Block {
  addr: number;
  size: number;
}

function pick(r: () => number): number {
  const x = r();
  if (x < 0.6) return 1 + Math.floor(r() * 512);
  if (x < 0.85) return 513 + Math.floor(r() * 14000);
  if (x < 0.98) return 16384 + Math.floor(r() * 1_000_000);
  return 2 * MiB + Math.floor(r() * 10 * MiB);
}

const ALIGNMENTS = [8, 16, 32, 64, 128, 256, 4096, 8192, 65536];

function runTrace(preset: string, tcache: boolean, seed: number): void {
  const t = makeModel(preset, { tcache });
  const { m, space, req } = t;
  const r = rng(seed);
  const live: Block[] = [];
  const check = (b: Block, align: number): void => {
    expect(b.addr).not.toBe(0);
    expect(m.usableSize(b.addr)).toBeGreaterThanOrEqual(b.size);
    if (align > 0) expect(b.addr % align).toBe(0);
    else if (b.size >= 16) expect(b.addr % 16).toBe(0);
    else expect(b.addr % 8).toBe(0);
  };
  const verifyLayout = (): void => {
    const sorted = [...live].sort((a, b) => a.addr - b.addr);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      expect(prev.addr + m.usableSize(prev.addr)).toBeLessThanOrEqual(sorted[i]!.addr);
    }
    expect(space.mappedPages).toBeGreaterThanOrEqual(space.residentPages);
    // Every page a live block wrote is still resident: no purge ever hits live memory.
    const touched = new Set<number>();
    for (const b of live) {
      const p0 = Math.floor(b.addr / 4096);
      const p1 = Math.floor((b.addr + Math.max(b.size, 1) - 1) / 4096);
      expect(space.residentPagesIn(p0 * 4096, (p1 - p0 + 1) * 4096)).toBe(p1 - p0 + 1);
      for (let p = p0; p <= p1; p++) touched.add(p);
    }
    expect(space.residentPages).toBeGreaterThanOrEqual(touched.size);
  };

  let now = 0;
  for (let op = 0; op < 4000; op++) {
    now += Math.floor(r() * 2_000_000) + (r() < 0.002 ? 3e9 : 0);
    req.nowNs = now;
    const x = r();
    if (x < 0.45 || live.length < 10) {
      const b = { addr: 0, size: pick(r) };
      b.addr = m.malloc(b.size, req);
      check(b, 0);
      space.touch(b.addr, b.size);
      live.push(b);
    } else if (x < 0.5) {
      const align = ALIGNMENTS[Math.floor(r() * ALIGNMENTS.length)]!;
      const b = { addr: 0, size: r() < 0.7 ? 1 + Math.floor(r() * 2000) : 16384 + Math.floor(r() * 200_000) };
      b.addr = m.memalign(align, b.size, req);
      check(b, align);
      space.touch(b.addr, b.size);
      live.push(b);
    } else if (x < 0.56) {
      const i = Math.floor(r() * live.length);
      const b = live[i]!;
      const size = pick(r);
      const moved = m.realloc(b.addr, size, req);
      b.addr = moved;
      b.size = size;
      check(b, 0);
      space.touch(b.addr, b.size);
    } else {
      const i = Math.floor(r() * live.length);
      m.free(live[i]!.addr, req);
      live[i] = live[live.length - 1]!;
      live.pop();
    }
    if (op % 500 === 499) verifyLayout();
  }
  verifyLayout();

  // Free everything, then keep the allocator busy for longer than its decay.
  for (const b of live) m.free(b.addr, req);
  live.length = 0;
  activity(t, now, now + 25e9, 1_000_000);
  // What may stay resident: metadata, blocks parked in thread caches (with the slab or extent each
  // pins), the activity block and a few lingering muzzy pages (5.x), or the spare chunk and the
  // dirty pages the active/8 ratio allows (3).
  const meta = m.retention().find((f) => f.kind === 'metadata')?.bytes ?? 0;
  const pinned = new Set<number>();
  for (const ts of m.threads.values()) {
    const tc = ts.tcache;
    if (!tc) continue;
    for (let bin = 0; bin < tc.counts.length; bin++) for (let k = 0; k < tc.counts[bin]!; k++) pinned.add(m.extentAt(tc.cached(bin, k)));
  }
  let pinnedPages = 0;
  for (const e of pinned) {
    expect(e).not.toBe(NONE);
    pinnedPages += space.residentPagesIn(m.pool.start[e]!, m.pool.size[e]!);
  }
  const residue = space.residentBytes - meta - pinnedPages * 4096;
  const bound = preset === '3' ? 4 * MiB + Math.ceil(pinnedPages / 8) * 4096 : (17 + 17) * 4096;
  expect(residue).toBeGreaterThanOrEqual(0);
  expect(residue).toBeLessThanOrEqual(bound);
}

describe.each(['5.3', '5.1', '3'])('jemalloc %s on seeded random traces', (preset) => {
  it.each([
    [true, 1],
    [false, 2],
  ])('tcache=%s seed %i: no overlap, usable ≥ requested, alignment, live pages resident, residue after decay', (tcache, seed) => {
    runTrace(preset, tcache, seed);
  });
});

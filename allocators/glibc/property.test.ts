import { describe, expect, it } from 'vitest';
import { ChunkState, isBinned } from './chunk-store.ts';
import { heapSegments, walkSegment } from './heap-walk.ts';
import { PAGE, Program, prng } from './test-support.ts';

interface Live {
  size: number;
  align: number;
}

/** Checks that must hold after any sequence of calls. */
function checkInvariants(p: Program, live: Map<number, Live>): void {
  expect(p.m.check()).toEqual([]);
  const addrs = [...live.keys()].sort((x, y) => x - y);
  let pagesCovered = 0;
  let lastPage = -1;
  for (let i = 0; i < addrs.length; i++) {
    const u = addrs[i]!;
    const { size, align } = live.get(u)!;
    const usable = p.m.usableSize(u);
    expect(usable).toBeGreaterThanOrEqual(size);
    expect(u % align).toBe(0);
    if (i + 1 < addrs.length) expect(u + usable).toBeLessThanOrEqual(addrs[i + 1]!);
    if (size > 0) {
      const first = Math.max(Math.floor(u / PAGE), lastPage + 1);
      const last = Math.floor((u + size - 1) / PAGE);
      if (last >= first) pagesCovered += last - first + 1;
      lastPage = Math.max(lastPage, last);
    }
  }
  const rss = p.rss;
  expect(p.space.mappedBytes).toBeGreaterThanOrEqual(rss);
  expect(rss).toBeGreaterThanOrEqual(pagesCovered * PAGE);
  // Every resident byte is either on a live page or in exactly one finding.
  const findings = p.m.retention();
  const sum = findings.reduce((s, f) => s + f.bytes, 0);
  expect(sum + p.m.account().liveBytes).toBe(rss);
}

function randomSize(rand: () => number): number {
  const r = rand();
  if (r < 0.4) return 1 + Math.floor(rand() * 128);
  if (r < 0.7) return 129 + Math.floor(rand() * 1000);
  if (r < 0.9) return 1100 + Math.floor(rand() * 19000);
  if (r < 0.98) return 20000 + Math.floor(rand() * 120000);
  return 140000 + Math.floor(rand() * 460000);
}

function run(preset: string, seed: number, steps: number, spaceBits: 64 | 32 = 64): void {
  const p = new Program(preset, {}, { bits: spaceBits });
  const rand = prng(seed);
  const live = new Map<number, Live>();
  const order: number[] = [];
  const take = (): number => {
    const i = Math.floor(rand() * order.length);
    const u = order[i]!;
    order[i] = order[order.length - 1]!;
    order.pop();
    return u;
  };
  for (let step = 1; step <= steps; step++) {
    const op = rand();
    if (op < 0.52 || order.length === 0) {
      const size = randomSize(rand);
      const u = p.malloc(size);
      expect(u).not.toBe(0);
      expect(live.has(u)).toBe(false);
      live.set(u, { size, align: 16 });
      order.push(u);
    } else if (op < 0.87) {
      const u = take();
      live.delete(u);
      p.free(u);
    } else if (op < 0.97) {
      const u = take();
      const size = rand() < 0.05 ? 0 : randomSize(rand);
      live.delete(u);
      const q = p.realloc(u, size);
      expect(q).not.toBe(0);
      expect(live.has(q)).toBe(false);
      // realloc keeps only malloc's alignment, in glibc too: a memaligned block may move.
      live.set(q, { size, align: 16 });
      order.push(q);
    } else if (op < 0.995) {
      const align = 2 ** (5 + Math.floor(rand() * 9)); // 32 .. 8192
      const size = randomSize(rand);
      const u = p.memalign(align, size);
      expect(u).not.toBe(0);
      live.set(u, { size, align });
      order.push(u);
    } else {
      p.m.trim();
    }
    if (step % 500 === 0) checkInvariants(p, live);
  }
  checkInvariants(p, live);

  // Free everything: no live pages, no mappings of chunks, and only the documented residue.
  for (const u of order) p.free(u);
  live.clear();
  checkInvariants(p, live);
  expect(p.arena.nMmaps).toBe(0);
  expect(p.m.account().liveBytes).toBe(0);
  const allowed = new Set(['top-pad', 'tcache', 'fastbins', 'free-chunks', 'trim-blocked', 'metadata']);
  for (const f of p.m.retention()) expect(allowed.has(f.kind)).toBe(true);

  // After malloc_trim(0): top is under a page above MINSIZE, free chunks keep at most their
  // first and last page, cached chunks are small.
  p.m.trim();
  checkInvariants(p, live);
  const acc = p.m.account();
  let binned = 0;
  let cached = 0;
  for (const seg of heapSegments(p.arena)) {
    walkSegment(p.arena, seg, (_a, _s, kind) => {
      if (isBinned(kind)) binned++;
      if (kind === ChunkState.tcache || kind === ChunkState.fast) cached++;
    });
  }
  expect(acc.topPad).toBeLessThanOrEqual(2 * PAGE);
  expect(acc.freeChunks + acc.trimBlocked + acc.trimBlockedByCached).toBeLessThanOrEqual(2 * PAGE * binned);
  expect(acc.tcache + acc.fastbins).toBeLessThanOrEqual(2 * PAGE * cached);
  expect(acc.metadata).toBeLessThanOrEqual(PAGE * (1 + 2 * p.arena.mmapSegments.length));
}

describe('glibc model on seeded random traces', () => {
  for (const preset of ['2.35', '2.26', '2.23']) {
    it(`keeps every invariant (${preset})`, () => {
      run(preset, 1234, 6000);
      run(preset, 99, 6000);
    });
  }

  it('keeps every invariant in a 32-bit address space', () => {
    run('2.35', 7, 4000, 32);
  });

  it('is deterministic: the same trace gives the same addresses and RSS', () => {
    const trace = (): number[] => {
      const p = new Program();
      const rand = prng(5);
      const out: number[] = [];
      const held: number[] = [];
      for (let i = 0; i < 3000; i++) {
        if (held.length > 0 && rand() < 0.4) p.free(held.splice(Math.floor(rand() * held.length), 1)[0]!);
        else held.push(p.malloc(randomSize(rand)));
        out.push(held[held.length - 1] ?? 0, p.rss);
      }
      return out;
    };
    expect(trace()).toEqual(trace());
  });
});

// The layout walks of AddressSpace (where mmap places a mapping, the largest
// free range) and the remembered mappings of touch, checked against simple
// references on random layouts: the references build the whole obstacle list
// from the public mappings() and sort it, as the first implementation did, or
// keep residency as a set of page numbers.
import { describe, expect, it } from 'vitest';
import { AddressSpace, type ReservedRange } from './address-space.ts';
import { mulberry32 } from './prng.ts';

const PAGE = 4096;
const MiB = 1024 * 1024;

/** The gap search as a sorted obstacle list: mappings, then reserved ranges, then the heap, sorted by start descending (stable). */
function referenceGap(s: AddressSpace, length: number): number {
  const len = Math.ceil(length / PAGE) * PAGE;
  const all = s.mappings();
  const heapTop = Math.ceil(s.brk / PAGE) * PAGE;
  const obstacles = [
    ...all.filter((m) => m.kind === 'mmap').map((m) => ({ start: m.start, end: m.start + m.length })),
    ...s.reserved.map((r) => ({ start: r.start, end: r.start + r.length })),
    { start: s.heapStart, end: Math.max(heapTop, s.heapStart) },
  ];
  obstacles.sort((a, b) => b.start - a.start);
  let ceiling = s.mmapBase;
  for (const o of obstacles) {
    if (o.start >= ceiling) continue;
    if (o.end <= ceiling && ceiling - o.end >= len) {
      const start = ceiling - len;
      if (start >= s.mmapFloor || s.bits === 32) return start;
    }
    ceiling = o.start;
  }
  const floor = s.bits === 32 ? 0 : s.mmapFloor;
  return ceiling - len >= floor ? ceiling - len : -1;
}

/** The largest free range from the sorted mappings() list. */
function referenceLargestFree(s: AddressSpace): number {
  let top = s.mmapBase;
  for (const r of s.reserved) top = Math.max(top, r.start + r.length);
  const low = s.bits === 32 ? 0 : s.heapStart;
  const high = s.bits === 32 ? top : s.mmapBase;
  let best = 0;
  let cursor = low;
  for (const m of s.mappings()) {
    const end = m.start + m.length;
    if (end <= cursor) continue;
    if (m.start >= high) break;
    best = Math.max(best, Math.min(m.start, high) - cursor);
    cursor = Math.max(cursor, end);
  }
  return Math.max(best, high - cursor);
}

/** A cramped 32-bit layout, reserved ranges listed out of order, so gaps run out and the walk meets every kind of obstacle. */
function cramped(): AddressSpace {
  const reserved: ReservedRange[] = [
    { start: 40 * MiB, length: 2 * MiB, name: 'library' },
    { start: 0, length: 4 * MiB, name: 'low memory' },
    { start: 60 * MiB, length: 4 * MiB, name: 'stack' },
    { start: 30 * MiB, length: 0, name: 'empty' },
    { start: 8 * MiB, length: MiB, name: 'text' },
  ];
  return new AddressSpace({ bits: 32, userSpaceBytes: 64 * MiB, heapStart: 12 * MiB, mmapBase: 56 * MiB, reserved });
}

describe('AddressSpace gap search and largest free range', () => {
  for (const [name, make] of [
    ['a cramped 32-bit layout', cramped],
    ['the default 32-bit layout', () => new AddressSpace({ bits: 32 })],
    ['the default 64-bit layout', () => new AddressSpace()],
  ] as const) {
    it(`place mappings where the sorted-list reference does, on random layouts (${name})`, () => {
      const rand = mulberry32(name.length * 7919);
      for (let round = 0; round < 20; round++) {
        const s = make();
        const live: { start: number; length: number }[] = [];
        for (let step = 0; step < 150; step++) {
          const r = rand();
          if (r < 0.45) {
            // Mostly small requests; now and then a large one that may not fit.
            const length = rand() < 0.1 ? Math.floor(rand() * 64) * MiB : Math.floor(1 + rand() * 300) * PAGE;
            const expected = referenceGap(s, length);
            const got = s.mmap(length);
            expect(got).toBe(expected < 0 ? 0 : expected);
            if (got !== 0 && length > 0) live.push({ start: got, length: Math.ceil(length / PAGE) * PAGE });
          } else if (r < 0.7 && live.length > 0) {
            // Unmap all of a mapping or a piece of it (which splits it).
            const k = Math.floor(rand() * live.length);
            const m = live[k]!;
            const pages = m.length / PAGE;
            const from = rand() < 0.5 ? 0 : Math.floor(rand() * pages);
            const to = from + 1 + Math.floor(rand() * (pages - from));
            s.munmap(m.start + from * PAGE, (to - from) * PAGE);
            live.splice(k, 1);
            if (from > 0) live.push({ start: m.start, length: from * PAGE });
            if (to < pages) live.push({ start: m.start + to * PAGE, length: (pages - to) * PAGE });
          } else if (r < 0.8 && live.length > 0) {
            const k = Math.floor(rand() * live.length);
            const m = live[k]!;
            const grown = m.length + Math.floor(1 + rand() * 50) * PAGE;
            const at = s.mremap(m.start, m.length, grown);
            if (at !== 0) live[k] = { start: at, length: grown };
          } else {
            const grow = Math.floor(rand() * 64) * PAGE;
            if (s.sbrk(rand() < 0.7 ? grow : -Math.min(grow, s.brk - s.heapStart)) === -1) {
              // A heap that cannot grow is part of the layout too.
            }
          }
          expect(s.largestFreeRange()).toBe(referenceLargestFree(s));
        }
      }
    });
  }

  it('walks to the lowest gap when the upper ones are too small, and fails when none fits', () => {
    const s = cramped();
    // Obstacles: 0..4, 8..9 (text), the empty heap at 12, an empty range at 30, 40..42 (library), mmap base 56, 60..64 (stack).
    // An empty range still cuts the free space in two for both walks: 9..30 is the largest range.
    expect(s.largestFreeRange()).toBe(21 * MiB);
    expect(s.mmap(14 * MiB)).toBe(42 * MiB); // 42..56, the top gap, fits exactly
    expect(s.mmap(15 * MiB)).toBe(15 * MiB); // 30..40 is too small; 12..30 takes it at its top
    expect(s.mmap(14 * MiB)).toBe(0); // left: 12..15, 30..40
    expect(s.largestFreeRange()).toBe(10 * MiB); // 30..40 (below the heap: 4..8 and 9..12)
  });
});

describe('AddressSpace.touch over many mappings', () => {
  it('counts exactly what a page set counts while writes hop between more mappings than it remembers', () => {
    const rand = mulberry32(42);
    const s = new AddressSpace();
    const maps: number[] = [];
    for (let k = 0; k < 9; k++) maps.push(s.mmap(16 * PAGE));
    const heap = s.sbrk(32 * PAGE);
    const pages = new Set<number>();
    for (let step = 0; step < 5000; step++) {
      const inHeap = rand() < 0.2;
      const base = inHeap ? heap : maps[Math.floor(rand() * (rand() < 0.7 ? 3 : maps.length))]!;
      const span = inHeap ? 32 * PAGE : 16 * PAGE;
      const offset = Math.floor(rand() * span);
      const length = 1 + Math.floor(rand() * Math.min(span - offset, rand() < 0.8 ? 64 : 3 * PAGE));
      s.touch(base + offset, length);
      for (let p = Math.floor((base + offset) / PAGE); p <= Math.floor((base + offset + length - 1) / PAGE); p++) pages.add(p);
      if (step % 500 === 499) {
        // Releasing pages and unmapping a mapping must not leave a stale remembered mapping behind.
        const victim = maps[3 + Math.floor(rand() * 6)]!;
        s.dontneed(victim, 4 * PAGE);
        for (let p = victim / PAGE; p < victim / PAGE + 4; p++) pages.delete(p);
      }
      expect(s.residentPages).toBe(pages.size);
    }
    for (const m of maps) {
      let n = 0;
      for (let p = m / PAGE; p < m / PAGE + 16; p++) if (pages.has(p)) n++;
      expect(s.residentPagesIn(m, 16 * PAGE)).toBe(n);
    }
    // A write spanning two adjacent mappings (maps are placed top-down, so maps[1] lies just below maps[0]).
    const gone = s.residentPagesIn(maps[2]!, 16 * PAGE);
    s.munmap(maps[2]!, 16 * PAGE);
    expect(() => s.touch(maps[2]!, 1)).toThrow('access to unmapped address');
    const before = s.residentPagesIn(maps[1]!, 32 * PAGE);
    s.touch(maps[1]!, 32 * PAGE);
    expect(s.residentPagesIn(maps[1]!, 32 * PAGE)).toBe(32);
    expect(s.residentPages).toBe(pages.size - gone + (32 - before));
  });

  it('forgets a mapping that mremap moved: writes to its old place fail, writes to the new place count', () => {
    const s = new AddressSpace();
    const a = s.mmap(4 * PAGE);
    const b = s.mmap(4 * PAGE); // just below a, so b cannot grow in place
    s.touch(b, 10);
    s.touch(b + PAGE, 10); // b is now the remembered mapping
    const moved = s.mremap(b, 4 * PAGE, 8 * PAGE);
    expect(moved).toBe(b - 8 * PAGE); // the highest gap, found while b still stood
    expect(() => s.touch(b + PAGE, 1)).toThrow('access to unmapped address');
    s.touch(moved + 5 * PAGE, 1);
    expect(s.residentPagesIn(moved, 8 * PAGE)).toBe(3); // pages 0 and 1 moved with the mapping, page 5 is new
    expect(s.residentPagesIn(a, 4 * PAGE)).toBe(0);
  });
});

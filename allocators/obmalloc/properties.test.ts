// Seeded random traces through every preset: invariants that any correct
// allocator keeps, and the residue each version documents after everything
// is freed.
import { describe, expect, it } from 'vitest';
import { ALL_PRESETS, build } from './testing/build.ts';
import { randomTrace } from './testing/random-trace.ts';

describe('random traces through every preset', () => {
  for (const [name, preset] of ALL_PRESETS) {
    it(`${name}@${preset}: no overlap, usable ≥ requested, aligned, mapped ≥ resident ≥ live pages; documented residue`, () => {
      const b = build(name, preset);
      const { checks } = randomTrace(b, 1234, 6000);
      expect(checks).toBeGreaterThan(20);
      const { model, backing, space, driver } = b;
      const arenasBefore = model.arenas.live;
      expect(arenasBefore).toBeGreaterThan(0);
      const rssBefore = space.residentBytes;
      driver.freeAll();
      const arenaMaps = space.mappings().filter((m) => m.tag === 'obmalloc arena').length;
      if (!model.config.freesArenas) {
        // 2.4: every arena stays, and so does every page they made resident
        expect(model.arenas.live).toBe(arenasBefore);
        expect(model.arenas.live).toBe(model.arenas.narenas);
        // what is left in the backing: the arenas, the current vector and the leaked ones
        expect(backing.liveBlocks).toBe(model.arenas.narenas + 1 + model.arenas.leakedVectors.length);
        expect(space.residentBytes).toBeLessThanOrEqual(rssBefore);
        expect(model.retention().some((f) => f.kind === 'empty-pools')).toBe(true);
      } else {
        const kept = model.config.keepEmptyArena ? 1 : 0;
        expect(model.arenas.live).toBe(kept);
        const mallocArenas = model.config.arenaSource === 'malloc' ? kept : 0;
        expect(arenaMaps).toBe(model.config.arenaSource === 'mmap' ? kept : 0);
        // the arena-object vector and (3.10+) the radix-tree nodes are all that obmalloc keeps in the backing
        expect(backing.liveBlocks).toBe(1 + (model.radix?.nodes ?? 0) + mallocArenas);
        const kinds = model.retention().map((f) => f.kind);
        // only the kept arena and the bookkeeping (arena vector, radix nodes) are left to explain
        expect(kinds.filter((k) => k === 'kept-arena')).toHaveLength(kept);
        expect(kinds.filter((k) => k !== 'kept-arena')).toEqual(['metadata']);
        const metadata = model.retention().find((f) => f.kind === 'metadata')!;
        // 16 arena objects of 48 B = 768 B (or more if the vector grew), and whole resident pages of radix nodes
        expect(metadata.bytes).toBe(model.arenas.vectorSlots * 48 + (model.radix?.residentBytes() ?? 0));
      }
    });
  }

  it('is deterministic: the same seed gives the same addresses', () => {
    const one = randomTrace(build('obmalloc-arenafree', '3.11'), 99, 3000).addrs;
    const two = randomTrace(build('obmalloc-arenafree', '3.11'), 99, 3000).addrs;
    expect(two).toEqual(one);
  });

  it('with no touch policy only what obmalloc writes is resident: the pool header and the next block\'s link word', () => {
    const { driver, model, space } = build('obmalloc-arenafree', '3.11');
    (driver as unknown as { touch: boolean }).touch = false;
    const arenaPages = () => space.residentPagesIn(model.arenas.address[0]!, model.config.arenaSize);
    driver.malloc(0, 512);
    expect(arenaPages()).toBe(1); // header at 0, block 0 at 48, link of block 1 at 560
    for (let i = 1; i < 7; i++) driver.malloc(i, 512);
    expect(arenaPages()).toBe(1); // blocks 0..6 out; link of block 7 at 48 + 7×512 = 3632, still page 0
    driver.malloc(7, 512);
    expect(arenaPages()).toBe(2); // link of block 8 at 48 + 8×512 = 4144: page 1
    driver.free(3);
    expect(arenaPages()).toBe(2); // the freed block's link word is on page 0
  });
});

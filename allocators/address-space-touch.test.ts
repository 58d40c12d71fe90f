// The fast paths of AddressSpace.touch (one page by one bit, a few pages by
// one mask, in the page table's cached leaves; ranges across mappings, 32-page
// groups and leaves by the general path) must count exactly what a
// page-by-page count gives, and mappings() must show the same residency.
import { describe, expect, it } from 'vitest';
import { AddressSpace } from './address-space.ts';
import { PageBitset } from './page-bitset.ts';

const PAGE = 4096;
const GiB = 1024 * 1024 * 1024;

describe('AddressSpace.touch fast paths', () => {
  it('counts single-page, page-crossing and repeated writes in the heap', () => {
    const s = new AddressSpace();
    const h = s.sbrk(8 * PAGE);
    s.touch(h + 10, 16); // inside page 0
    s.touch(h + PAGE - 8, 16); // crosses pages 0|1
    s.touch(h + 3 * PAGE, PAGE); // exactly page 3
    s.touch(h + 3 * PAGE + 100, 1); // page 3 again: nothing new
    expect(s.residentPages).toBe(3);
    expect(s.residentPagesIn(h, 8 * PAGE)).toBe(3);
    expect([0, 1, 2, 3].map((p) => s.isResident(h + p * PAGE))).toEqual([true, true, false, true]);
  });

  it('uses the remembered mapping, and falls back when a write leaves it', () => {
    const s = new AddressSpace();
    const a = s.mmap(4 * PAGE);
    const b = s.mmap(4 * PAGE); // directly below a
    s.touch(a + 5, 10); // remembers a
    s.touch(a + PAGE + 5, 10);
    s.touch(b + 3 * PAGE, 2 * PAGE); // starts in b, ends in a: the general path, both pieces
    expect(s.residentPagesIn(a, 4 * PAGE)).toBe(2);
    expect(s.residentPagesIn(b, 4 * PAGE)).toBe(1);
    expect(s.residentPages).toBe(3);
    s.munmap(a, 4 * PAGE); // forgets the remembered mapping
    expect(s.residentPages).toBe(1);
    expect(() => s.touch(a, 1)).toThrow('access to unmapped address');
  });

  it('pages offsets beyond 2^32 inside one mapping by division', () => {
    const s = new AddressSpace();
    const big = s.mmap(6 * GiB);
    s.touch(big + 1, 1); // remember the mapping
    const far = big + 5 * GiB + 3 * PAGE - 10; // offset > 2^32, crossing into the next page
    s.touch(far, 20);
    expect(s.residentPages).toBe(3);
    expect(s.isResident(big + 5 * GiB + 2 * PAGE)).toBe(true);
    expect(s.isResident(big + 5 * GiB + 3 * PAGE)).toBe(true);
    expect(s.isResident(big + 5 * GiB + 4 * PAGE)).toBe(false);
  });
});

describe('AddressSpace residency in maps', () => {
  it('snapshots the residency of the heap and of each mapping, page 0 at its start', () => {
    const s = new AddressSpace();
    const h = s.sbrk(40 * PAGE);
    const a = s.mmap(5 * PAGE);
    s.touch(h + 33 * PAGE + 1, 1);
    s.touch(h, 1);
    s.touch(a + 4 * PAGE, 8);
    const maps = s.mappings();
    const heap = maps.find((m) => m.kind === 'heap')!;
    const mine = maps.find((m) => m.start === a)!;
    expect(heap.resident.countRange(0, 40)).toBe(2);
    expect([0, 1, 33].map((p) => heap.resident.get(p))).toEqual([true, false, true]);
    expect(mine.resident.countRange(0, 5)).toBe(1);
    expect(mine.resident.get(4)).toBe(true);
  });

  it('gives back the pages above a lowered break: grown again, they are not resident', () => {
    const s = new AddressSpace();
    const h = s.sbrk(4 * PAGE);
    s.touch(h, 4 * PAGE);
    s.sbrk(-2 * PAGE);
    expect(() => s.touch(h + 3 * PAGE, 1)).toThrow('access to unmapped address');
    s.sbrk(2 * PAGE);
    expect(s.residentPages).toBe(2);
    expect(s.residentPagesIn(h, 4 * PAGE)).toBe(2);
    s.touch(h + 3 * PAGE, 1);
    expect(s.residentPages).toBe(3);
  });
});

describe('PageBitset.setPage', () => {
  it('reports a page as new once, and grows for pages past its capacity', () => {
    const b = new PageBitset(32);
    expect(b.setPage(31)).toBe(1);
    expect(b.setPage(31)).toBe(0);
    expect(b.setPage(1000)).toBe(1);
    expect(b.capacity).toBeGreaterThanOrEqual(1001);
    expect(b.countRange(0, 2000)).toBe(2);
    expect(b.get(31) && b.get(1000) && !b.get(32)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { AddressSpace } from './address-space.ts';

const PAGE = 4096;
const MiB = 1024 * 1024;

describe('AddressSpace brk heap', () => {
  it('grows and shrinks the break; RSS follows touched pages', () => {
    const s = new AddressSpace();
    const base = s.sbrk(10 * PAGE);
    expect(base).toBe(s.heapStart);
    expect(s.mappedPages).toBe(10);
    expect(s.residentPages).toBe(0); // mapping alone makes nothing resident
    s.touch(base + 100, 2 * PAGE); // bytes 100..8291 cover pages 0,1,2
    expect(s.residentPages).toBe(3);
    s.touch(base, 1); // already resident
    expect(s.residentPages).toBe(3);
    s.sbrk(-8 * PAGE); // pages 2..9 leave
    expect(s.mappedPages).toBe(2);
    expect(s.residentPages).toBe(2);
    expect(s.sbrk(-3 * PAGE)).toBe(-1); // below heapStart
  });
});

describe('AddressSpace mmap', () => {
  it('places mappings top-down, adjacent, and reuses holes', () => {
    const s = new AddressSpace();
    const a = s.mmap(3 * PAGE);
    const b = s.mmap(2 * PAGE);
    expect(a).toBe(s.mmapBase - 3 * PAGE);
    expect(b).toBe(a - 2 * PAGE);
    s.munmap(a, 3 * PAGE);
    const c = s.mmap(PAGE); // highest gap that fits: the top of a's hole
    expect(c).toBe(s.mmapBase - PAGE);
    expect(s.mappedPages).toBe(3);
  });

  it('rounds lengths up to pages and counts residency per mapping', () => {
    const s = new AddressSpace();
    const a = s.mmap(200704); // 49 pages
    expect(s.mappedPages).toBe(49);
    s.touch(a, 200704);
    expect(s.residentPages).toBe(49);
    s.dontneed(a + PAGE, 10 * PAGE);
    expect(s.residentPages).toBe(39);
    expect(s.mappedPages).toBe(49);
    expect(s.residentPagesIn(a, 200704)).toBe(39);
    s.munmap(a, 200704);
    expect(s.residentPages).toBe(0);
    expect(s.mappedPages).toBe(0);
  });

  it('partially unmaps a mapping and keeps the residency of what stays', () => {
    const s = new AddressSpace();
    const a = s.mmap(8 * PAGE);
    s.touch(a, 8 * PAGE);
    s.munmap(a + 2 * PAGE, 3 * PAGE); // leaves [0,2) and [5,8)
    expect(s.mappedPages).toBe(5);
    expect(s.residentPages).toBe(5);
    expect(s.residentPagesIn(a, 8 * PAGE)).toBe(5);
    expect(() => s.touch(a + 3 * PAGE, 1)).toThrow(/unmapped/);
  });

  it('mremap grows in place when the pages above are free, else moves with residency', () => {
    const s = new AddressSpace();
    const low = s.mmap(2 * PAGE);
    s.touch(low, 2 * PAGE);
    // The pages above `low` are taken by nothing only after we unmap the top; first the move case:
    const below = s.mmap(PAGE); // sits right below low
    s.touch(below, PAGE);
    const moved = s.mremap(below, PAGE, 4 * PAGE); // above is `low`: must move
    expect(moved).not.toBe(below);
    expect(s.residentPages).toBe(3);
    expect(s.isResident(moved)).toBe(true);
    expect(s.isResident(moved + PAGE)).toBe(false);
    // `low` is the highest mapping: the pages above it up to mmapBase are free.
    expect(s.mremap(low, 2 * PAGE, 2 * PAGE)).toBe(low);
    const topA = s.mmap(PAGE); // lands in the freed slot or below; grow `low` only if free
    expect(topA).toBeGreaterThan(0);
  });

  it('refuses to write to unmapped memory and to madvise unaligned addresses', () => {
    const s = new AddressSpace();
    expect(() => s.touch(0x1000, 1)).toThrow(/unmapped/);
    const a = s.mmap(PAGE);
    expect(() => s.dontneed(a + 1, PAGE)).toThrow(/unaligned/);
  });
});

describe('AddressSpace 32-bit', () => {
  it('fails a mapping that no gap can hold while the free total is larger', () => {
    const s = new AddressSpace({ bits: 32, userSpaceBytes: 3 * 1024 * MiB, reserved: [{ start: 0, length: 0x10000000, name: 'low' }], heapStart: 0x10000000, mmapBase: 0xc0000000 });
    // Fill [0x10000000, 0xc0000000) = 2816 MiB with 44 blocks of 64 MiB, then free every other one.
    const blocks: number[] = [];
    for (;;) {
      const a = s.mmap(64 * MiB);
      if (a === 0) break;
      blocks.push(a);
    }
    expect(blocks.length).toBe(44);
    for (let i = 0; i < blocks.length; i += 2) s.munmap(blocks[i]!, 64 * MiB);
    expect(s.largestFreeRange()).toBe(64 * MiB);
    expect(s.mmap(128 * MiB)).toBe(0);
    expect(s.mmap(64 * MiB)).toBeGreaterThan(0);
  });

  it('stops the heap at the first mapping above it', () => {
    const s = new AddressSpace({ bits: 32, reserved: [], heapStart: 0x10000000, mmapBase: 0x10000000 + 16 * PAGE });
    expect(s.mmap(4 * PAGE)).toBe(0x10000000 + 12 * PAGE);
    expect(s.sbrk(12 * PAGE)).toBe(0x10000000);
    expect(s.sbrk(PAGE)).toBe(-1);
  });

  it('keeps reserved ranges out of every mapping', () => {
    const s = new AddressSpace({ bits: 32 });
    for (const m of s.mappings()) expect(m.kind).toBe('reserved');
    const a = s.mmap(MiB);
    for (const r of s.reserved) expect(a + MiB <= r.start || a >= r.start + r.length).toBe(true);
  });
});

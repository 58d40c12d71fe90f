import { describe, expect, it } from 'vitest';
import { AddressSpace } from '../allocators/address-space.ts';
import { buildAddressMap, CELLS_PER_ROW, freeAddressSpace } from './address-map.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('buildAddressMap', () => {
  it('draws the whole 32-bit user space at 1 MiB a cell', () => {
    const space = new AddressSpace({ bits: 32 });
    const at = space.mmap(10 * MiB);
    space.touch(at, 5 * MiB);
    const map = buildAddressMap(space);
    expect(map.cellBytes).toBe(MiB);
    expect(map.rows).toHaveLength(48); // 3 GiB / (64 × 1 MiB)
    const cells = map.rows.map((r) => r.cells).join('');
    expect(map.rows[1]!.start).toBe(64 * MiB);
    // 0 .. 128 MiB + 288 KiB: the null guard and low memory, then 2 MiB of program text: cells 0..130 reserved.
    expect(cells.slice(0, 131)).toBe('X'.repeat(131));
    expect(cells[131]).toBe(' ');
    // The mapping sits just below the mmap base (3 GiB − 136 MiB = cell 2936): 5 cells resident, 5 mapped only.
    expect(cells.slice(2926, 2936)).toBe('#####.....');
    expect(cells.slice(2936, 2944)).toBe('XXXXXXXX'); // shared libraries
    expect(cells.slice(2944, 3064)).toBe(' '.repeat(120));
    expect(cells.slice(3064)).toBe('XXXXXXXX'); // main thread stack
  });

  it('marks a partly resident cell with +', () => {
    const space = new AddressSpace({ bits: 32 });
    const at = space.mmap(MiB);
    space.touch(at, 4096);
    const cells = buildAddressMap(space).rows.map((r) => r.cells).join('');
    expect(cells[Math.floor(at / MiB)]).toBe('+');
  });

  it('draws only the rows that hold mappings in 64-bit mode', () => {
    const space = new AddressSpace();
    space.sbrk(2 * 4096);
    space.touch(space.heapStart, 100);
    const map = buildAddressMap(space);
    expect(map.cellBytes).toBe(4096);
    expect(map.rows).toHaveLength(1);
    const row = map.rows[0]!;
    expect(row.start).toBe(space.heapStart - (space.heapStart % (4096 * CELLS_PER_ROW)));
    const first = (space.heapStart - row.start) / 4096;
    expect(row.cells.slice(first, first + 3)).toBe('#. ');
  });

  it('grows the cell until a large 64-bit layout fits in a few rows', () => {
    const space = new AddressSpace();
    space.sbrk(600 * MiB);
    space.mmap(300 * MiB);
    const map = buildAddressMap(space);
    expect(map.rows.length).toBeLessThanOrEqual(32);
    expect(map.rows.length).toBeGreaterThan(2);
    for (const r of map.rows) expect(r.cells).toHaveLength(CELLS_PER_ROW);
  });
});

describe('freeAddressSpace', () => {
  it('counts every hole and the largest one', () => {
    const space = new AddressSpace({ bits: 32 });
    space.mmap(10 * MiB);
    const reserved = space.reserved.reduce((s, r) => s + r.length, 0);
    const free = freeAddressSpace(space);
    expect(free.totalFreeBytes).toBe(3 * GiB - reserved - 10 * MiB);
    expect(free.largestFreeBytes).toBe(space.largestFreeRange());
    // From the end of program text to the mapping: 3 GiB − 146 MiB − (0x08048000 + 2 MiB).
    expect(free.largestFreeBytes).toBe(3 * GiB - 146 * MiB - (0x08048000 + 2 * MiB));
  });
});

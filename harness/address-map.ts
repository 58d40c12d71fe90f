// A picture of the address space at a mark, after seed 000's pmap script:
// rows of cells, each cell a fixed span of addresses, drawn by how much of it
// is mapped and resident. In 32-bit mode the whole user space is drawn, since
// the point is to see the holes; in 64-bit mode only the rows that hold a
// mapping are, since the space between the heap and the mmap area is terabytes.
import type { AddressSpace, Mapping } from '../allocators/address-space.ts';
import type { AddressMap } from './result.ts';

export const CELLS_PER_ROW = 64;
/** 32-bit: 3 GiB at 1 MiB per cell is 48 rows of 64, the seed's 1 MiB granularity. */
const MAX_CELLS_32 = 48 * CELLS_PER_ROW;
/** 64-bit: grow the cell until the mapped rows fit in this many. */
const MAX_ROWS_64 = 32;

/** The first address above the 32-bit user space (what AddressSpace counts as its top). */
function userTop(space: AddressSpace): number {
  let top = space.mmapBase;
  for (const r of space.reserved) top = Math.max(top, r.start + r.length);
  return top;
}

/** Rows [first, last] that `mappings` cover, counted without repeats (mappings are sorted). */
function rowsCovered(mappings: readonly Mapping[], rowBytes: number): number {
  let rows = 0;
  let lastRow = -1;
  for (const m of mappings) {
    const first = Math.max(Math.floor(m.start / rowBytes), lastRow + 1);
    const last = Math.floor((m.start + m.length - 1) / rowBytes);
    if (last >= first) {
      rows += last - first + 1;
      lastRow = last;
    }
  }
  return rows;
}

/** The first drawn row that starts above `addr`, or +Infinity. */
function nextRowStart(rowStarts: readonly number[], addr: number): number {
  let lo = 0;
  let hi = rowStarts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rowStarts[mid]! <= addr) lo = mid + 1;
    else hi = mid;
  }
  return lo < rowStarts.length ? rowStarts[lo]! : Infinity;
}

/** Draw one cell from its mapped and resident page counts. */
function cellChar(mappedPages: number, residentPages: number, reserved: boolean): string {
  if (mappedPages > 0) return residentPages >= mappedPages ? '#' : residentPages > 0 ? '+' : '.';
  return reserved ? 'X' : ' ';
}

export function buildAddressMap(space: AddressSpace): AddressMap {
  const all = space.mappings();
  const live = all.filter((m) => m.kind !== 'reserved' && m.length > 0);
  const page = space.pageSize;
  let cellBytes = page;
  let rowStarts: number[];
  if (space.bits === 32) {
    const top = userTop(space);
    while (Math.ceil(top / cellBytes) > MAX_CELLS_32) cellBytes *= 2;
    const rowBytes = cellBytes * CELLS_PER_ROW;
    rowStarts = [];
    for (let s = 0; s < top; s += rowBytes) rowStarts.push(s);
  } else {
    while (rowsCovered(live, cellBytes * CELLS_PER_ROW) > MAX_ROWS_64) cellBytes *= 2;
    const rowBytes = cellBytes * CELLS_PER_ROW;
    const set = new Set<number>();
    for (const m of live) {
      const last = Math.floor((m.start + m.length - 1) / rowBytes);
      for (let r = Math.floor(m.start / rowBytes); r <= last; r++) set.add(r * rowBytes);
    }
    rowStarts = [...set].sort((a, b) => a - b);
  }
  const rowBytes = cellBytes * CELLS_PER_ROW;
  const rowIndex = new Map<number, number>();
  rowStarts.forEach((s, i) => rowIndex.set(s, i));
  const cells = rowStarts.length * CELLS_PER_ROW;
  const mapped = new Float64Array(cells);
  const resident = new Float64Array(cells);
  const reserved = new Uint8Array(cells);

  // Visit each mapping cell by cell, so the cost is the cells drawn, not the pages.
  for (const m of all) {
    const end = m.start + m.length;
    let cursor = m.start;
    while (cursor < end) {
      const rowStart = Math.floor(cursor / rowBytes) * rowBytes;
      const cellStart = rowStart + Math.floor((cursor - rowStart) / cellBytes) * cellBytes;
      const to = Math.min(end, cellStart + cellBytes);
      const row = rowIndex.get(rowStart);
      if (row === undefined) {
        // A row that is not drawn (64-bit: nothing mapped there): jump to the next drawn row.
        cursor = Math.min(end, nextRowStart(rowStarts, cursor));
        continue;
      }
      {
        const c = row * CELLS_PER_ROW + (cellStart - rowStart) / cellBytes;
        if (m.kind === 'reserved') reserved[c] = 1;
        else {
          const p0 = Math.floor((cursor - m.start) / page);
          const p1 = Math.ceil((to - m.start) / page);
          mapped[c] += p1 - p0;
          resident[c] += m.resident.countRange(p0, p1);
        }
      }
      cursor = to;
    }
  }

  const rows = rowStarts.map((start, r) => {
    let text = '';
    for (let i = 0; i < CELLS_PER_ROW; i++) {
      const c = r * CELLS_PER_ROW + i;
      text += cellChar(mapped[c]!, resident[c]!, reserved[c] === 1);
    }
    return { start, cells: text };
  });
  return { cellBytes, rows };
}

/** Free address space at this moment: the largest hole (what one mmap could get) and the total. */
export interface FreeAddressSpace {
  largestFreeBytes: number;
  totalFreeBytes: number;
}

/**
 * Walks the same range AddressSpace.largestFreeRange does (the whole user
 * space in 32-bit mode; between the heap start and the mmap base in 64-bit).
 */
export function freeAddressSpace(space: AddressSpace): FreeAddressSpace {
  const low = space.bits === 32 ? 0 : space.heapStart;
  const high = space.bits === 32 ? userTop(space) : space.mmapBase;
  let total = 0;
  let cursor = low;
  for (const m of space.mappings()) {
    const mEnd = m.start + m.length;
    if (mEnd <= cursor) continue;
    if (m.start >= high) break;
    total += Math.max(0, Math.min(m.start, high) - cursor);
    cursor = Math.max(cursor, mEnd);
  }
  total += Math.max(0, high - cursor);
  return { largestFreeBytes: space.largestFreeRange(), totalFreeBytes: total };
}

// Page → extent lookup (jemalloc's emap/rtree): how free() and
// malloc_usable_size() find the extent of a pointer. Slabs register every page
// (interior lookups); large extents register the page the user pointer is in.
// An entry names a slab by its slot in Bins (where free() goes next) and a
// large extent by its index, and carries the small bin beside it (as
// jemalloc's rtree leaf keeps szind beside the edata pointer), so that free()
// learns the size class from the one page-map read it needs anyway instead
// of a second cache miss on the extent.
import type { Metadata } from './metadata.ts';
import { PageIndex } from './page-index.ts';
import { PAGE } from './size-classes.ts';

/** Low bits of an entry hold bin + 1 (0 for a large extent); the slab slot or extent index sits above them. */
const BIN_BITS = 6;
const BIN_SLOTS = 1 << BIN_BITS;
/** PageIndex values stay below 2^31 − 1. */
const MAX_IDS = 2 ** (31 - BIN_BITS);

/** The slab slot (small bin) or extent (large) of a packed entry; entries are non-negative int32, so a shift is exact. */
export function entryId(entry: number): number {
  return entry >> BIN_BITS;
}

/** The small bin of a packed entry, −1 for a large extent. */
export function entryBin(entry: number): number {
  return (entry & (BIN_SLOTS - 1)) - 1;
}

export class PageMap {
  private readonly index = new PageIndex();

  constructor(private readonly meta: Metadata) {}

  /** Map the pages of [start, start + bytes) to `id`: the slot of a slab of small bin `bin`, or (bin −1) a large extent. */
  registerRange(start: number, bytes: number, id: number, bin: number): void {
    if (id >= MAX_IDS || bin + 1 >= BIN_SLOTS) throw new Error(`jemalloc model: page map entry out of range (id ${id}, bin ${bin})`);
    const entry = id * BIN_SLOTS + bin + 1;
    const pages = Math.ceil(bytes / PAGE);
    if (pages === 1) this.index.set(start, entry);
    else this.index.setRun(start, pages, entry);
    this.meta.registerPages(Math.floor(start / PAGE), pages);
  }

  unregisterRange(start: number, bytes: number): void {
    this.index.deleteRun(start, bytes / PAGE);
  }

  /** The packed entry (entryId, entryBin) of the page holding `addr`, or −1 when nothing is registered. */
  lookupEntry(addr: number): number {
    return this.index.get(addr);
  }
}

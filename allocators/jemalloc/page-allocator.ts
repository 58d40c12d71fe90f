// The seam between the small/large allocation layers and the two page-level
// engines: jemalloc 5's page allocator with extent caches and decay (pac.ts)
// and jemalloc 3's chunks of runs with ratio purging (chunks.ts).
import type { AddressSpace } from '../address-space.ts';
import { PAGE } from './size-classes.ts';

/** Where resident-but-free pages of one arena sit, for retention findings. */
export interface CachedPages {
  /** Dirty extents or runs: freed, still resident. */
  dirtyBytes: number;
  dirtyExtents: number;
  /** MADV_FREE'd extents (5.0/5.1): counted resident until the kernel reclaims them. */
  muzzyBytes: number;
  muzzyExtents: number;
  /** jemalloc 3's spare chunk: a wholly free chunk kept mapped and dirty. */
  spareBytes: number;
}

export interface PageAllocator {
  /** An active extent of `size` bytes (page multiple) aligned to `alignment` (≥ page), or −1. */
  alloc(size: number, alignment: number): number;
  /** Return an active extent to the caches. */
  dalloc(e: number): void;
  /** Grow an active extent in place to `newSize`; false when the pages above are not free. */
  expand(e: number, newSize: number): boolean;
  /** Shrink an active extent in place, returning the tail to the caches. */
  shrink(e: number, newSize: number): void;
  /** The decay ticker fired for this arena at trace time `nowNs`. */
  decayTick(nowNs: number): void;
  /** Resident bytes of the cached free pages, by kind. */
  cachedPages(): CachedPages;
  /** One sentence on when the dirty pages go away, and the time when known. */
  purgeOutlook(nowNs: number): { text: string; purgeAtNs?: number };
}

/**
 * mmap with an alignment above the page: map size + alignment − page and
 * unmap the ends, as pages_map/chunk_alloc_mmap do. Returns 0 on failure.
 */
export function alignedMmap(space: AddressSpace, size: number, alignment: number, tag: string): number {
  if (alignment <= PAGE) return space.mmap(size, tag);
  const raw = space.mmap(size + alignment - PAGE, tag);
  if (raw === 0) return 0;
  const start = Math.ceil(raw / alignment) * alignment;
  if (start > raw) space.munmap(raw, start - raw);
  const end = raw + size + alignment - PAGE;
  if (end > start + size) space.munmap(start + size, end - start - size);
  return start;
}

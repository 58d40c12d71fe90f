// _int_free (malloc.c@glibc-2.35 :4420) and malloc_trim's mtrim (:5038): the
// only paths by which heap memory leaves RSS are systrim at the top and the
// madvise of whole pages inside free chunks that malloc_trim does.
import type { Arena } from './arena.ts';
import { ChunkState, NIL } from './chunk-store.ts';
import { CHUNK_HDR_SZ, FASTBIN_CONSOLIDATION_THRESHOLD, MALLOC_CHUNK_STRUCT, NBINS, TCACHE_MAX_BINS, UNSORTED_BIN, alignDown, alignUp, binIndex, csize2tidx, fastbinIndex } from './constants.ts';
import { coalesce, mallocConsolidate } from './malloc.ts';

/** Free a heap chunk the arena considers in use: tcache, then fastbin, then coalesce (and maybe trim). */
export function intFree(a: Arena, r: number): void {
  const c = a.c;
  const size = c.sizeOf(r);
  if (a.tcacheOn) {
    const tcIdx = csize2tidx(size);
    if (tcIdx < TCACHE_MAX_BINS && a.bins.tcacheCount[tcIdx]! < a.cfg.tcacheCount) {
      a.tcachePut(r, tcIdx);
      return;
    }
  }
  if (size <= a.cfg.maxFast) {
    c.setState(r, ChunkState.fast);
    a.bins.pushFast(fastbinIndex(size), r);
    a.w(c.addrOf(r) + CHUNK_HDR_SZ, 8); // p->fd
    return;
  }
  const merged = coalesce(a, r);
  // Freeing a large space: consolidate fastbins (they may border top), then trim if top is big enough.
  if (merged >= FASTBIN_CONSOLIDATION_THRESHOLD) {
    if (a.bins.haveFastChunks) mallocConsolidate(a);
    if (a.topSize >= a.trimThreshold) a.systrim(a.cfg.topPad);
  }
}

/**
 * malloc_trim(pad): consolidate, then madvise(DONTNEED) the whole pages inside
 * every chunk in the unsorted bin and in the bins from the page-size bin up,
 * then systrim(pad). Chunks in tcache stay as they are.
 */
export function mallocTrim(a: Arena, pad: number): void {
  mallocConsolidate(a);
  const c = a.c;
  const page = a.page;
  const pageBin = binIndex(page);
  for (let bin = UNSORTED_BIN; bin < NBINS; bin++) {
    if (bin !== UNSORTED_BIN && bin < pageBin) continue;
    for (let p = a.bins.last[bin]!; p !== NIL; p = c.bkOf(p)) {
      let size = c.sizeOf(p);
      if (size <= page - 1 + MALLOC_CHUNK_STRUCT) continue;
      const addr = c.addrOf(p);
      const from = alignUp(addr + MALLOC_CHUNK_STRUCT, page);
      size -= from - addr;
      if (size > page - 1) {
        a.space.dontneed(from, alignDown(size, page));
        a.known.forget(from, alignDown(size, page));
      }
    }
  }
  a.systrim(pad);
}

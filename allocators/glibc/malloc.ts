// _int_malloc and malloc_consolidate (malloc.c@glibc-2.35 :3770, :4700), in
// glibc's order: fastbin, small bin, consolidation before large requests, the
// unsorted scan (last remainder, exact fits into tcache, filing into bins),
// large-bin best fit, the binmap search, top, sysmalloc.
import type { Arena } from './arena.ts';
import { ChunkState, NIL, isBinned } from './chunk-store.ts';
import { MAX_ITERS, MINSIZE, NFASTBINS, SIZE_SZ, TCACHE_MAX_BINS, UNSORTED_BIN, csize2tidx, fastbinIndex, inSmallbinRange, largebinIndex, smallbinIndex } from './constants.ts';

/** Serve a padded request nb from the arena; returns the chunk record, or NIL when memory runs out. */
export function intMalloc(a: Arena, nb: number): number {
  const c = a.c;
  const bins = a.bins;
  const tcIdx = csize2tidx(nb);
  const canCache = a.tcacheOn && tcIdx < TCACHE_MAX_BINS;
  const tcacheLimit = a.cfg.tcacheCount;

  if (nb <= a.cfg.maxFast) {
    const idx = fastbinIndex(nb);
    const victim = bins.popFast(idx);
    if (victim !== NIL) {
      // Stash the rest of this fastbin in tcache while there is room.
      if (canCache) {
        while (bins.tcacheCount[tcIdx]! < tcacheLimit) {
          const t = bins.popFast(idx);
          if (t === NIL) break;
          a.tcachePut(t, tcIdx);
        }
      }
      c.setState(victim, ChunkState.inUse);
      return victim;
    }
  }

  let idx: number;
  if (inSmallbinRange(nb)) {
    idx = smallbinIndex(nb);
    const victim = a.takeLast(idx);
    if (victim !== NIL) {
      setInuseAfter(a, victim);
      if (canCache) {
        while (bins.tcacheCount[tcIdx]! < tcacheLimit) {
          const t = a.takeLast(idx);
          if (t === NIL) break;
          setInuseAfter(a, t);
          a.tcachePut(t, tcIdx);
        }
      }
      return victim;
    }
  } else {
    idx = largebinIndex(nb);
    if (bins.haveFastChunks) mallocConsolidate(a);
  }

  for (;;) {
    let returnCached = false;
    let iters = 0;
    let victim: number;
    while ((victim = bins.last[UNSORTED_BIN]!) !== NIL) {
      const size = c.sizeOf(victim);
      const vAddr = c.addrOf(victim);
      // A run of small requests carves the last remainder while it is the only unsorted chunk.
      if (inSmallbinRange(nb) && bins.first[UNSORTED_BIN] === victim && vAddr === a.lastRemainder && size > nb + MINSIZE) {
        a.carveOnlyUnsorted(victim, vAddr, size, nb);
        a.lastRemainder = vAddr + nb;
        return victim;
      }
      a.takeLast(UNSORTED_BIN);
      if (size === nb) {
        a.w(vAddr + size + SIZE_SZ, SIZE_SZ); // set_inuse_bit_at_offset
        if (canCache && bins.tcacheCount[tcIdx]! < tcacheLimit) {
          a.tcachePut(victim, tcIdx);
          returnCached = true;
          continue;
        }
        return victim;
      }
      fileIntoBin(a, victim);
      if (++iters >= MAX_ITERS) break;
    }
    if (returnCached) return a.tcacheGet(tcIdx);

    if (!inSmallbinRange(nb)) {
      const v = bins.bestFitLarge(idx, nb);
      if (v !== NIL) return splitBinned(a, v, nb, false);
    }

    const bin = bins.nextNonEmpty(idx);
    if (bin >= 0) return splitBinned(a, bins.last[bin]!, nb, inSmallbinRange(nb));

    if (a.topSize >= nb + MINSIZE) return a.splitTop(nb);
    if (bins.haveFastChunks) {
      mallocConsolidate(a);
      continue;
    }
    return a.sysmalloc(nb);
  }
}

/** A binned chunk taken whole: the next chunk's PREV_INUSE set. */
function setInuseAfter(a: Arena, r: number): void {
  a.w(a.c.addrOf(r) + a.c.sizeOf(r) + SIZE_SZ, SIZE_SZ);
}

/** Move a chunk from the unsorted scan into its small bin (front) or large bin (size order). */
function fileIntoBin(a: Arena, r: number): void {
  const c = a.c;
  const size = c.sizeOf(r);
  if (inSmallbinRange(size)) {
    c.setState(r, ChunkState.small);
    a.bins.pushFront(smallbinIndex(size), r);
    a.w(c.addrOf(r) + 2 * SIZE_SZ, 16);
  } else {
    c.setState(r, ChunkState.large);
    a.bins.insertLarge(largebinIndex(size), r);
    a.w(c.addrOf(r) + 2 * SIZE_SZ, 32);
  }
}

/** Take a chunk found by best fit or the binmap; a remainder ≥ MINSIZE goes to the front of unsorted. */
function splitBinned(a: Arena, r: number, nb: number, advertise: boolean): number {
  const c = a.c;
  const size = c.sizeOf(r);
  const addr = c.addrOf(r);
  a.unbin(r);
  if (size - nb < MINSIZE) {
    a.w(addr + size + SIZE_SZ, SIZE_SZ);
    return r;
  }
  a.splitToUnsorted(r, addr, size, nb);
  if (advertise) a.lastRemainder = addr + nb;
  return r;
}

/**
 * malloc_consolidate: empty every fastbin (lowest size first, each from its
 * head), merging each chunk with free neighbours or into top, results to the front of unsorted.
 */
export function mallocConsolidate(a: Arena): void {
  const bins = a.bins;
  bins.haveFastChunks = false;
  for (let idx = 0; idx < NFASTBINS; idx++) {
    let p = bins.fastTop[idx]!;
    bins.fastTop[idx] = NIL;
    let next = p === NIL ? NIL : a.c.fdOf(p);
    while (p !== NIL) {
      // Read the link of the chunk after next before merging p: the load of
      // its record then overlaps p's coalescing instead of following it.
      // (Coalescing touches only binned chunks, never a fastbin's links.)
      const after = next === NIL ? NIL : a.c.fdOf(next);
      a.c.setFd(p, NIL);
      a.c.setState(p, ChunkState.inUse);
      coalesce(a, p);
      p = next;
      next = after;
    }
  }
}

/**
 * The merging half of _int_free, shared with malloc_consolidate: join a chunk
 * with a free chunk before and after it, then put it in unsorted or into top.
 * Returns the size of the merged chunk, or the new top size when it joined top.
 */
export function coalesce(a: Arena, r: number): number {
  const c = a.c;
  let addr = c.addrOf(r);
  let size = c.sizeOf(r);
  const nextAddr = addr + size;
  // Read both neighbours' states before acting on either, so the two record
  // reads (the chunk before, through the footer; the one after) overlap.
  const prev = c.prevOf(r);
  const next = c.nextOf(r);
  const prevState = prev === NIL ? ChunkState.none : c.stateOf(prev);
  const nextState = next === NIL ? ChunkState.none : c.stateOf(next);
  if (isBinned(prevState)) {
    a.unbin(prev);
    a.dropChunk(r);
    r = prev;
    addr = c.addrOf(prev);
    size += c.sizeOf(prev);
  }
  if (nextAddr !== a.topAddr) {
    // Merging with the chunk before left the chunk after in place. Its record
    // is read only if it is free (the links' agreement with the addresses is
    // the heap check's job, not every free's).
    if (next === NIL) throw new Error(`glibc model: no chunk at 0x${nextAddr.toString(16)} after 0x${addr.toString(16)}`);
    let afterFooter = 0;
    if (isBinned(nextState)) {
      a.unbin(next);
      size += c.sizeOf(next);
      a.dropChunk(next);
    } else {
      afterFooter = SIZE_SZ; // clear the next chunk's PREV_INUSE, just after the footer
    }
    c.setSize(r, size);
    a.toUnsorted(r, afterFooter);
    return size;
  }
  a.dropChunk(r);
  a.topAddr = addr;
  a.topSize += size;
  a.w(addr + SIZE_SZ, SIZE_SZ);
  return a.topSize;
}

// realloc (__libc_realloc with _int_realloc, malloc.c@glibc-2.35 :3399, :4816)
// and memalign (_int_memalign, :4940): the paths that split chunks and hand
// the spare parts straight to _int_free.
import type { Arena } from './arena.ts';
import { ChunkState, NIL, isBinned } from './chunk-store.ts';
import { CHUNK_HDR_SZ, MINSIZE, SIZE_SZ, alignUp, request2size } from './constants.ts';
import { intFree } from './free.ts';
import { intMalloc } from './malloc.ts';

/**
 * _int_realloc of an in-use heap chunk to padded size nb. Returns the record
 * that now holds the data (the same one when resized in place) or NIL when no
 * memory was found, the old chunk staying as it was.
 */
export function intRealloc(a: Arena, r: number, nb: number): number {
  const c = a.c;
  const addr = c.addrOf(r);
  const oldSize = c.sizeOf(r);
  const nextAddr = addr + oldSize;
  let newSize = oldSize;
  if (oldSize < nb) {
    if (nextAddr === a.topAddr && oldSize + a.topSize >= nb + MINSIZE) {
      // Grow into top: top moves up, nothing is copied.
      const total = oldSize + a.topSize;
      c.setSize(r, nb);
      a.w(addr + SIZE_SZ, SIZE_SZ);
      a.topAddr = addr + nb;
      a.topSize = total - nb;
      a.w(a.topAddr + SIZE_SZ, SIZE_SZ);
      return r;
    }
    const next = nextAddr === a.topAddr ? NIL : c.nextOf(r);
    if (next !== NIL && isBinned(c.stateOf(next)) && oldSize + c.sizeOf(next) >= nb) {
      a.unbin(next);
      newSize = oldSize + c.sizeOf(next);
      a.dropChunk(next);
    } else {
      const v = intMalloc(a, nb);
      if (v === NIL) return NIL;
      if (c.stateOf(v) !== ChunkState.mmapped && c.addrOf(v) === nextAddr) {
        // malloc handed back the very next chunk: just join it, no copy.
        newSize = oldSize + c.sizeOf(v);
        a.dropChunk(v);
      } else {
        copyInto(a, v, oldSize - CHUNK_HDR_SZ + SIZE_SZ);
        intFree(a, r);
        return v;
      }
    }
  }
  splitTail(a, r, newSize, nb);
  return r;
}

/** memcpy of `len` bytes into the new chunk's user area (the source is only read). */
function copyInto(a: Arena, v: number, len: number): void {
  const c = a.c;
  const user = c.addrOf(v) + CHUNK_HDR_SZ;
  const room = c.stateOf(v) === ChunkState.mmapped ? c.sizeOf(v) - CHUNK_HDR_SZ : c.sizeOf(v) - CHUNK_HDR_SZ + SIZE_SZ;
  a.w(user, Math.min(len, room));
}

/** Keep nb of a chunk that spans newSize bytes; a tail of at least MINSIZE is split off and freed. */
function splitTail(a: Arena, r: number, newSize: number, nb: number): void {
  const c = a.c;
  const addr = c.addrOf(r);
  const rest = newSize - nb;
  if (rest < MINSIZE) {
    c.setSize(r, newSize);
    a.w(addr + SIZE_SZ, SIZE_SZ);
    a.w(addr + newSize + SIZE_SZ, SIZE_SZ);
    return;
  }
  c.setSize(r, nb);
  a.w(addr + SIZE_SZ, SIZE_SZ);
  const tail = a.newChunk(addr + nb, rest, ChunkState.inUse, r);
  a.w(addr + nb + SIZE_SZ, SIZE_SZ);
  a.w(addr + newSize + SIZE_SZ, SIZE_SZ); // mark the tail in use so free() accepts it
  intFree(a, tail);
}

/**
 * mremap_chunk: resize an mmapped chunk's mapping to ALIGN_UP(nb + offset + SIZE_SZ, page).
 * Returns false when the kernel found no room (the chunk is unchanged).
 */
export function remapChunk(a: Arena, r: number, nb: number): boolean {
  const c = a.c;
  const offset = c.offsetOf(r);
  const total = offset + c.sizeOf(r);
  const newLen = alignUp(nb + offset + SIZE_SZ, a.page);
  if (newLen === total) return true;
  const base = c.addrOf(r) - offset;
  const moved = a.space.mremap(base, total, newLen);
  if (moved === 0) return false;
  c.unplaceMmapped(r);
  c.setAddr(r, moved + offset);
  c.setSize(r, newLen - offset);
  c.placeMmapped(r);
  a.w(moved + offset + SIZE_SZ, SIZE_SZ);
  return true;
}

/** _int_memalign: over-allocate nb + alignment + MINSIZE, then free the leading and trailing spare parts. */
export function intMemalign(a: Arena, alignment: number, bytes: number): number {
  const c = a.c;
  const nb = request2size(bytes);
  let p = intMalloc(a, request2size(nb + alignment + MINSIZE));
  if (p === NIL) return NIL;
  const mem = c.addrOf(p) + CHUNK_HDR_SZ;
  if (mem % alignment !== 0) {
    const pAddr = c.addrOf(p);
    let chunk = alignUp(mem, alignment) - CHUNK_HDR_SZ;
    if (chunk - pAddr < MINSIZE) chunk += alignment;
    const lead = chunk - pAddr;
    const newSize = c.sizeOf(p) - lead;
    if (c.stateOf(p) === ChunkState.mmapped) {
      // Within a mapping only the recorded offset moves.
      c.unplaceMmapped(p);
      c.setAddr(p, chunk);
      c.setOffset(p, c.offsetOf(p) + lead);
      c.setSize(p, newSize);
      c.placeMmapped(p);
      a.w(chunk, CHUNK_HDR_SZ);
      return p;
    }
    const q = a.newChunk(chunk, newSize, ChunkState.inUse, p);
    a.w(chunk + SIZE_SZ, SIZE_SZ);
    a.w(chunk + newSize + SIZE_SZ, SIZE_SZ);
    c.setSize(p, lead);
    a.w(pAddr + SIZE_SZ, SIZE_SZ);
    intFree(a, p);
    p = q;
  }
  if (c.stateOf(p) !== ChunkState.mmapped) {
    const size = c.sizeOf(p);
    if (size > nb + MINSIZE) {
      const addr = c.addrOf(p);
      c.setSize(p, nb);
      a.w(addr + SIZE_SZ, SIZE_SZ);
      const tail = a.newChunk(addr + nb, size - nb, ChunkState.inUse, p);
      a.w(addr + nb + SIZE_SZ, SIZE_SZ);
      intFree(a, tail);
    }
  }
  return p;
}

// Walking the heap chunk by chunk, as glibc's own heap checks do: from the
// start of each segment, chunk sizes must lead exactly to the segment end
// (the top chunk, or the fenceposts of a segment that was left). Used by
// retention (which memory holds what) and by the consistency checks in tests.
import type { Arena } from './arena.ts';
import { ChunkState, NIL, isBinned } from './chunk-store.ts';
import { MIN_LARGE_SIZE, NBINS, TCACHE_MAX_BINS, binIndex, inSmallbinRange } from './constants.ts';

/** Region kinds a walk reports: the ChunkState values plus the top chunk. */
export const TOP_REGION = 100;

/** One contiguous piece of arena memory, in address order. */
export interface HeapSegmentView {
  start: number;
  end: number;
  /** Whether the top chunk lies in this segment (it then ends the segment). */
  holdsTop: boolean;
}

export function heapSegments(a: Arena): HeapSegmentView[] {
  const out: HeapSegmentView[] = [];
  const topEnd = a.topAddr + a.topSize;
  if (a.brkBase >= 0 && a.space.brk > a.brkBase) {
    out.push({ start: a.brkBase, end: a.space.brk, holdsTop: a.topSize > 0 && topEnd === a.space.brk });
  }
  for (const s of a.mmapSegments) out.push({ start: s.start, end: s.end, holdsTop: a.topSize > 0 && topEnd === s.end && a.topAddr >= s.start });
  return out;
}

/**
 * Call `fn(addr, size, kind, record)` for every chunk of a segment in address
 * order; kind is a ChunkState or TOP_REGION (record NIL). Throws when the chunks
 * do not tile the segment.
 */
export function walkSegment(a: Arena, seg: HeapSegmentView, fn: (addr: number, size: number, kind: number, r: number) => void): void {
  const c = a.c;
  let cursor = seg.start;
  let r = NIL;
  while (cursor < seg.end) {
    if (seg.holdsTop && cursor === a.topAddr) {
      fn(cursor, a.topSize, TOP_REGION, NIL);
      cursor += a.topSize;
      continue;
    }
    // Follow the address-order link when it agrees with the sizes; otherwise
    // look the address up (the links may be broken: then scan every record)
    // and let the heap check report the broken link.
    const linked = r === NIL ? NIL : c.nextOf(r);
    r = linked !== NIL && c.addrOf(linked) === cursor ? linked : c.at(cursor);
    if (r === NIL) r = c.scanFor(cursor);
    if (r === NIL) throw new Error(`glibc heap walk: no chunk at 0x${cursor.toString(16)} (segment 0x${seg.start.toString(16)}–0x${seg.end.toString(16)})`);
    const size = a.c.sizeOf(r);
    if (size <= 0) throw new Error(`glibc heap walk: chunk at 0x${cursor.toString(16)} has size ${size}`);
    fn(cursor, size, a.c.stateOf(r), r);
    cursor += size;
  }
  if (cursor !== seg.end) throw new Error(`glibc heap walk: chunks run past the segment end 0x${seg.end.toString(16)} to 0x${cursor.toString(16)}`);
}

/**
 * Every invariant glibc relies on, as a list of violations (empty when the heap
 * is sound): chunks tile each segment, free chunks have footers and sit in the
 * right bin, no two binned chunks touch, no binned chunk touches top, large bins
 * are sorted, tcache bins are within their limit, and every record is reachable.
 */
export function checkHeap(a: Arena): string[] {
  const problems: string[] = [];
  const c = a.c;
  let walked = 0;
  const seen = new Set<number>();
  for (const seg of heapSegments(a)) {
    let prevKind = -1;
    let prevRecord = NIL;
    try {
      walkSegment(a, seg, (addr, size, kind, r) => {
        if (kind !== TOP_REGION) {
          walked++;
          seen.add(r);
          if (size % 16 !== 0) problems.push(`chunk at 0x${addr.toString(16)} has size ${size}, not a multiple of 16`);
          if (kind !== ChunkState.fence && size < 32) problems.push(`chunk at 0x${addr.toString(16)} is smaller than MINSIZE`);
          // The address-order links must agree with the walk (they stand in for glibc's chunk arithmetic).
          if (c.at(addr) !== r) problems.push(`chunk at 0x${addr.toString(16)} is not indexed by its address`);
          if (c.prevOf(r) !== prevRecord) problems.push(`chunk at 0x${addr.toString(16)} is linked after the wrong chunk`);
          if (prevRecord !== NIL && c.nextOf(prevRecord) !== r) problems.push(`chunk before 0x${addr.toString(16)} is not linked to it`);
          prevRecord = r;
        } else if (a.topPrev !== prevRecord || (prevRecord !== NIL && c.nextOf(prevRecord) !== NIL)) {
          problems.push(`the chunk below top at 0x${addr.toString(16)} is not the arena's topPrev`);
        }
        if (isBinned(kind)) {
          if (c.nextOf(r) !== NIL && c.freeBefore(c.nextOf(r)) !== r) problems.push(`free chunk at 0x${addr.toString(16)} is not seen as free by the chunk above it`);
          if (isBinned(prevKind)) problems.push(`free chunks touch at 0x${addr.toString(16)} (should have coalesced)`);
          const wantState = inSmallbinRange(size) ? ChunkState.small : ChunkState.large;
          if (kind !== ChunkState.unsorted && kind !== wantState) problems.push(`chunk of ${size} at 0x${addr.toString(16)} is in the wrong kind of bin`);
        }
        if (kind === TOP_REGION && isBinned(prevKind)) problems.push(`free chunk below top at 0x${addr.toString(16)} (should have merged into top)`);
        prevKind = kind;
      });
      if (!seg.holdsTop && prevRecord !== NIL && c.nextOf(prevRecord) !== NIL) problems.push(`the last chunk of segment 0x${seg.start.toString(16)} links past its end`);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (walked !== c.heapChunkCount) problems.push(`walk found ${walked} chunks but ${c.heapChunkCount} are indexed`);
  // Bins: membership and order.
  for (let bin = 1; bin < NBINS; bin++) {
    let prevSize = Infinity;
    let n = 0;
    for (let r = a.bins.first[bin]!; r !== NIL; r = c.fdOf(r)) {
      if (++n > c.heapChunkCount + 1) {
        problems.push(`bin ${bin} has a cycle`);
        break;
      }
      if (!seen.has(r)) problems.push(`bin ${bin} holds a chunk the walk never reached`);
      const size = c.sizeOf(r);
      if (bin > 1 && binIndex(size) !== bin) problems.push(`chunk of ${size} in bin ${bin}`);
      if (c.binOf(r) !== bin) problems.push(`chunk of ${size} in bin ${bin} is filed as in bin ${c.binOf(r)}`);
      if (bin >= MIN_LARGE_SIZE / 16) {
        if (size > prevSize) problems.push(`large bin ${bin} not sorted: ${size} after ${prevSize}`);
        // The first chunk of each size leads its group in the size ring, and only it.
        const leads = c.fdNextOf(r) !== NIL;
        if (leads !== (size !== prevSize)) problems.push(`chunk of ${size} in large bin ${bin} ${leads ? 'leads' : 'does not lead'} the size ring wrongly`);
        if (leads && c.leaderSizeOf(r) !== size) problems.push(`size-ring leader of ${size} in large bin ${bin} is filed as ${c.leaderSizeOf(r)}`);
      }
      prevSize = size;
    }
  }
  for (let t = 0; t < TCACHE_MAX_BINS; t++) {
    let n = 0;
    for (let r = a.bins.tcacheTop[t]!; r !== NIL; r = c.fdOf(r)) {
      n++;
      if (c.stateOf(r) !== ChunkState.tcache) problems.push(`tcache bin ${t} holds a chunk in state ${c.stateOf(r)}`);
    }
    if (n !== a.bins.tcacheCount[t]) problems.push(`tcache bin ${t} counts ${a.bins.tcacheCount[t]} but holds ${n}`);
    if (n > a.cfg.tcacheCount) problems.push(`tcache bin ${t} holds ${n} > tcache_count`);
  }
  return problems;
}

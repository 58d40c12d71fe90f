// Why resident heap memory holds no live data, by what holds it there. Each
// resident page is counted once: a page that overlaps a live chunk is live;
// any other page belongs to the chunk its first byte lies in. So the findings
// plus the live pages add up to the arena's RSS.
import type { RetentionFinding, RetentionKind } from '../types.ts';
import { formatBytes } from '../units.ts';
import type { Arena } from './arena.ts';
import { ChunkState, isBinned } from './chunk-store.ts';
import { CHUNK_HDR_SZ, SIZE_SZ, alignUp } from './constants.ts';
import { TOP_REGION, heapSegments, walkSegment } from './heap-walk.ts';

/** Resident bytes of the arena split by what they hold. */
export interface HeapAccount {
  /** Resident bytes on pages that overlap a live chunk (or the used part of an mmapped chunk). */
  liveBytes: number;
  /** Free chunks below the highest live chunk, which that chunk keeps from joining top. */
  trimBlocked: number;
  /** Free chunks above the highest live chunk, kept from top only by tcache or fastbin chunks. */
  trimBlockedByCached: number;
  /** User address of the live chunk that blocks the trim, when there is one. */
  blockAddr: number;
  blockUsable: number;
  topPad: number;
  freeChunks: number;
  tcache: number;
  fastbins: number;
  metadata: number;
  mmapSlack: number;
}

interface Blockers {
  /** Index of the highest live chunk, or −1. */
  live: number;
  byLive: Set<number>;
  byCached: Set<number>;
}

interface Region {
  addr: number;
  size: number;
  kind: number;
  r: number;
}

function isLive(kind: number): boolean {
  return kind === ChunkState.inUse;
}

export function accountHeap(a: Arena): HeapAccount {
  const acc: HeapAccount = {
    liveBytes: 0,
    trimBlocked: 0,
    trimBlockedByCached: 0,
    blockAddr: -1,
    blockUsable: 0,
    topPad: 0,
    freeChunks: 0,
    tcache: 0,
    fastbins: 0,
    metadata: 0,
    mmapSlack: 0,
  };
  const page = a.page;
  const space = a.space;
  for (const seg of heapSegments(a)) {
    const regions: Region[] = [];
    walkSegment(a, seg, (addr, size, kind, r) => regions.push({ addr, size, kind, r }));
    const blockers = seg.holdsTop ? trimBlockers(regions) : null;
    if (blockers !== null && blockers.byLive.size > 0) {
      const l = regions[blockers.live]!;
      acc.blockAddr = l.addr + CHUNK_HDR_SZ;
      acc.blockUsable = l.size - SIZE_SZ;
    }
    for (let i = 0; i < regions.length; i++) {
      const g = regions[i]!;
      // The pages whose first byte lies in this chunk.
      const p0 = alignUp(g.addr, page);
      let p1 = alignUp(g.addr + g.size, page);
      if (p1 <= p0) continue;
      if (isLive(g.kind)) {
        acc.liveBytes += space.residentPagesIn(p0, p1 - p0) * page;
        continue;
      }
      if (p1 > g.addr + g.size && liveBefore(regions, i + 1, p1)) {
        // The last page runs into a live chunk, so it holds live data.
        acc.liveBytes += space.residentPagesIn(p1 - page, page) * page;
        p1 -= page;
      }
      if (p1 <= p0) continue;
      const bytes = space.residentPagesIn(p0, p1 - p0) * page;
      if (bytes > 0) addTo(acc, g, bytes, blockers === null ? 0 : blockers.byLive.has(i) ? 1 : blockers.byCached.has(i) ? 2 : 0);
    }
  }
  for (const r of a.c.mmappedRecords()) {
    const c = a.c;
    const base = c.addrOf(r) - c.offsetOf(r);
    const end = c.addrOf(r) + c.sizeOf(r);
    const usedEnd = alignUp(c.addrOf(r) + CHUNK_HDR_SZ + c.reqOf(r), page);
    const used = space.residentPagesIn(base, usedEnd - base) * page;
    acc.liveBytes += used;
    if (end > usedEnd) acc.mmapSlack += space.residentPagesIn(usedEnd, end - usedEnd) * page;
  }
  return acc;
}

/** Whether a live chunk starts at or after region `from` and below `limit`. */
function liveBefore(regions: Region[], from: number, limit: number): boolean {
  for (let j = from; j < regions.length && regions[j]!.addr < limit; j++) {
    if (isLive(regions[j]!.kind)) return true;
  }
  return false;
}

/** `blocked`: 0 = not trim-blocked, 1 = by the highest live chunk, 2 = by cached chunks at the top. */
function addTo(acc: HeapAccount, g: Region, bytes: number, blocked: number): void {
  switch (g.kind) {
    case ChunkState.inUse:
      acc.liveBytes += bytes;
      return;
    case TOP_REGION:
      acc.topPad += bytes;
      return;
    case ChunkState.tcache:
      acc.tcache += bytes;
      return;
    case ChunkState.fast:
      acc.fastbins += bytes;
      return;
    case ChunkState.meta:
    case ChunkState.fence:
      acc.metadata += bytes;
      return;
    default:
      if (blocked === 1) acc.trimBlocked += bytes;
      else if (blocked === 2) acc.trimBlockedByCached += bytes;
      else acc.freeChunks += bytes;
  }
}

/**
 * What keeps free chunks from joining top. Walking down from top over cached
 * chunks (tcache, fastbins: in use to glibc) to the highest live chunk, the
 * free chunks passed on the way are held by those cached chunks alone; the
 * free chunks of the run just below the live chunk (down to the next live or
 * bookkeeping chunk) would join top if that chunk were freed.
 */
function trimBlockers(regions: Region[]): Blockers {
  const out: Blockers = { live: -1, byLive: new Set(), byCached: new Set() };
  let i = regions.length - 1;
  if (i < 0 || regions[i]!.kind !== TOP_REGION) return out;
  for (i--; i >= 0; i--) {
    const k = regions[i]!.kind;
    if (isLive(k)) break;
    if (k === ChunkState.meta || k === ChunkState.fence) return out;
    if (isBinned(k)) out.byCached.add(i);
  }
  if (i < 0) return out;
  out.live = i;
  for (let j = i - 1; j >= 0; j--) {
    const k = regions[j]!.kind;
    if (isLive(k) || k === ChunkState.meta || k === ChunkState.fence) break;
    if (isBinned(k)) out.byLive.add(j);
  }
  return out;
}

/** The account as report findings, one plain sentence each; kinds with no resident bytes are left out. */
export function retentionFindings(a: Arena): RetentionFinding[] {
  const acc = accountHeap(a);
  const out: RetentionFinding[] = [];
  const add = (kind: RetentionKind, bytes: number, text: string, blockAddr?: number): void => {
    if (bytes <= 0) return;
    const f: RetentionFinding = { kind, bytes, text };
    if (blockAddr !== undefined) f.blockAddr = blockAddr;
    out.push(f);
  };
  const b = formatBytes;
  add(
    'trim-blocked',
    acc.trimBlocked,
    `${b(acc.trimBlocked)} of free heap memory sits below a live ${b(acc.blockUsable)} chunk, the highest in the heap, so it cannot join the top chunk and free() cannot give it back (brk only shrinks from the top).`,
    acc.blockAddr,
  );
  add(
    'trim-blocked',
    acc.trimBlockedByCached,
    `${b(acc.trimBlockedByCached)} of free heap memory sits below chunks parked in the tcache or fastbins at the top of the heap; glibc counts those as in use, so it cannot join the top chunk and be trimmed.`,
  );
  add(
    'top-pad',
    acc.topPad,
    `${b(acc.topPad)} stays resident in the top chunk: glibc trims only when top reaches trim_threshold (${b(a.trimThreshold)}) and then keeps top_pad (${b(a.cfg.topPad)}).`,
  );
  add('free-chunks', acc.freeChunks, `${b(acc.freeChunks)} sits in free chunks between live ones in glibc's bins, resident until reused: plain free() never releases it, only malloc_trim would release its whole pages.`);
  add('tcache', acc.tcache, `${b(acc.tcache)} is parked in tcache chunks, which glibc still counts as in use until their sizes are allocated again.`);
  add('fastbins', acc.fastbins, `${b(acc.fastbins)} is held by fastbin chunks, which are not coalesced until a large request or a large free consolidates them.`);
  add('metadata', acc.metadata, `${b(acc.metadata)} is allocator bookkeeping: the tcache_perthread_struct chunk and heap fenceposts.`);
  add('mmap-slack', acc.mmapSlack, `${b(acc.mmapSlack)} of mmapped chunks is resident beyond the requested bytes (page rounding and alignment).`);
  return out;
}

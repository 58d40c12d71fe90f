// Why resident heap memory holds no live data, by what holds it there. Each
// resident page is counted once: a page that overlaps a live chunk is live;
// any other page belongs to the chunk its first byte lies in. So the findings
// plus the live pages add up to the arena's RSS.
import type { AddressSpace } from '../address-space.ts';
import type { RetentionFinding, RetentionKind } from '../types.ts';
import { formatBytes } from '../units.ts';
import type { Arena } from './arena.ts';
import { ChunkState, NIL, isBinned } from './chunk-store.ts';
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

/** What resident pages are counted as; an index into the sums accountHeap keeps. */
const LIVE = 0;
const TOP_PAD = 1;
const TCACHE = 2;
const FASTBINS = 3;
const METADATA = 4;
const TRIM_BLOCKED = 5;
const TRIM_BLOCKED_BY_CACHED = 6;
const FREE_CHUNKS = 7;

/**
 * The free chunks kept from top, as address ranges of the segment holding
 * top: binned chunks at or above `cachedFrom` are held there only by cached
 * chunks; binned chunks in [liveFrom, liveAddr) would join top if the live
 * chunk at liveAddr were freed.
 */
interface TrimBlock {
  cachedFrom: number;
  /** The highest live chunk, or −1 when a bookkeeping chunk or the segment start comes first. */
  liveAddr: number;
  liveSize: number;
  liveFrom: number;
  /** Whether any binned chunk lies in [liveFrom, liveAddr). */
  blocksAny: boolean;
}

/** Chunks that end a run of free and cached chunks: live ones and bookkeeping. */
function isStop(kind: number): boolean {
  return kind === ChunkState.inUse || kind === ChunkState.meta || kind === ChunkState.fence;
}

/**
 * What keeps free chunks from joining top. Walking down from top over cached
 * chunks (tcache, fastbins: in use to glibc) to the highest live chunk, the
 * free chunks passed on the way are held by those cached chunks alone; the
 * free chunks of the run just below the live chunk (down to the next live or
 * bookkeeping chunk) would join top if that chunk were freed.
 */
function trimBlock(a: Arena, segStart: number): TrimBlock {
  const c = a.c;
  const out: TrimBlock = { cachedFrom: segStart, liveAddr: -1, liveSize: 0, liveFrom: segStart, blocksAny: false };
  let r = a.topPrev;
  while (r !== NIL && !isStop(c.stateOf(r))) r = c.prevOf(r);
  if (r === NIL) return out;
  out.cachedFrom = c.addrOf(r) + c.sizeOf(r);
  if (c.stateOf(r) !== ChunkState.inUse) return out;
  out.liveAddr = c.addrOf(r);
  out.liveSize = c.sizeOf(r);
  for (r = c.prevOf(r); r !== NIL && !isStop(c.stateOf(r)); r = c.prevOf(r)) {
    if (isBinned(c.stateOf(r))) out.blocksAny = true;
  }
  if (r !== NIL) out.liveFrom = c.addrOf(r) + c.sizeOf(r);
  return out;
}

/** Where the resident pages of a chunk of this kind go (`block`: the trim block of a segment holding top, else null). */
function categoryOf(kind: number, addr: number, block: TrimBlock | null): number {
  switch (kind) {
    case ChunkState.inUse:
      return LIVE;
    case TOP_REGION:
      return TOP_PAD;
    case ChunkState.tcache:
      return TCACHE;
    case ChunkState.fast:
      return FASTBINS;
    case ChunkState.meta:
    case ChunkState.fence:
      return METADATA;
    default:
      if (block !== null) {
        if (addr >= block.cachedFrom) return TRIM_BLOCKED_BY_CACHED;
        if (block.liveAddr >= 0 && addr >= block.liveFrom && addr < block.liveAddr) return TRIM_BLOCKED;
      }
      return FREE_CHUNKS;
  }
}

/**
 * Sums resident bytes by category over page ranges given in address order,
 * asking the address space once per run of adjacent ranges of one category
 * (a million live chunks in a row cost one count, not a million).
 */
class PageRuns {
  readonly sums = new Float64Array(8);
  private cat = -1;
  private from = 0;
  private to = 0;

  constructor(private readonly space: AddressSpace) {}

  add(cat: number, from: number, to: number): void {
    if (cat === this.cat && from === this.to) {
      this.to = to;
      return;
    }
    this.flush();
    this.cat = cat;
    this.from = from;
    this.to = to;
  }

  flush(): void {
    if (this.cat >= 0 && this.to > this.from) this.sums[this.cat]! += this.space.residentPagesIn(this.from, this.to - this.from) * this.space.pageSize;
    this.cat = -1;
  }
}

export function accountHeap(a: Arena): HeapAccount {
  const c = a.c;
  const page = a.page;
  const space = a.space;
  const runs = new PageRuns(space);
  let blockAddr = -1;
  let blockUsable = 0;
  for (const seg of heapSegments(a)) {
    const block = seg.holdsTop ? trimBlock(a, seg.start) : null;
    if (block !== null && block.blocksAny) {
      blockAddr = block.liveAddr + CHUNK_HDR_SZ;
      blockUsable = block.liveSize - SIZE_SZ;
    }
    // The pages whose first byte lies in each chunk; a last page that runs
    // into a live chunk holds live data.
    walkSegment(a, seg, (addr, size, kind, r) => {
      const end = addr + size;
      const p0 = alignUp(addr, page);
      const p1 = alignUp(end, page);
      if (p1 <= p0) return;
      const cat = categoryOf(kind, addr, block);
      if (cat !== LIVE && p1 > end && r !== NIL && liveBefore(a, c.nextOf(r), p1)) {
        runs.add(cat, p0, p1 - page);
        runs.add(LIVE, p1 - page, p1);
      } else {
        runs.add(cat, p0, p1);
      }
    });
    runs.flush();
  }
  const s = runs.sums;
  const acc: HeapAccount = {
    liveBytes: s[LIVE]!,
    trimBlocked: s[TRIM_BLOCKED]!,
    trimBlockedByCached: s[TRIM_BLOCKED_BY_CACHED]!,
    blockAddr,
    blockUsable,
    topPad: s[TOP_PAD]!,
    freeChunks: s[FREE_CHUNKS]!,
    tcache: s[TCACHE]!,
    fastbins: s[FASTBINS]!,
    metadata: s[METADATA]!,
    mmapSlack: 0,
  };
  for (const r of c.mmappedRecords()) {
    const base = c.addrOf(r) - c.offsetOf(r);
    const end = c.addrOf(r) + c.sizeOf(r);
    const usedEnd = alignUp(c.addrOf(r) + CHUNK_HDR_SZ + c.reqOf(r), page);
    const used = space.residentPagesIn(base, usedEnd - base) * page;
    acc.liveBytes += used;
    if (end > usedEnd) acc.mmapSlack += space.residentPagesIn(usedEnd, end - usedEnd) * page;
  }
  return acc;
}

/** Whether a live chunk starts at record r or after it (in address order) and below `limit`. */
function liveBefore(a: Arena, r: number, limit: number): boolean {
  const c = a.c;
  for (; r !== NIL && c.addrOf(r) < limit; r = c.nextOf(r)) {
    if (c.stateOf(r) === ChunkState.inUse) return true;
  }
  return false;
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

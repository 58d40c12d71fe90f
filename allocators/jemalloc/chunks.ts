// jemalloc 3.6's page level (src/arena.c, src/chunk.c @3.6.0), expressed with
// the same extents as jemalloc 5: an arena owns 4 MiB chunk-aligned chunks
// whose first pages hold the page map (map_bias header pages); the rest is
// carved into runs. Free runs coalesce at once with free neighbours of the same
// dirtiness and are reused best fit by (size, address). Purging is by ratio:
// when dirty pages exceed active/2^lg_dirty_mult, dirty runs are DONTNEED'd
// down to that ratio. A wholly free chunk becomes the arena's spare; the
// previous spare goes back to the chunk cache, purged. On Linux munmap is off
// by default in 3.x (configure.ac: default_munmap=0), so chunks are recorded
// for reuse rather than unmapped.
import type { AddressSpace } from '../address-space.ts';
import { ExtentPool, ExtentSet, NONE, ST_ACTIVE, ST_DIRTY, ST_RETAINED } from './extents.ts';
import { alignedMmap, type CachedPages, type PageAllocator } from './page-allocator.ts';
import { PAGE } from './size-classes.ts';

/**
 * Free chunks (chunks_szad_mmap/chunks_ad_mmap): purged, still mapped, reused
 * best fit by (size, address). Shared by every arena and by huge allocations.
 * Chunk records are rare, so a sorted array is enough.
 */
export class ChunkCache {
  /** Free ranges sorted by address. */
  private readonly ranges: { start: number; size: number }[] = [];

  /** `retain` false: chunks are unmapped instead of recorded (--enable-munmap builds). */
  constructor(
    private readonly space: AddressSpace,
    private readonly retain: boolean,
  ) {}

  get bytes(): number {
    let n = 0;
    for (const r of this.ranges) n += r.size;
    return n;
  }

  /** chunk_recycle: the smallest range that fits, lowest address among equals; the rest stays recorded. */
  take(size: number): number {
    let best = -1;
    for (let i = 0; i < this.ranges.length; i++) {
      const r = this.ranges[i]!;
      if (r.size >= size && (best < 0 || r.size < this.ranges[best]!.size)) best = i;
    }
    if (best < 0) return 0;
    const r = this.ranges[best]!;
    const start = r.start;
    if (r.size === size) this.ranges.splice(best, 1);
    else {
      r.start += size;
      r.size -= size;
    }
    return start;
  }

  /** chunk_record: purge the pages (MADV_DONTNEED) and keep the range, merged with its neighbours. */
  record(start: number, size: number): void {
    if (!this.retain) {
      this.space.munmap(start, size);
      return;
    }
    this.space.dontneed(start, size);
    let i = 0;
    while (i < this.ranges.length && this.ranges[i]!.start < start) i++;
    this.ranges.splice(i, 0, { start, size });
    const next = this.ranges[i + 1];
    if (next && start + size === next.start) {
      this.ranges[i]!.size += next.size;
      this.ranges.splice(i + 1, 1);
    }
    const prev = this.ranges[i - 1];
    if (prev && prev.start + prev.size === start) {
      prev.size += this.ranges[i]!.size;
      this.ranges.splice(i, 1);
    }
  }

  /** A chunk-aligned range for a new chunk or a huge allocation: recycled first, else a new mapping. */
  alloc(size: number, alignment: number, chunkBytes: number, tag: string): number {
    // Recorded ranges are only chunk-aligned: a larger alignment needs a fresh mapping.
    return (alignment <= chunkBytes ? this.take(size) : 0) || alignedMmap(this.space, size, Math.max(alignment, chunkBytes), tag);
  }
}

export interface ChunkArenaOptions {
  arenaIndex: number;
  chunkBytes: number;
  /** map_bias: pages at the start of each chunk that hold its header and page map. */
  headerPages: number;
  /** opt_lg_dirty_mult: keep at most active/2^lg dirty pages; −1 never purges. */
  lgDirtyMult: number;
}

export class ChunkArena implements PageAllocator {
  readonly dirty: ExtentSet;
  /** Free runs whose pages were purged (jemalloc 3's clean runs): mapped, not resident. */
  readonly clean: ExtentSet;
  /** Pages in allocated runs (arena->nactive). */
  nactive = 0;
  /** The spare chunk's run (arena->spare), kept out of the free sets and out of the dirty count. */
  private spare = NONE;
  private spareDirty = false;
  private readonly runAreaBytes: number;
  /** 2^lg_dirty_mult: dirty pages may be at most active / this. */
  private readonly dirtyDivisor: number;
  private readonly headerBytes: number;
  /** Chunks this arena owns (the spare included), for the header pages they keep resident. */
  private readonly chunkStarts = new Set<number>();

  constructor(
    private readonly space: AddressSpace,
    private readonly pool: ExtentPool,
    private readonly chunks: ChunkCache,
    private readonly sn: { next: number },
    readonly opts: ChunkArenaOptions,
  ) {
    const chunkPages = opts.chunkBytes / PAGE;
    this.dirty = new ExtentSet(pool, ST_DIRTY, 'pages-addr', chunkPages);
    this.clean = new ExtentSet(pool, ST_RETAINED, 'pages-addr', chunkPages);
    this.headerBytes = opts.headerPages * PAGE;
    this.runAreaBytes = opts.chunkBytes - this.headerBytes;
    this.dirtyDivisor = 2 ** opts.lgDirtyMult;
  }

  /** arena_maxclass: the largest run a chunk can hold. */
  get maxRunBytes(): number {
    return this.runAreaBytes;
  }

  alloc(size: number, alignment: number): number {
    const align = Math.max(alignment, PAGE);
    const need = size + align - PAGE;
    if (need > this.runAreaBytes) return NONE;
    for (;;) {
      const d = this.dirty.bestFit(need);
      const c = this.clean.bestFit(need);
      const pool = this.pool;
      let pick = d;
      if (pick === NONE || (c !== NONE && (pool.size[c]! < pool.size[d]! || (pool.size[c] === pool.size[d] && pool.start[c]! < pool.start[d]!)))) pick = c;
      if (pick !== NONE) {
        const set = pick === d ? this.dirty : this.clean;
        set.remove(pick);
        const e = this.carve(set, pick, size, align);
        this.nactive += size / PAGE;
        return e;
      }
      if (!this.addChunk()) return NONE;
    }
  }

  private carve(set: ExtentSet, e: number, size: number, align: number): number {
    const pool = this.pool;
    const lead = Math.ceil(pool.start[e]! / align) * align - pool.start[e]!;
    if (lead > 0) {
      const rest = pool.split(e, lead);
      set.insert(e);
      e = rest;
    }
    if (pool.size[e]! > size) set.insert(pool.split(e, size));
    pool.state[e] = ST_ACTIVE;
    return e;
  }

  /** arena_chunk_alloc: the spare if there is one, else a recycled or new chunk with its header written. */
  private addChunk(): boolean {
    if (this.spare !== NONE) {
      const run = this.spare;
      this.spare = NONE;
      (this.spareDirty ? this.dirty : this.clean).insert(run);
      return true;
    }
    const start = this.chunks.alloc(this.opts.chunkBytes, this.opts.chunkBytes, this.opts.chunkBytes, `jemalloc chunk (arena ${this.opts.arenaIndex})`);
    if (start === 0) return false;
    this.space.touch(start, this.headerBytes);
    this.chunkStarts.add(start);
    this.clean.insert(this.pool.create(start + this.headerBytes, this.runAreaBytes, this.sn.next++, ST_ACTIVE, true, this.opts.arenaIndex));
    return true;
  }

  dalloc(e: number): void {
    this.nactive -= this.pool.size[e]! / PAGE;
    this.release(this.dirty, e, true);
    this.maybePurge();
  }

  /** arena_run_dalloc: coalesce, then a run that covers the whole chunk frees the chunk. */
  private release(set: ExtentSet, e: number, dirty: boolean): void {
    e = this.coalesce(set, e);
    if (this.pool.size[e] === this.runAreaBytes) this.chunkDealloc(e, dirty);
    else set.insert(e);
  }

  private coalesce(set: ExtentSet, e: number): number {
    const pool = this.pool;
    const below = pool.byEnd.get(pool.start[e]!);
    if (below !== NONE && pool.state[below] === set.state && pool.head[e] === 0) {
      set.remove(below);
      pool.merge(below, e);
      e = below;
    }
    const above = pool.byStart.get(pool.end(e));
    if (above !== NONE && pool.state[above] === set.state && pool.head[above] === 0) {
      set.remove(above);
      pool.merge(e, above);
    }
    return e;
  }

  /** arena_chunk_dealloc: this chunk becomes the spare; the old spare is purged and recorded. */
  private chunkDealloc(run: number, dirty: boolean): void {
    if (this.spare !== NONE) {
      const old = this.spare;
      const chunk = this.pool.start[old]! - this.headerBytes;
      this.chunkStarts.delete(chunk);
      this.chunks.record(chunk, this.opts.chunkBytes);
      this.pool.release(old);
    }
    this.spare = run;
    this.spareDirty = dirty;
  }

  /** arena_maybe_purge: purge dirty runs, oldest first, until dirty ≤ active >> lg_dirty_mult. */
  private maybePurge(): void {
    if (this.opts.lgDirtyMult < 0) return;
    const threshold = Math.floor(this.nactive / this.dirtyDivisor);
    while (this.dirty.npages > threshold && this.dirty.lruHead !== NONE) {
      const e = this.dirty.lruHead;
      this.dirty.remove(e);
      this.space.dontneed(this.pool.start[e]!, this.pool.size[e]!);
      this.release(this.clean, e, false);
    }
  }

  expand(): boolean {
    return false;
  }

  shrink(e: number, newSize: number): void {
    const tail = this.pool.split(e, newSize);
    this.pool.state[tail] = ST_ACTIVE;
    this.dalloc(tail);
  }

  decayTick(): void {}

  /** Resident bytes of the chunk headers (the page maps). */
  headerResidentBytes(): number {
    let pages = 0;
    for (const c of this.chunkStarts) pages += this.space.residentPagesIn(c, this.headerBytes);
    return pages * PAGE;
  }

  cachedPages(): CachedPages {
    let pages = 0;
    for (const e of this.dirty.members()) pages += this.space.residentPagesIn(this.pool.start[e]!, this.pool.size[e]!);
    const spareBytes = this.spare === NONE ? 0 : this.space.residentPagesIn(this.pool.start[this.spare]!, this.runAreaBytes) * PAGE;
    return { dirtyBytes: pages * PAGE, dirtyExtents: this.dirty.count, muzzyBytes: 0, muzzyExtents: 0, spareBytes };
  }

  purgeOutlook(): { text: string } {
    const lg = this.opts.lgDirtyMult;
    if (lg < 0) return { text: 'lg_dirty_mult is -1, so they are never purged' };
    return {
      text: `jemalloc 3 purges only the excess over active/${2 ** lg} (lg_dirty_mult ${lg}) at the moment of a free; these stay until frees push the dirty total past that ratio or the pages are reused`,
    };
  }
}

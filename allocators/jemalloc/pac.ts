// jemalloc 5's page allocator (src/pac.c, src/extent.c @5.3.0) for one arena:
// dirty, muzzy and retained extent caches, the order extents are taken from
// them, coalescing, exp_grow mappings, and decay purging on the trace clock.
import type { AddressSpace } from '../address-space.ts';
import { Decay } from './decay.ts';
import { ExtentPool, ExtentSet, NONE, ST_ACTIVE, ST_DIRTY, ST_MUZZY, ST_RETAINED } from './extents.ts';
import type { Metadata } from './metadata.ts';
import { alignedMmap, type CachedPages, type PageAllocator } from './page-allocator.ts';
import { PAGE, pszCeilIndex, pszSize } from './size-classes.ts';

/** SC_LARGE_MINCLASS: dirty extents this size or larger coalesce at once (extent_record). */
const LARGE_MINCLASS = 16384;
/** exp_grow starts at HUGEPAGE (2 MiB) and ends at the largest size class. */
const HUGEPAGE = 2 * 1024 * 1024;

export interface PacOptions {
  arenaIndex: number;
  dirtyDecayMs: number;
  muzzyDecayMs: number;
  /** opt_retain: purge to retained (DONTNEED, still mapped) instead of munmap; grow by exp_grow. */
  retain: boolean;
  /** 5.3 extent_record: a coalesced dirty extent ≥ this is purged at once (0 = off). */
  oversizePurgeBytes: number;
  /** opt_lg_extent_max_active_fit: dirty extents more than 2^lg × the request are skipped. */
  lgMaxActiveFit: number;
  /** 5.3: decay_ms 0 purges with fully_decay (straight to DONTNEED, never muzzy). */
  immediatePurgeSkipsMuzzy: boolean;
  /** Trace time when the arena was created: the first decay epoch starts here. */
  nowNs: number;
}

export class Pac implements PageAllocator {
  readonly dirty: ExtentSet;
  readonly muzzy: ExtentSet;
  readonly retained: ExtentSet;
  readonly decayDirty: Decay;
  readonly decayMuzzy: Decay;
  private growNext = pszCeilIndex(HUGEPAGE);
  private readonly growLimit = pszCeilIndex(2 ** 47);

  constructor(
    private readonly space: AddressSpace,
    private readonly pool: ExtentPool,
    private readonly meta: Metadata,
    private readonly sn: { next: number },
    readonly opts: PacOptions,
  ) {
    this.dirty = new ExtentSet(pool, ST_DIRTY, 'psz-sn-addr', 0, PAGE);
    this.muzzy = new ExtentSet(pool, ST_MUZZY, 'psz-sn-addr', 0, PAGE);
    this.retained = new ExtentSet(pool, ST_RETAINED, 'psz-sn-addr', 0, PAGE);
    const seed = 0x9e3779b9 + opts.arenaIndex * 2;
    this.decayDirty = new Decay(opts.dirtyDecayMs, opts.nowNs, seed);
    this.decayMuzzy = new Decay(opts.muzzyDecayMs, opts.nowNs, seed + 1);
  }

  // ---- allocation ---------------------------------------------------------

  alloc(size: number, alignment: number): number {
    let e = this.recycle(this.dirty, size, alignment, this.opts.lgMaxActiveFit);
    if (e === NONE && (this.opts.muzzyDecayMs !== 0 || this.muzzy.count > 0)) e = this.recycle(this.muzzy, size, alignment, 64);
    if (e === NONE) e = this.recycle(this.retained, size, alignment, 64);
    if (e === NONE && this.opts.retain) e = this.growRetained(size, alignment);
    // ecache_alloc_grow: when the exp_grow mapping cannot be had (a full 32-bit space), map just this extent.
    if (e === NONE) e = this.mapNew(size, alignment);
    this.meta.noteExtentStructs(this.pool.highWater);
    return e;
  }

  /** extent_recycle: first fit, then split off the lead (alignment) and the trail, which stay in the cache. */
  private recycle(set: ExtentSet, size: number, alignment: number, lgMaxFit: number): number {
    const align = Math.max(alignment, PAGE);
    let e = set.firstFit(size + align - PAGE, lgMaxFit);
    if (e === NONE) return NONE;
    set.remove(e);
    return this.splitInterior(set, e, size, align, false);
  }

  /** Carve [aligned start, +size) out of `e`; the lead and trail go back to `set` (recorded or not). */
  private splitInterior(set: ExtentSet, e: number, size: number, align: number, record: boolean): number {
    const pool = this.pool;
    // Extents are page-aligned: only a larger alignment can leave a lead.
    const lead = align > PAGE ? Math.ceil(pool.start[e]! / align) * align - pool.start[e]! : 0;
    if (lead > 0) {
      const rest = pool.split(e, lead);
      if (record) this.record(set, e);
      else set.insert(e);
      e = rest;
    }
    if (pool.size[e]! > size) {
      const trail = pool.split(e, size);
      if (record) this.record(set, trail);
      else set.insert(trail);
    }
    pool.state[e] = ST_ACTIVE;
    return e;
  }

  /** extent_grow_retained: map the next size of the exp_grow series that fits, keep the rest retained. */
  private growRetained(size: number, alignment: number): number {
    const align = Math.max(alignment, PAGE);
    const need = size + align - PAGE;
    let skip = 0;
    while (pszSize(this.growNext + skip) < need) {
      skip++;
      if (this.growNext + skip >= this.growLimit) return NONE;
    }
    const bytes = pszSize(this.growNext + skip);
    const start = this.space.mmap(bytes, `jemalloc arena ${this.opts.arenaIndex}`);
    if (start === 0) return NONE;
    this.growNext = Math.min(this.growNext + skip + 1, this.growLimit);
    this.meta.registerPage(start / PAGE);
    this.meta.registerPage((start + bytes) / PAGE - 1);
    const e = this.pool.create(start, bytes, this.sn.next++, ST_ACTIVE, true, this.opts.arenaIndex);
    return this.splitInterior(this.retained, e, size, align, true);
  }

  /**
   * extent_alloc_wrapper: a mapping of exactly this extent. Without retain it
   * may merge with anything; with retain it is a head (no merging across mappings).
   */
  private mapNew(size: number, alignment: number): number {
    const start = alignedMmap(this.space, size, alignment, `jemalloc arena ${this.opts.arenaIndex}`);
    if (start === 0) return NONE;
    this.meta.registerPage(start / PAGE);
    return this.pool.create(start, size, this.sn.next++, ST_ACTIVE, this.opts.retain, this.opts.arenaIndex);
  }

  // ---- deallocation and coalescing ------------------------------------------

  dalloc(e: number): void {
    this.record(this.dirty, e);
    // arena_handle_deferred_work: decay_ms 0 purges everything at once.
    if (this.decayDirty.decayMs === 0) this.purge(this.dirty, 0, this.dirty.npages, this.opts.immediatePurgeSkipsMuzzy);
  }

  /**
   * extent_record: muzzy and retained extents coalesce at once; dirty ones
   * lazily, except that extents ≥ 16 KiB coalesce eagerly, and (5.3) one that
   * grows to the oversize threshold is purged on the spot.
   */
  private record(set: ExtentSet, e: number): void {
    const pool = this.pool;
    if (set !== this.dirty) e = this.coalesce(set, e);
    else if (pool.size[e]! >= LARGE_MINCLASS) {
      e = this.coalesce(set, e);
      if (this.opts.oversizePurgeBytes > 0 && pool.size[e]! >= this.opts.oversizePurgeBytes && this.mayForceDecay()) {
        this.purgeForced(e);
        return;
      }
    }
    set.insert(e);
  }

  private mayForceDecay(): boolean {
    return this.opts.dirtyDecayMs !== -1 && this.opts.muzzyDecayMs !== -1;
  }

  /** Merge `e` with inactive neighbours of the same set until none is left; never across a mapping's head. */
  private coalesce(set: ExtentSet, e: number): number {
    for (let merged = this.coalesceOnce(set, e); merged !== NONE; merged = this.coalesceOnce(set, e)) e = merged;
    return e;
  }

  /**
   * One merge with an inactive neighbour, forward first, then backward, as
   * extent_try_coalesce_impl tries them (with delay_coalesce it stops there).
   * Returns the merged extent (out of the set), or NONE when `e` has no
   * inactive neighbour.
   */
  private coalesceOnce(set: ExtentSet, e: number): number {
    const pool = this.pool;
    const above = pool.byStart.get(pool.end(e));
    if (above !== NONE && pool.state[above] === set.state && pool.arena[above] === pool.arena[e] && pool.head[above] === 0) {
      set.remove(above);
      pool.merge(e, above);
      return e;
    }
    const below = pool.byEnd.get(pool.start[e]!);
    if (below !== NONE && pool.state[below] === set.state && pool.arena[below] === pool.arena[e] && pool.head[e] === 0) {
      set.remove(below);
      pool.merge(below, e);
      return below;
    }
    return NONE;
  }

  /** extent_dalloc_wrapper: with retain the pages are DONTNEED'd and kept mapped; without, unmapped. */
  private purgeForced(e: number): void {
    const pool = this.pool;
    if (this.opts.retain) {
      this.space.dontneed(pool.start[e]!, pool.size[e]!);
      this.record(this.retained, e);
    } else {
      this.space.munmap(pool.start[e]!, pool.size[e]!);
      pool.release(e);
    }
  }

  /**
   * pac_decay_to_limit: take the least recently used extents until at most
   * `limit` pages stay, or `max` pages were taken; dirty ones go to muzzy
   * (MADV_FREE) unless muzzy decay is 0 or `fully`, the rest to retained.
   */
  private purge(set: ExtentSet, limit: number, max: number, fully: boolean): void {
    const pool = this.pool;
    const toMuzzy = set === this.dirty && !fully && this.opts.muzzyDecayMs !== 0;
    let taken = 0;
    while (taken < max && set.npages > limit && set.lruHead !== NONE) {
      const e = set.lruHead;
      set.remove(e);
      // ecache_evict: the dirty cache's delayed coalescing happens here. An LRU
      // extent that merges with a neighbour goes back in as the most recently
      // used, and eviction starts over from the new LRU head; only an extent
      // with no free neighbour left is purged.
      if (set === this.dirty) {
        const merged = this.coalesceOnce(set, e);
        if (merged !== NONE) {
          set.insert(merged);
          continue;
        }
      }
      taken += pool.size[e]! / PAGE;
      if (toMuzzy) this.record(this.muzzy, e);
      else this.purgeForced(e);
    }
  }

  // ---- decay ---------------------------------------------------------------

  decayTick(nowNs: number): void {
    this.decayOne(this.decayDirty, this.dirty, nowNs);
    if (this.opts.muzzyDecayMs !== 0) this.decayOne(this.decayMuzzy, this.muzzy, nowNs);
  }

  /** pac_maybe_decay_purge: purge only when the epoch advances, down to the smootherstep limit. */
  private decayOne(decay: Decay, set: ExtentSet, nowNs: number): void {
    if (decay.decayMs <= 0) {
      if (decay.decayMs === 0) this.purge(set, 0, set.npages, false);
      return;
    }
    const current = set.npages;
    if (decay.maybeAdvance(nowNs, current) && current > decay.npagesLimit) {
      this.purge(set, decay.npagesLimit, current - decay.npagesLimit, false);
    }
  }

  // ---- in-place resize -----------------------------------------------------

  expand(e: number, newSize: number): boolean {
    const pool = this.pool;
    const need = newSize - pool.size[e]!;
    const above = pool.byStart.get(pool.end(e));
    if (above === NONE || pool.arena[above] !== pool.arena[e] || pool.head[above] === 1 || pool.size[above]! < need) return false;
    const set = pool.state[above] === ST_DIRTY ? this.dirty : pool.state[above] === ST_MUZZY ? this.muzzy : this.retained;
    set.remove(above);
    if (pool.size[above]! > need) set.insert(pool.split(above, need));
    pool.merge(e, above);
    this.meta.noteExtentStructs(pool.highWater);
    return true;
  }

  shrink(e: number, newSize: number): void {
    const tail = this.pool.split(e, newSize);
    this.pool.state[tail] = ST_ACTIVE;
    this.dalloc(tail);
  }

  // ---- reporting -----------------------------------------------------------

  cachedPages(): CachedPages {
    return {
      dirtyBytes: this.residentIn(this.dirty),
      dirtyExtents: this.dirty.count,
      muzzyBytes: this.residentIn(this.muzzy),
      muzzyExtents: this.muzzy.count,
      spareBytes: 0,
    };
  }

  private residentIn(set: ExtentSet): number {
    let pages = 0;
    for (const e of set.members()) pages += this.space.residentPagesIn(this.pool.start[e]!, this.pool.size[e]!);
    return pages * PAGE;
  }

  purgeOutlook(nowNs: number): { text: string; purgeAtNs?: number } {
    const ms = this.opts.dirtyDecayMs;
    if (ms === -1) return { text: 'dirty_decay_ms is -1, so they are never purged' };
    if (ms === 0) return { text: 'dirty_decay_ms is 0, so they are purged on the next free' };
    const at = Math.max(nowNs, this.decayDirty.purgeCompleteNs(this.dirty.npages));
    const wait = formatSeconds(at - nowNs);
    return {
      text: `decay (dirty_decay_ms ${ms}) purges them gradually, all of them by about ${formatSeconds(at)} on the trace clock (${wait} from now), but only while the program keeps allocating or freeing: with no allocator activity jemalloc (without a background thread) never purges`,
      purgeAtNs: at,
    };
  }
}

export function formatSeconds(ns: number): string {
  const s = ns / 1e9;
  return s >= 100 ? `${Math.round(s)} s` : `${Number(s.toFixed(s >= 10 ? 1 : 2))} s`;
}

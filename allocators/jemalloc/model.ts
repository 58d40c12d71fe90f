// The jemalloc model: malloc/free/realloc/memalign routed the way jemalloc
// routes them (thread cache → arena bins for small sizes; thread cache →
// extents for large ones; the huge arena from oversize_threshold up), on the
// shared engine, for jemalloc 5 (pac.ts) and jemalloc 3 (chunks.ts).
import type { AddressSpace } from '../address-space.ts';
import type { AllocRequest, AllocatorModel, ModelNote, RetentionFinding } from '../types.ts';
import { Bins } from './bins.ts';
import { ChunkArena, ChunkCache } from './chunks.ts';
import type { JemallocConfig } from './config.ts';
import { DecayTicker, Lcg32 } from './decay.ts';
import { ExtentPool, NONE } from './extents.ts';
import { Metadata } from './metadata.ts';
import { Pac } from './pac.ts';
import type { PageAllocator } from './page-allocator.ts';
import { entryBin, entryId, PageMap } from './page-map.ts';
import { describeModel, findRetention } from './retention.ts';
import { jemalloc5LargeUsize, PAGE, SmallClassTable } from './size-classes.ts';
import { LARGE_SLOTS, ThreadCache } from './tcache.ts';

/** ARENA_DECAY_NTICKS_PER_UPDATE. */
const DECAY_NTICKS = 1000;
const ARENA0 = 0;
const HUGE_ARENA = 1;
/** Arena index of jemalloc 3 huge chunks, which belong to no arena. */
const NO_ARENA = 255;
const CACHELINE = 64;
/** log2(PAGE / CACHELINE): the random offset of an unaligned large block is one of 64 cache lines. */
const LG_CACHELINES_PER_PAGE = 6;
const LARGE_BIN_TABLE_PAGES = 65536;

interface ThreadState {
  tcache: ThreadCache | null;
  ticker: DecayTicker;
}

export class JemallocModel implements AllocatorModel {
  readonly space: AddressSpace;
  readonly config: JemallocConfig;
  readonly pool = new ExtentPool();
  readonly meta: Metadata;
  readonly pageMap: PageMap;
  readonly table: SmallClassTable;
  readonly arena: PageAllocator;
  readonly bins: Bins;
  /** jemalloc 5.2+ huge arena (decay 0), or null. */
  readonly huge: Pac | null;
  /** jemalloc 3: free chunks, shared by the arena and huge allocations. */
  readonly chunkCache: ChunkCache | null;
  readonly threads = new Map<number, ThreadState>();
  nowNs = 0;
  /** Large size classes a thread cache keeps, smallest first; bin = nsmall + index. */
  private readonly largeCached: number[] = [];
  /** Thread-cache bin of each page count up to tcache_max (−1: not a cached class). */
  private readonly largeBinOfPages: Int16Array;
  private readonly serial = { next: 1 };
  private readonly offsetRng = new Lcg32(0x2545f491);
  private readonly tickerRng = new Lcg32(0x6c8e9cf5);
  private readonly batch = new Float64Array(256);
  private readonly batchExtent = new Int32Array(256);
  /** Blocks a tcache flush hands back to the arena (at most ncached_max, ≤ 200), and their extents. */
  private readonly flushed = new Float64Array(256);
  private readonly flushedExtent = new Int32Array(256);
  /** [bin, keep] of the last tcache GC step. */
  private readonly gcPlan = new Int32Array(2);
  /** 5.3: tcache GC every this many bytes allocated (and, apart, freed); 0 = none. */
  private readonly gcBytes: number;
  /** 5.1 and 3.6: tcache GC every this many thread-cache operations; 0 = none. */
  private readonly gcOps: number;
  private lastThread = -1;
  private lastState: ThreadState | null = null;
  /** Region size per small bin. */
  private readonly smallSize: Float64Array;
  /** The largest small size class. */
  private readonly maxSmall: number;
  /**
   * The block the last malloc/memalign/realloc returned and its usable size:
   * the replayer asks malloc_usable_size of each new block at once, and this
   * answers without a page-map lookup. Forgotten on every free and realloc.
   */
  private lastAddr = -1;
  private lastUsable = 0;

  constructor(space: AddressSpace, config: JemallocConfig) {
    this.space = space;
    this.config = config;
    const gen5 = config.generation === 5;
    this.meta = new Metadata(space, gen5 ? 2 * 1024 * 1024 : config.chunkBytes, gen5);
    this.pageMap = new PageMap(this.meta);
    this.table = new SmallClassTable(config.small);
    this.smallSize = Float64Array.from(config.small, (c) => c.size);
    this.maxSmall = this.table.maxSmall;
    const gc = config.tcache ? config.tcacheGc : null;
    this.gcBytes = gc?.unit === 'bytes' ? gc.every : 0;
    this.gcOps = gc?.unit === 'ops' ? gc.every : 0;
    if (gen5) {
      const pacOpts = {
        dirtyDecayMs: config.dirtyDecayMs,
        muzzyDecayMs: config.muzzyDecayMs,
        retain: config.retain,
        oversizePurgeBytes: config.oversizePurge ? config.oversizeThreshold : 0,
        lgMaxActiveFit: 6,
        immediatePurgeSkipsMuzzy: config.immediatePurgeSkipsMuzzy,
        nowNs: 0,
      };
      this.arena = new Pac(space, this.pool, this.meta, this.serial, { ...pacOpts, arenaIndex: ARENA0 });
      // arena_choose_huge: decay forced to 0 when the default is positive.
      this.huge =
        config.oversizeThreshold > 0
          ? new Pac(space, this.pool, this.meta, this.serial, {
              ...pacOpts,
              arenaIndex: HUGE_ARENA,
              dirtyDecayMs: config.dirtyDecayMs > 0 ? 0 : config.dirtyDecayMs,
              muzzyDecayMs: config.muzzyDecayMs > 0 ? 0 : config.muzzyDecayMs,
            })
          : null;
      this.chunkCache = null;
    } else {
      this.chunkCache = new ChunkCache(space, config.retain);
      this.arena = new ChunkArena(space, this.pool, this.chunkCache, this.serial, {
        arenaIndex: ARENA0,
        chunkBytes: config.chunkBytes,
        headerPages: config.headerPages,
        lgDirtyMult: config.lgDirtyMult,
      });
      this.huge = null;
    }
    this.bins = new Bins(this.pool, config.small, this.arena, this.pageMap);
    if (config.tcache) {
      // jemalloc 5: the large classes up to tcache_max; jemalloc 3: page-multiple runs up to it.
      for (let s = gen5 ? 16384 : PAGE; s <= config.tcacheMax; s = gen5 ? jemalloc5LargeUsize(s + 1) : s + PAGE) {
        if (s > this.table.maxSmall) this.largeCached.push(s);
      }
    }
    // The table covers the classes up to 256 MiB (jemalloc caps tcache_max far lower); larger ones are searched.
    const tablePages = Math.min(LARGE_BIN_TABLE_PAGES, this.largeCached.length > 0 ? this.largeCached[this.largeCached.length - 1]! / PAGE + 1 : 0);
    this.largeBinOfPages = new Int16Array(tablePages).fill(-1);
    for (let i = 0; i < this.largeCached.length; i++) {
      const pages = this.largeCached[i]! / PAGE;
      if (pages < tablePages) this.largeBinOfPages[pages] = config.small.length + i;
    }
    // The arena's own structs (arena_t with its extent caches and bins) are
    // written at start-up; sizes are estimates from the 5.3 / 3.6 structs.
    this.meta.alloc(gen5 ? 72 * 1024 : 4 * 1024);
  }

  // ---- per-thread state ------------------------------------------------------

  private thread(id: number): ThreadState {
    if (id === this.lastThread) return this.lastState!;
    let ts = this.threads.get(id);
    if (!ts) {
      let tcache: ThreadCache | null = null;
      if (this.config.tcache) {
        const slots = new Int32Array(this.config.small.length + this.largeCached.length);
        for (let b = 0; b < this.config.small.length; b++) slots[b] = this.config.smallSlots[b]!;
        for (let i = 0; i < this.largeCached.length; i++) slots[this.config.small.length + i] = LARGE_SLOTS;
        tcache = new ThreadCache(slots, this.config.small.length);
        // The cache-bin stacks (8 bytes a slot) are allocator memory written as used; counted at creation.
        let total = 0;
        for (const n of slots) total += n;
        this.meta.alloc(total * 8 + slots.length * 24);
      }
      // One ticker per thread (5.3 keeps it in tsd); 5.1's per-thread-per-arena tickers are merged into it.
      ts = { tcache, ticker: new DecayTicker(DECAY_NTICKS, this.config.geometricTicker, this.tickerRng) };
      this.threads.set(id, ts);
    }
    this.lastThread = id;
    this.lastState = ts;
    return ts;
  }

  /** arena_decay_ticks: count arena-level operations; when the ticker fires, the arena checks its decay epochs. */
  private tick(ts: ThreadState, n: number, arena: number): void {
    if (this.config.generation === 3 || n <= 0) return;
    if (ts.ticker.ticks(n)) this.pageAllocator(arena)?.decayTick(this.nowNs);
  }

  private pageAllocator(arena: number): PageAllocator | null {
    return arena === HUGE_ARENA ? this.huge : arena === ARENA0 ? this.arena : null;
  }

  /** Thread-cache bin of a large usable size (a page multiple), or −1. */
  private largeBin(usize: number): number {
    const pages = usize / PAGE;
    if (pages < this.largeBinOfPages.length) return this.largeBinOfPages[pages]!;
    for (let i = 0; i < this.largeCached.length; i++) if (this.largeCached[i] === usize) return this.config.small.length + i;
    return -1;
  }

  // ---- allocation --------------------------------------------------------------

  malloc(size: number, req: AllocRequest): number {
    if (req.nowNs > this.nowNs) this.nowNs = req.nowNs;
    const ts = req.thread === this.lastThread ? this.lastState! : this.thread(req.thread);
    const want = size === 0 ? 1 : size;
    // Most requests are small and the thread cache has one: served here
    // without the calls of the general path below.
    if (want <= this.maxSmall && ts.tcache !== null) {
      const b = this.table.indexOf(want);
      const tc = ts.tcache;
      const addr = tc.pop(b);
      if (addr !== 0) {
        this.lastAddr = addr;
        this.lastUsable = this.smallSize[b]!;
        if (this.gcOps > 0) this.countOp(ts, tc);
        else if (this.gcBytes > 0) this.countAllocBytes(ts, tc, this.lastUsable);
        return addr;
      }
    }
    const addr = this.allocate(want, 0, ts);
    if (addr !== 0 && this.gcBytes > 0) this.countAllocBytes(ts, ts.tcache!, this.usableSize(addr));
    return addr;
  }

  memalign(alignment: number, size: number, req: AllocRequest): number {
    if (req.nowNs > this.nowNs) this.nowNs = req.nowNs;
    const ts = this.thread(req.thread);
    const addr = this.allocate(size === 0 ? 1 : size, alignment, ts);
    if (addr !== 0 && this.gcBytes > 0) this.countAllocBytes(ts, ts.tcache!, this.usableSize(addr));
    return addr;
  }

  // ---- tcache GC schedule ----------------------------------------------------

  /**
   * 5.3 (thread_event.c): usable bytes allocated by the thread, counted after
   * each malloc whatever its size; when they reach tcache_gc_incr_bytes since
   * the last GC event, one GC step runs and the count restarts from zero (the
   * overshoot is dropped, as te_event_trigger sets a fresh wait).
   */
  private countAllocBytes(ts: ThreadState, tc: ThreadCache, usize: number): void {
    tc.allocSinceGc += usize;
    if (tc.allocSinceGc >= this.gcBytes) {
      tc.allocSinceGc = 0;
      this.gcStep(ts, tc);
    }
  }

  /** 5.3: the same for bytes freed, on a counter of its own (tcache_gc_dalloc). */
  private countDallocBytes(ts: ThreadState, tc: ThreadCache, usize: number): void {
    tc.dallocSinceGc += usize;
    if (tc.dallocSinceGc >= this.gcBytes) {
      tc.dallocSinceGc = 0;
      this.gcStep(ts, tc);
    }
  }

  /** 5.1 and 3.6 (tcache_event): every thread-cache alloc and dalloc counts; the gcOps-th runs a GC step. */
  private countOp(ts: ThreadState, tc: ThreadCache): void {
    if (++tc.allocSinceGc >= this.gcOps) {
      tc.allocSinceGc = 0;
      this.gcStep(ts, tc);
    }
  }

  /** tcache_event: one bin's GC; flushed blocks go back as a full-bin flush sends them. */
  private gcStep(ts: ThreadState, tc: ThreadCache): void {
    const plan = this.gcPlan;
    tc.gcStep(plan);
    const b = plan[0]!;
    const keep = plan[1]!;
    if (keep < 0) return;
    if (b < this.config.small.length) this.flushSmall(ts, tc, b, keep);
    else this.flushLarge(ts, tc, b, keep);
  }

  /** alignment 0 = plain malloc. Remembers the block for usableSize. */
  private allocate(size: number, alignment: number, ts: ThreadState): number {
    // sz_sa2u: a small class whose regions are naturally aligned enough.
    const smallSize = alignment > 0 ? Math.ceil(size / alignment) * alignment : size;
    if (smallSize <= this.table.maxSmall && alignment <= PAGE) {
      const b = this.table.indexOf(smallSize);
      const addr = this.allocSmall(b, ts);
      this.lastAddr = addr !== 0 ? addr : -1;
      this.lastUsable = this.smallSize[b]!;
      return addr;
    }
    this.lastAddr = -1;
    return this.allocLarge(Math.max(size, this.config.generation === 5 ? 16384 : this.table.maxSmall + 1), alignment, ts);
  }

  private allocSmall(b: number, ts: ThreadState): number {
    const tc = ts.tcache;
    if (tc) {
      const hit = tc.pop(b);
      if (hit !== 0) {
        if (this.gcOps > 0) this.countOp(ts, tc);
        return hit;
      }
      // tcache_alloc_small_hard: refill ncached_max >> lg_fill_div, hand out the first.
      const n = this.bins.fill(b, tc.fillCount(b), this.batch, this.batchExtent, 0);
      this.tick(ts, 1, ARENA0);
      if (n === 0) return 0;
      tc.pushFill(b, this.batch, this.batchExtent, n);
      const addr = tc.pop(b);
      if (this.gcOps > 0) this.countOp(ts, tc);
      return addr;
    }
    const addr = this.bins.allocOne(b, this.batch, this.batchExtent);
    this.tick(ts, 1, ARENA0);
    return addr;
  }

  private allocLarge(size: number, alignment: number, ts: ThreadState): number {
    const cfg = this.config;
    if (cfg.generation === 3) {
      const chunkArena = this.arena as ChunkArena;
      if (size + Math.max(alignment, PAGE) - PAGE > chunkArena.maxRunBytes) return this.allocHuge3(size, alignment);
    }
    const usize = cfg.generation === 5 ? jemalloc5LargeUsize(size) : Math.ceil(size / PAGE) * PAGE;
    const tc = ts.tcache;
    let viaTcache = false;
    if (tc && alignment === 0 && usize <= cfg.tcacheMax) {
      const b = this.largeBin(usize);
      if (b >= 0) {
        // 5.1 / 3.6 tcache_alloc_large: a miss allocates from the arena and still counts as a tcache event.
        viaTcache = true;
        const hit = tc.pop(b);
        if (hit !== 0) {
          if (this.gcOps > 0) this.countOp(ts, tc);
          return hit;
        }
      }
    }
    const arena = this.huge && usize >= cfg.oversizeThreshold ? HUGE_ARENA : ARENA0;
    const pages = this.pageAllocator(arena)!;
    const e = pages.alloc(usize + cfg.largePad, alignment);
    this.tick(ts, 1, arena);
    if (e === NONE) return 0;
    this.pool.usize[e] = usize;
    let addr = this.pool.start[e]!;
    // cache_oblivious (arena_cache_oblivious_randomize): a random cache-line
    // offset into the pad page, drawn from a seeded PRNG so runs repeat.
    if (cfg.largePad > 0 && alignment < PAGE) {
      if (alignment <= CACHELINE) addr += this.offsetRng.lgRange(LG_CACHELINES_PER_PAGE) * CACHELINE;
      else addr += this.offsetRng.lgRange(Math.log2(PAGE / alignment)) * alignment;
    }
    this.pageMap.registerRange(this.pool.start[e]!, PAGE, e, -1);
    this.meta.registerPage(this.pool.end(e) / PAGE - 1);
    if (viaTcache && this.gcOps > 0) this.countOp(ts, tc!);
    return addr;
  }

  /** jemalloc 3 huge: whole chunks, recycled from the chunk cache or newly mapped, chunk-aligned. */
  private allocHuge3(size: number, alignment: number): number {
    const chunk = this.config.chunkBytes;
    const csize = Math.ceil(size / chunk) * chunk;
    const start = this.chunkCache!.alloc(csize, alignment, chunk, 'jemalloc huge');
    if (start === 0) return 0;
    const e = this.pool.create(start, csize, this.serial.next++, 1, true, NO_ARENA);
    this.pool.usize[e] = csize;
    this.pageMap.registerRange(start, PAGE, e, -1);
    // A huge allocation's extent node lives in base memory.
    this.meta.noteExtentStructs(this.pool.highWater);
    return start;
  }

  // ---- free ------------------------------------------------------------------

  /** The extent holding `addr` (a slab or a large extent), or NONE. */
  extentAt(addr: number): number {
    const entry = this.pageMap.lookupEntry(addr);
    if (entry < 0) return NONE;
    return entryBin(entry) >= 0 ? this.bins.extentOfSlot(entryId(entry)) : entryId(entry);
  }

  /** Kept out of the lookups so that they stay small enough to inline. */
  private notAllocated(addr: number, what: string): never {
    throw new Error(`jemalloc model: ${what} of 0x${addr.toString(16)}, which it did not allocate`);
  }

  free(addr: number, req: AllocRequest): void {
    if (req.nowNs > this.nowNs) this.nowNs = req.nowNs;
    this.lastAddr = -1;
    // One page-map read gives the bin and the slab slot (small) or extent (large).
    const entry = this.pageMap.lookupEntry(addr);
    if (entry < 0) this.notAllocated(addr, 'free');
    const id = entryId(entry);
    const b = entryBin(entry);
    const ts = req.thread === this.lastThread ? this.lastState! : this.thread(req.thread);
    // A small block into a thread cache with room (most frees) is served here.
    const tc = ts.tcache;
    if (this.gcBytes > 0) {
      // 5.3 counts the bytes after the free (ifree → thread_dalloc_event).
      const usize = b >= 0 ? this.smallSize[b]! : this.pool.usize[id]!;
      if (b >= 0 && !tc!.isFull(b)) tc!.push(b, addr, id);
      else this.release(addr, id, b, ts);
      this.countDallocBytes(ts, tc!, usize);
      return;
    }
    if (b >= 0 && tc !== null && !tc.isFull(b)) {
      tc.push(b, addr, id);
      if (this.gcOps > 0) this.countOp(ts, tc);
    } else this.release(addr, id, b, ts);
  }

  /**
   * Free block `addr` past the thread cache's fast path: a region of small
   * bin `b` in the slab of slot `id`, or (b −1) the large extent `id`.
   */
  private release(addr: number, id: number, b: number, ts: ThreadState): void {
    const pool = this.pool;
    const tc = ts.tcache;
    if (b >= 0) {
      if (tc) {
        if (tc.isFull(b)) this.flushSmall(ts, tc, b, tc.ncachedMax[b]! >> 1);
        tc.push(b, addr, id);
        if (this.gcOps > 0) this.countOp(ts, tc);
        return;
      }
      this.bins.free(id, addr);
      this.tick(ts, 1, ARENA0);
      return;
    }
    const e = id;
    const usize = pool.usize[e]!;
    if (tc && usize <= this.config.tcacheMax) {
      const lb = this.largeBin(usize);
      if (lb >= 0) {
        if (tc.isFull(lb)) this.flushLarge(ts, tc, lb, tc.ncachedMax[lb]! >> 1);
        tc.push(lb, addr, e);
        if (this.gcOps > 0) this.countOp(ts, tc);
        return;
      }
    }
    const arena = pool.arena[e]!;
    this.largeDalloc(e);
    this.tick(ts, 1, arena);
  }

  /** tcache_bin_flush_small: all but the `keep` most recent go back to their slabs (a full bin keeps half). */
  private flushSmall(ts: ThreadState, tc: ThreadCache, b: number, keep: number): void {
    const out = this.flushed;
    const outExtent = this.flushedExtent;
    // A small bin caches each block with its slab's slot.
    const n = tc.flush(b, keep, out, outExtent);
    for (let i = 0; i < n; i++) this.bins.free(outExtent[i]!, out[i]!);
    this.tick(ts, n, ARENA0);
  }

  /** tcache_bin_flush_large: all but the `keep` most recent go back to the page allocator. */
  private flushLarge(ts: ThreadState, tc: ThreadCache, b: number, keep: number): void {
    const outExtent = this.flushedExtent;
    const n = tc.flush(b, keep, this.flushed, outExtent);
    for (let i = 0; i < n; i++) this.largeDalloc(outExtent[i]!);
    this.tick(ts, n, ARENA0);
  }

  private largeDalloc(e: number): void {
    const pool = this.pool;
    this.pageMap.unregisterRange(pool.start[e]!, PAGE);
    const arena = pool.arena[e]!;
    if (arena === NO_ARENA) {
      // jemalloc 3 huge_dalloc → chunk_dealloc: purged and recorded (or unmapped without retain).
      this.chunkCache!.record(pool.start[e]!, pool.size[e]!);
      pool.release(e);
      return;
    }
    this.pageAllocator(arena)!.dalloc(e);
  }

  // ---- realloc and sizes ---------------------------------------------------

  usableSize(addr: number): number {
    if (addr === this.lastAddr) return this.lastUsable;
    const entry = this.pageMap.lookupEntry(addr);
    if (entry < 0) this.notAllocated(addr, 'usable size');
    const b = entryBin(entry);
    return b >= 0 ? this.smallSize[b]! : this.pool.usize[entryId(entry)]!;
  }

  realloc(addr: number, size: number, req: AllocRequest): number {
    if (req.nowNs > this.nowNs) this.nowNs = req.nowNs;
    this.lastAddr = -1;
    const ts = this.thread(req.thread);
    if (this.gcBytes === 0) return this.resize(addr, size, ts);
    const oldUsize = this.usableSize(addr);
    const moved = this.resize(addr, size, ts);
    // je_realloc: thread_alloc_event(usize), then thread_dalloc_event(old_usize), moved or not.
    if (moved !== 0) {
      this.countAllocBytes(ts, ts.tcache!, this.usableSize(moved));
      this.countDallocBytes(ts, ts.tcache!, oldUsize);
    }
    return moved;
  }

  private resize(addr: number, size: number, ts: ThreadState): number {
    const entry = this.pageMap.lookupEntry(addr);
    if (entry < 0) this.notAllocated(addr, 'realloc');
    // A slab slot when small (only `b` and the slot are used then), the extent when large.
    const e = entryId(entry);
    const b = entryBin(entry);
    const pool = this.pool;
    const cfg = this.config;
    const want = size === 0 ? 1 : size;
    if (b >= 0) {
      // arena_ralloc_no_move: a small block stays when the class does not change.
      if (want <= this.table.maxSmall && this.table.indexOf(want) === b) return addr;
    } else if (pool.arena[e]! !== NO_ARENA && want > this.table.maxSmall) {
      const oldUsize = pool.usize[e]!;
      const usize = cfg.generation === 5 ? jemalloc5LargeUsize(Math.max(want, 16384)) : Math.ceil(want / PAGE) * PAGE;
      const pages = this.pageAllocator(pool.arena[e]!)!;
      if (usize === oldUsize) return addr;
      // large_ralloc_no_move: grow into free pages above, or give the tail back.
      if (usize > oldUsize && pages.expand(e, usize + cfg.largePad)) {
        pool.usize[e] = usize;
        this.meta.registerPage(pool.end(e) / PAGE - 1);
        return addr;
      }
      if (usize < oldUsize) {
        pages.shrink(e, usize + cfg.largePad);
        pool.usize[e] = usize;
        this.tick(ts, 1, pool.arena[e]!);
        return addr;
      }
    } else if (pool.arena[e]! === NO_ARENA && Math.ceil(want / cfg.chunkBytes) * cfg.chunkBytes === pool.usize[e]!) {
      return addr;
    }
    const oldUsable = this.usableSize(addr);
    const moved = this.allocate(want, 0, ts);
    if (moved === 0) return 0;
    this.space.touch(moved, Math.min(oldUsable, want));
    this.release(addr, e, b, ts);
    return moved;
  }

  advanceTime(nowNs: number): void {
    // Without a background thread time alone purges nothing: decay runs only
    // when allocator activity fires the ticker (see tick()).
    if (nowNs > this.nowNs) this.nowNs = nowNs;
  }

  trim(): void {}

  retention(): RetentionFinding[] {
    return findRetention(this);
  }

  describe(): ModelNote {
    return describeModel(this.config);
  }
}

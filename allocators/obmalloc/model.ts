// CPython's small-object allocator (Objects/obmalloc.c) on a backing model:
// PyObject_Malloc / Realloc / Free as each version does them. Pools and
// arenas are simulated block by block on the shared AddressSpace; requests
// obmalloc does not serve, and the arenas of 2.x before 2.7, go to the backing.
import type { AddressSpace } from '../address-space.ts';
import type { AllocRequest, AllocatorModel, ModelNote, RetentionFinding } from '../types.ts';
import { ArenaTable, NO_ARENA } from './arenas.ts';
import { NO_POOL, PoolTable } from './pools.ts';
import { ArenaRadixTree } from './radix-tree.ts';
import { describeObmalloc, obmallocRetention } from './retention.ts';
import { UsableArenas } from './usable-arenas.ts';
import type { ObmallocConfig } from './versions.ts';

const DOMAIN_RAW = 1;
/** The id the backing sees for obmalloc's own blocks (arenas, the arena vector, radix nodes). */
const INTERNAL_ID = 0xffffffff;
/** lastUsable of a block the backing served: its usable size is the backing's to say. */
const IN_BACKING = -1;

export class ObmallocModel implements AllocatorModel {
  readonly pools: PoolTable;
  readonly arenas: ArenaTable;
  /** 2.5+ only. */
  readonly usable: UsableArenas | null;
  /** 3.10+ only. */
  readonly radix: ArenaRadixTree | null;
  /** 2.4: the global freepools LIFO. */
  private freepools = NO_POOL;
  /** Reused for obmalloc's own calls into the backing, so that they carry no trace id. */
  private readonly own: AllocRequest = { id: INTERNAL_ID, event: 0, thread: 0, domain: DOMAIN_RAW, nowNs: 0 };
  private readonly threshold: number;
  private readonly shift: number;
  /**
   * The block the last allocation returned and its size (IN_BACKING when the
   * backing served it): the replayer asks the usable size of each new block
   * at once, and this answers without a pool lookup. Forgotten on every free
   * and memalign.
   */
  private lastAddr = -1;
  private lastUsable = 0;

  /**
   * `slidingOrder` keeps usable_arenas the way 2.5–3.7 do it, walking a moved
   * arena right one arena at a time. Every version gives the same order
   * (arenafree.test.ts checks it), so models use 3.8's O(1) nfp2lasta fingers
   * whatever the version; the sliding form stays as the reference for tests.
   */
  constructor(
    readonly config: ObmallocConfig,
    readonly space: AddressSpace,
    readonly backing: AllocatorModel,
    slidingOrder = false,
  ) {
    this.pools = new PoolTable(config, space);
    this.arenas = new ArenaTable(config, space, backing, this.pools);
    this.usable = config.freesArenas ? new UsableArenas(this.arenas, config.poolsPerArena, !slidingOrder, config.keepEmptyArena) : null;
    this.radix = config.radixTree && space.bits === 64 ? new ArenaRadixTree(space, backing, config.arenaSize) : null;
    this.threshold = config.threshold;
    this.shift = config.alignmentShift;
  }

  malloc(size: number, req: AllocRequest): number {
    // Most requests are objects for a size class with a used pool: served
    // here without the calls of the general path below.
    if (req.domain !== DOMAIN_RAW && size !== 0 && size <= this.threshold) {
      const cls = (size - 1) >> this.shift;
      const p = this.pools.usedHead[cls]!;
      if (p !== NO_POOL) {
        const addr = this.pools.takeBlock(p, cls);
        this.lastAddr = addr;
        this.lastUsable = this.pools.blockSize[cls]!;
        return addr;
      }
    }
    if (req.domain === DOMAIN_RAW) return this.servedByBacking(this.backing.malloc(size, req));
    return this.objectMalloc(size, req);
  }

  private servedByBacking(addr: number): number {
    this.lastAddr = addr;
    this.lastUsable = IN_BACKING;
    return addr;
  }

  /** PyObject_Malloc: pools for 1..threshold bytes; 0 bytes and larger requests become malloc(n or 1). */
  private objectMalloc(size: number, req: AllocRequest): number {
    if (size === 0 || size > this.threshold) return this.servedByBacking(this.backing.malloc(size === 0 ? 1 : size, req));
    const cls = (size - 1) >> this.shift;
    const addr = this.poolMalloc(cls, req);
    // No arena could be had: CPython falls back to the system malloc.
    if (addr === 0) return this.servedByBacking(this.backing.malloc(size, req));
    this.lastAddr = addr;
    this.lastUsable = this.pools.blockSize[cls]!;
    return addr;
  }

  private poolMalloc(cls: number, req: AllocRequest): number {
    const used = this.pools.usedHead[cls]!;
    if (used !== NO_POOL) return this.pools.takeBlock(used, cls);
    const p = this.usable !== null ? this.poolFromUsableArenas(req) : this.poolFromGlobalList(req);
    return p === NO_POOL ? 0 : this.pools.initPool(p, cls);
  }

  /** 2.4: the most recently emptied pool, else the next virgin pool of the newest arena, else a new arena. */
  private poolFromGlobalList(req: AllocRequest): number {
    const p = this.freepools;
    if (p !== NO_POOL) {
      this.freepools = this.pools.next(p);
      return p;
    }
    let a = this.arenas.narenas - 1;
    if (a < 0 || this.arenas.nfreepools[a] === 0) {
      a = this.arenas.newArenaLeakingVector(this.ownRequest(req));
      if (a === NO_ARENA) return NO_POOL;
    }
    return this.arenas.carvePool(a);
  }

  /** 2.5+: a pool of the head of usable_arenas (the most used), from its freepools or carved. */
  private poolFromUsableArenas(req: AllocRequest): number {
    const usable = this.usable!;
    if (usable.head === NO_ARENA) {
      const a = this.arenas.newArenaObject(this.ownRequest(req));
      if (a === NO_ARENA) return NO_POOL;
      if (this.radix !== null && !this.radix.markUsed(this.arenas.address[a]!, this.own)) {
        this.arenas.freeArena(a, this.own);
        return NO_POOL;
      }
      usable.pushNew(a);
    }
    const a = usable.head;
    usable.headLosesPool();
    let p = this.arenas.freepools[a]!;
    if (p !== NO_POOL) {
      this.arenas.freepools[a] = this.pools.next(p);
      this.arenas.nfreepools[a]!--;
    } else {
      p = this.arenas.carvePool(a);
    }
    usable.dropHeadIfFull();
    return p;
  }

  memalign(alignment: number, size: number, req: AllocRequest): number {
    // Python has no aligned object allocator: such requests are the C library's.
    this.lastAddr = -1;
    return this.backing.memalign(alignment, size, req);
  }

  realloc(addr: number, size: number, req: AllocRequest): number {
    this.lastAddr = -1;
    const p = this.arenas.poolOf(addr);
    if (p !== NO_POOL) return this.reallocPoolBlock(p, addr, size, req);
    if (req.domain !== DOMAIN_RAW && this.config.takesOverForeignBlocks && size <= this.threshold) {
      // 2.4 moves a C-heap block into a pool when the new size fits one,
      // copying nbytes from the old block (bug 1185883 removed this in 2.5).
      const moved = this.objectMalloc(size === 0 ? 1 : size, req);
      if (moved === 0) return 0;
      this.space.touch(moved, size);
      this.backing.free(addr, req);
      return moved;
    }
    if (req.domain === DOMAIN_RAW) return this.servedByBacking(this.backing.realloc(addr, size, req));
    return this.servedByBacking(this.backing.realloc(addr, size === 0 ? 1 : size, req));
  }

  /** Keep the block when the new size still needs more than 3/4 of it; else move and copy. */
  private reallocPoolBlock(p: number, addr: number, size: number, req: AllocRequest): number {
    const blockSize = this.pools.blockSizeOf(p);
    let copy = blockSize;
    if (size <= blockSize) {
      if (4 * size > 3 * blockSize) {
        this.lastAddr = addr;
        this.lastUsable = blockSize;
        return addr;
      }
      copy = size;
    }
    const moved = this.objectMalloc(size, req);
    if (moved === 0) return 0;
    this.space.touch(moved, copy);
    this.freeInPool(p, addr, req);
    return moved;
  }

  free(addr: number, req: AllocRequest): void {
    this.lastAddr = -1;
    const p = this.arenas.poolOf(addr);
    if (p === NO_POOL) this.backing.free(addr, req);
    else this.freeInPool(p, addr, req);
  }

  private freeInPool(p: number, addr: number, req: AllocRequest): void {
    if (!this.pools.returnBlock(p, addr)) return;
    const usable = this.usable;
    if (usable === null) {
      this.pools.setNext(p, this.freepools);
      this.freepools = p;
      return;
    }
    const a = this.arenas.arenaOfPool(p);
    this.pools.setNext(p, this.arenas.freepools[a]!);
    this.arenas.freepools[a] = p;
    if (usable.poolFreed(a)) this.arenas.freeArena(a, this.ownRequest(req));
  }

  usableSize(addr: number): number {
    if (addr === this.lastAddr) return this.lastUsable !== IN_BACKING ? this.lastUsable : this.backing.usableSize(addr);
    const p = this.arenas.poolOf(addr);
    return p === NO_POOL ? this.backing.usableSize(addr) : this.pools.blockSizeOf(p);
  }

  advanceTime(nowNs: number): void {
    this.backing.advanceTime(nowNs);
  }

  trim(): void {
    this.backing.trim();
  }

  retention(): RetentionFinding[] {
    return obmallocRetention(this);
  }

  describe(): ModelNote {
    return describeObmalloc(this);
  }

  /** 2.4's global freepools list, head first (for findings and tests). */
  globalFreePools(): number[] {
    const out: number[] = [];
    for (let p = this.freepools; p !== NO_POOL; p = this.pools.next(p)) out.push(p);
    return out;
  }

  private ownRequest(req: AllocRequest): AllocRequest {
    this.own.event = req.event;
    this.own.thread = req.thread;
    this.own.nowNs = req.nowNs;
    return this.own;
  }
}

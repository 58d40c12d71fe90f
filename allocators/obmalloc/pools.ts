// Pool state, one slot per pool in typed arrays: the pool header CPython keeps
// at the start of each pool (ref.count, freeblock, nextoffset, szidx, links)
// and the free-block list threaded through the pool's blocks. Pool numbers are
// arena index × pools-per-arena + slot, so an arena object that is reused
// reuses its pool slots and nothing grows with trace length.
import type { AddressSpace } from '../address-space.ts';
import { blocksPerPool, classSize, type ObmallocConfig } from './versions.ts';

/** szidx of a pool carved but never initialised (CPython's DUMMY_SIZE_IDX). */
export const DUMMY_SIZE_IDX = -1;
/** End of a free-block list (a NULL freeblock pointer). */
const NO_BLOCK = 0xffff;
/** End of a pool list. */
export const NO_POOL = -1;

function grownInt32(a: Int32Array, n: number, fill: number): Int32Array {
  const b = new Int32Array(n).fill(fill);
  b.set(a);
  return b;
}

export class PoolTable {
  /** Pool base address. */
  addr: Float64Array = new Float64Array(0);
  /** Size class, or DUMMY_SIZE_IDX. */
  szidx: Int32Array = new Int32Array(0);
  /** ref.count: blocks handed out. */
  count: Int32Array = new Int32Array(0);
  /** freeblock: index of the head block of the free list, -1 when the pool is full. */
  freeHead: Int32Array = new Int32Array(0);
  /** nextoffset as a block index: the first block never put on the free list. */
  virgin: Int32Array = new Int32Array(0);
  /** nextpool / prevpool: usedpools[] lists (doubly linked) and freepools lists (singly, via next). */
  next: Int32Array = new Int32Array(0);
  prev: Int32Array = new Int32Array(0);
  /**
   * The next-block links of the pools' free lists (index → next index,
   * NO_BLOCK ends it): one array per arena object, `maxBlocks` slots a pool,
   * made when the arena's first pool is initialised and kept when the arena
   * object is reused. A free() reaches its list in two loads, and nothing is
   * allocated or copied per pool.
   */
  private arenaLinks: Uint16Array[] = [];
  private readonly maxBlocks: number;
  /** log2 of pools per arena (both sizes are powers of two), to split a pool number. */
  private readonly lgPoolsPerArena: number;
  private readonly slotMask: number;
  /** usedpools[]: head pool per size class, or NO_POOL. */
  readonly usedHead: Int32Array;
  /** Blocks per pool and block size per class (precomputed). */
  readonly nBlocks: Int32Array;
  readonly blockSize: Int32Array;
  private readonly header: number;
  private readonly ptr: number;

  constructor(
    private readonly config: ObmallocConfig,
    private readonly space: AddressSpace,
  ) {
    this.usedHead = new Int32Array(config.classes).fill(NO_POOL);
    this.nBlocks = new Int32Array(config.classes);
    this.blockSize = new Int32Array(config.classes);
    for (let i = 0; i < config.classes; i++) {
      this.nBlocks[i] = blocksPerPool(config, i);
      this.blockSize[i] = classSize(config, i);
    }
    this.header = config.poolHeader;
    this.ptr = config.pointerSize;
    // Class 0 has the smallest blocks, so the most of them.
    this.maxBlocks = config.classes > 0 ? this.nBlocks[0]! : 0;
    this.lgPoolsPerArena = Math.log2(config.poolsPerArena);
    this.slotMask = config.poolsPerArena - 1;
  }

  /** The links array of pool p's arena. */
  private linksOf(p: number): Uint16Array {
    const a = p >>> this.lgPoolsPerArena;
    let links = this.arenaLinks[a];
    if (links === undefined) {
      links = new Uint16Array((this.slotMask + 1) * this.maxBlocks);
      this.arenaLinks[a] = links;
    }
    return links;
  }

  /** Where pool p's links start in its arena's array. */
  private linkBase(p: number): number {
    return (p & this.slotMask) * this.maxBlocks;
  }

  get capacity(): number {
    return this.addr.length;
  }

  /** Make room for pool numbers below `n`. */
  ensure(n: number): void {
    if (n <= this.capacity) return;
    let cap = Math.max(this.capacity, this.config.poolsPerArena * 16);
    while (cap < n) cap *= 2;
    const addr = new Float64Array(cap);
    addr.set(this.addr);
    this.addr = addr;
    this.szidx = grownInt32(this.szidx, cap, DUMMY_SIZE_IDX);
    this.count = grownInt32(this.count, cap, 0);
    this.freeHead = grownInt32(this.freeHead, cap, -1);
    this.virgin = grownInt32(this.virgin, cap, 0);
    this.next = grownInt32(this.next, cap, NO_POOL);
    this.prev = grownInt32(this.prev, cap, NO_POOL);
  }

  /** A pool carved from virgin arena space: the header's arenaindex and szidx are written. */
  carve(p: number, address: number): void {
    this.addr[p] = address;
    this.szidx[p] = DUMMY_SIZE_IDX;
    this.count[p] = 0;
    this.freeHead[p] = -1;
    this.virgin[p] = 0;
    this.space.touch(address, this.header);
  }

  blockAddress(p: number, index: number, cls: number): number {
    return this.addr[p]! + this.header + index * this.blockSize[cls]!;
  }

  /**
   * Index of the block at `address` in pool p. A pointer that is not the start
   * of a carved block is a replay bug, not a trace error: the replayer only
   * frees addresses the model handed out.
   */
  blockIndex(p: number, address: number): number {
    const cls = this.szidx[p]!;
    const offset = address - this.addr[p]! - this.header;
    const size = this.blockSize[cls]!;
    const index = offset / size;
    if (cls < 0 || offset < 0 || index !== Math.floor(index) || index >= this.virgin[p]!) this.notABlock(p, address);
    return index;
  }

  /** Kept out of blockIndex so that the check stays small enough to inline. */
  private notABlock(p: number, address: number): never {
    throw new Error(`obmalloc: 0x${address.toString(16)} is not a block of the pool at 0x${this.addr[p]!.toString(16)}`);
  }

  /**
   * A pool leaves freepools (or is fresh) to serve class `cls`: it is
   * front-linked into usedpools[cls] and hands out its first block. A pool that
   * last held the same class keeps its free list; any other is reinitialised
   * with block 0 handed out and block 1 as the whole free list.
   */
  initPool(p: number, cls: number): number {
    const head = this.usedHead[cls]!;
    this.next[p] = head;
    this.prev[p] = NO_POOL;
    if (head !== NO_POOL) this.prev[head] = p;
    this.usedHead[cls] = p;
    this.count[p] = 1;
    const base = this.addr[p]!;
    // CPython writes the header here again, but carve() made its page
    // resident and a live arena keeps its pages (see returnBlock).
    if (this.szidx[p] === cls) {
      const bi = this.freeHead[p]!;
      // An empty pool's list holds every block handed out before plus the
      // pre-carved one, so at least two: the pop cannot empty it.
      this.freeHead[p] = this.linksOf(p)[this.linkBase(p) + bi]!;
      return this.blockAddress(p, bi, cls);
    }
    this.szidx[p] = cls;
    this.linksOf(p)[this.linkBase(p) + 1] = NO_BLOCK;
    this.freeHead[p] = 1;
    this.virgin[p] = 2;
    this.writeLinkWord(base + this.header, base + this.header + this.blockSize[cls]!);
    return base + this.header;
  }

  /**
   * Take a block from a used pool (the head of usedpools[cls]). When the free
   * list runs out the next virgin block is carved onto it (its link word is
   * written); when there is none the pool is full and leaves the list.
   */
  takeBlock(p: number, cls: number): number {
    this.count[p]!++;
    const bi = this.freeHead[p]!;
    const links = this.linksOf(p);
    const base = this.linkBase(p);
    const nxt = links[base + bi]!;
    if (nxt !== NO_BLOCK) {
      this.freeHead[p] = nxt;
      return this.blockAddress(p, bi, cls);
    }
    const v = this.virgin[p]!;
    if (v < this.nBlocks[cls]!) {
      links[base + v] = NO_BLOCK;
      this.freeHead[p] = v;
      this.virgin[p] = v + 1;
      const prev = this.blockAddress(p, v - 1, cls);
      this.writeLinkWord(prev, prev + this.blockSize[cls]!);
    } else {
      this.freeHead[p] = -1;
      this.unlinkUsed(p, cls);
    }
    return this.blockAddress(p, bi, cls);
  }

  /**
   * Write the link word of a block carved from virgin space at `addr`; `prev`
   * is the block before it, whose link word (or, for block 0, the header on
   * its page) is resident already. Blocks are carved in address order, so
   * only the first word on each new page can change RSS: the others skip the
   * AddressSpace.
   */
  private writeLinkWord(prev: number, addr: number): void {
    const page = this.space.pageSize;
    if (Math.floor(addr / page) !== Math.floor(prev / page)) this.space.touch(addr, this.ptr);
  }

  /**
   * Push a block back on its pool's free list (writing its link word). Returns
   * true when the pool became empty; it has then left usedpools and the caller
   * files it as a free pool. A pool that was full is front-linked again.
   *
   * Writing the link word changes no residency, so the AddressSpace is not
   * asked: the word's page was made resident when the block's link word was
   * last written (carving it from virgin space, or an earlier free), or, for
   * block 0, when the pool header on the same page was, and nothing takes
   * pages from a live arena (it is given back only when all its pools are
   * empty; a backing allocator never purges a live block). This is the
   * hottest write of the model; pools.test.ts checks the invariant.
   */
  returnBlock(p: number, address: number): boolean {
    const bi = this.blockIndex(p, address);
    const head = this.freeHead[p]!;
    this.linksOf(p)[this.linkBase(p) + bi] = head === -1 ? NO_BLOCK : head;
    this.freeHead[p] = bi;
    const left = --this.count[p]!;
    const cls = this.szidx[p]!;
    if (head === -1) {
      this.linkUsedFront(p, cls);
      return false;
    }
    if (left !== 0) return false;
    this.unlinkUsed(p, cls);
    return true;
  }

  linkUsedFront(p: number, cls: number): void {
    const head = this.usedHead[cls]!;
    this.next[p] = head;
    this.prev[p] = NO_POOL;
    if (head !== NO_POOL) this.prev[head] = p;
    this.usedHead[cls] = p;
  }

  private unlinkUsed(p: number, cls: number): void {
    const n = this.next[p]!;
    const pr = this.prev[p]!;
    if (pr === NO_POOL) this.usedHead[cls] = n;
    else this.next[pr] = n;
    if (n !== NO_POOL) this.prev[n] = pr;
    this.next[p] = NO_POOL;
    this.prev[p] = NO_POOL;
  }

  /** Forget a pool whose arena was given back. */
  release(p: number): void {
    this.szidx[p] = DUMMY_SIZE_IDX;
    this.count[p] = 0;
    this.freeHead[p] = -1;
    this.virgin[p] = 0;
    this.next[p] = NO_POOL;
    this.prev[p] = NO_POOL;
  }

  /**
   * Addresses of the live blocks of pool p (carved and not on the free list).
   * For findings and checks only: it walks the whole pool.
   */
  liveBlocks(p: number, limit = Infinity): number[] {
    const cls = this.szidx[p]!;
    const out: number[] = [];
    if (cls < 0 || this.count[p] === 0) return out;
    const carved = this.virgin[p]!;
    const free = new Uint8Array(carved);
    const links = this.linksOf(p);
    const base = this.linkBase(p);
    for (let bi = this.freeHead[p]!; bi !== -1 && bi !== NO_BLOCK; bi = links[base + bi]!) free[bi] = 1;
    for (let i = 0; i < carved && out.length < limit; i++) if (free[i] === 0) out.push(this.blockAddress(p, i, cls));
    return out;
  }
}

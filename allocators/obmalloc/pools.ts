// Pool state: the pool header CPython keeps at the start of each pool
// (ref.count, freeblock, nextoffset, szidx, links), one fixed-size record per
// pool in one typed array, and the free-block list threaded through the
// pool's blocks. Pool numbers are arena index × pools-per-arena + slot, so an
// arena object that is reused reuses its pool slots and nothing grows with
// trace length.
import type { AddressSpace } from '../address-space.ts';
import { blocksPerPool, classSize, type ObmallocConfig } from './versions.ts';

/** szidx of a pool carved but never initialised (CPython's DUMMY_SIZE_IDX). */
export const DUMMY_SIZE_IDX = -1;
/** End of a free-block list (a NULL freeblock pointer). */
const NO_BLOCK = 0xffff;
/** End of a pool list. */
export const NO_POOL = -1;

// The header record of pool p is hdr[p * HDR .. p * HDR + HDR): its fields
// share a cache line, so an event reads one line of pool state, not one per field.
const HDR = 8;
/** Size class, or DUMMY_SIZE_IDX. */
const SZIDX = 0;
/** ref.count: blocks handed out. */
const COUNT = 1;
/** freeblock: index of the head block of the free list, -1 when the pool is full. */
const FREE = 2;
/** nextoffset as a block index: the first block never put on the free list. */
const VIRGIN = 3;
/** nextpool / prevpool: usedpools[] lists (doubly linked) and freepools lists (singly, via next). */
const NEXT = 4;
const PREV = 5;
/**
 * The pool's base address, high and low 32 bits: kept in the record so that
 * an event finds it on the line it reads anyway, not in `addr` (one more line).
 */
const BASE_HI = 6;
const BASE_LO = 7;
const TWO_32 = 4294967296;

export class PoolTable {
  /** Pool base address. */
  addr: Float64Array = new Float64Array(0);
  private hdr: Int32Array = new Int32Array(0);
  /**
   * The next-block links of every pool's free list (index → next index,
   * NO_BLOCK ends it), `maxBlocks` slots a pool at p × maxBlocks: a free()
   * reaches its link in one load, and nothing is allocated per pool. It grows
   * with the highest pool number carved (pool numbers fill arena by arena),
   * not with the arena objects, so a huge arena_size costs only what is used.
   */
  private links: Uint16Array = new Uint16Array(0);
  private readonly maxBlocks: number;
  /** usedpools[]: head pool per size class, or NO_POOL. */
  readonly usedHead: Int32Array;
  /** Blocks per pool and block size per class (precomputed). */
  readonly nBlocks: Int32Array;
  readonly blockSize: Int32Array;
  /** 1 / block size per class: a block's index is found by a multiplication, checked exactly. */
  private readonly invBlockSize: Float64Array;
  private readonly header: number;
  private readonly ptr: number;
  private readonly invPageSize: number;

  constructor(
    private readonly config: ObmallocConfig,
    private readonly space: AddressSpace,
  ) {
    this.usedHead = new Int32Array(config.classes).fill(NO_POOL);
    this.nBlocks = new Int32Array(config.classes);
    this.blockSize = new Int32Array(config.classes);
    this.invBlockSize = new Float64Array(config.classes);
    for (let i = 0; i < config.classes; i++) {
      this.nBlocks[i] = blocksPerPool(config, i);
      this.blockSize[i] = classSize(config, i);
      this.invBlockSize[i] = 1 / classSize(config, i);
    }
    this.header = config.poolHeader;
    this.ptr = config.pointerSize;
    this.invPageSize = 1 / space.pageSize;
    // Class 0 has the smallest blocks, so the most of them.
    this.maxBlocks = config.classes > 0 ? this.nBlocks[0]! : 0;
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
    const hdr = new Int32Array(cap * HDR);
    hdr.set(this.hdr);
    for (let p = this.capacity; p < cap; p++) this.clear(hdr, p);
    this.hdr = hdr;
  }

  /** Make room in the links for pool numbers below `n` (at most the capacity). */
  private growLinks(n: number): void {
    let pools = Math.max(this.links.length / this.maxBlocks, this.config.poolsPerArena);
    while (pools < n) pools *= 2;
    const links = new Uint16Array(Math.min(pools, this.capacity) * this.maxBlocks);
    links.set(this.links);
    this.links = links;
  }

  private clear(hdr: Int32Array, p: number): void {
    const h = p * HDR;
    hdr[h + SZIDX] = DUMMY_SIZE_IDX;
    hdr[h + COUNT] = 0;
    hdr[h + FREE] = -1;
    hdr[h + VIRGIN] = 0;
    hdr[h + NEXT] = NO_POOL;
    hdr[h + PREV] = NO_POOL;
  }

  /** Size class of pool p, or DUMMY_SIZE_IDX. */
  szidx(p: number): number {
    return this.hdr[p * HDR + SZIDX]!;
  }

  /** Blocks pool p has handed out. */
  count(p: number): number {
    return this.hdr[p * HDR + COUNT]!;
  }

  /** Blocks of pool p carved so far (the virgin mark). */
  virgin(p: number): number {
    return this.hdr[p * HDR + VIRGIN]!;
  }

  /** The pool after p in its list (usedpools[] or a freepools LIFO). */
  next(p: number): number {
    return this.hdr[p * HDR + NEXT]!;
  }

  setNext(p: number, next: number): void {
    this.hdr[p * HDR + NEXT] = next;
  }

  /** Block size of pool p (its class must be set). */
  blockSizeOf(p: number): number {
    return this.blockSize[this.hdr[p * HDR + SZIDX]!]!;
  }

  /** A pool carved from virgin arena space: the header's arenaindex and szidx are written. */
  carve(p: number, address: number): void {
    if ((p + 1) * this.maxBlocks > this.links.length) this.growLinks(p + 1);
    this.addr[p] = address;
    const hdr = this.hdr;
    this.clear(hdr, p);
    const hi = Math.floor(address / TWO_32);
    hdr[p * HDR + BASE_HI] = hi;
    hdr[p * HDR + BASE_LO] = address - hi * TWO_32;
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
  private blockIndex(h: number, p: number, address: number): number {
    const hdr = this.hdr;
    const cls = hdr[h + SZIDX]!;
    const offset = address - (hdr[h + BASE_HI]! * TWO_32 + (hdr[h + BASE_LO]! >>> 0)) - this.header;
    // offset × (1/size) is within k·2^-53 of the index k for a block start, so
    // rounding finds k; the exact product check rejects anything else.
    const index = Math.round(offset * this.invBlockSize[cls]!);
    if (cls < 0 || index < 0 || index * this.blockSize[cls]! !== offset || index >= this.hdr[h + VIRGIN]!) this.notABlock(p, address);
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
    const hdr = this.hdr;
    const h = p * HDR;
    this.linkUsedFront(p, cls);
    hdr[h + COUNT] = 1;
    const first = hdr[h + BASE_HI]! * TWO_32 + (hdr[h + BASE_LO]! >>> 0) + this.header;
    // CPython writes the header here again, but carve() made its page
    // resident and a live arena keeps its pages (see returnBlock).
    if (hdr[h + SZIDX] === cls) {
      const bi = hdr[h + FREE]!;
      // An empty pool's list holds every block handed out before plus the
      // pre-carved one, so at least two: the pop cannot empty it.
      hdr[h + FREE] = this.links[p * this.maxBlocks + bi]!;
      return first + bi * this.blockSize[cls]!;
    }
    hdr[h + SZIDX] = cls;
    this.links[p * this.maxBlocks + 1] = NO_BLOCK;
    hdr[h + FREE] = 1;
    hdr[h + VIRGIN] = 2;
    this.writeLinkWord(first, first + this.blockSize[cls]!);
    return first;
  }

  /**
   * Take a block from a used pool (the head of usedpools[cls]). When the free
   * list runs out the next virgin block is carved onto it (its link word is
   * written); when there is none the pool is full and leaves the list.
   */
  takeBlock(p: number, cls: number): number {
    const hdr = this.hdr;
    const links = this.links;
    const h = p * HDR;
    const l = p * this.maxBlocks;
    hdr[h + COUNT]!++;
    const bi = hdr[h + FREE]!;
    const size = this.blockSize[cls]!;
    const first = hdr[h + BASE_HI]! * TWO_32 + (hdr[h + BASE_LO]! >>> 0) + this.header;
    const addr = first + bi * size;
    const nxt = links[l + bi]!;
    if (nxt !== NO_BLOCK) {
      hdr[h + FREE] = nxt;
      return addr;
    }
    const v = hdr[h + VIRGIN]!;
    if (v < this.nBlocks[cls]!) {
      links[l + v] = NO_BLOCK;
      hdr[h + FREE] = v;
      hdr[h + VIRGIN] = v + 1;
      const prev = first + (v - 1) * size;
      this.writeLinkWord(prev, prev + size);
    } else {
      hdr[h + FREE] = -1;
      this.unlinkUsed(p, cls);
    }
    return addr;
  }

  /**
   * Write the link word of a block carved from virgin space at `addr`; `prev`
   * is the block before it, whose link word (or, for block 0, the header on
   * its page) is resident already. Blocks are carved in address order, so
   * only the first word on each new page can change RSS: the others skip the
   * AddressSpace.
   */
  private writeLinkWord(prev: number, addr: number): void {
    // The page size is a power of two, so × 1/page is exact.
    const inv = this.invPageSize;
    if (Math.floor(addr * inv) !== Math.floor(prev * inv)) this.space.touch(addr, this.ptr);
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
    const hdr = this.hdr;
    const h = p * HDR;
    const bi = this.blockIndex(h, p, address);
    const head = hdr[h + FREE]!;
    this.links[p * this.maxBlocks + bi] = head === -1 ? NO_BLOCK : head;
    hdr[h + FREE] = bi;
    const left = --hdr[h + COUNT]!;
    if (head === -1) {
      this.linkUsedFront(p, hdr[h + SZIDX]!);
      return false;
    }
    if (left !== 0) return false;
    this.unlinkUsed(p, hdr[h + SZIDX]!);
    return true;
  }

  linkUsedFront(p: number, cls: number): void {
    const hdr = this.hdr;
    const head = this.usedHead[cls]!;
    hdr[p * HDR + NEXT] = head;
    hdr[p * HDR + PREV] = NO_POOL;
    if (head !== NO_POOL) hdr[head * HDR + PREV] = p;
    this.usedHead[cls] = p;
  }

  private unlinkUsed(p: number, cls: number): void {
    const hdr = this.hdr;
    const h = p * HDR;
    const n = hdr[h + NEXT]!;
    const pr = hdr[h + PREV]!;
    if (pr === NO_POOL) this.usedHead[cls] = n;
    else hdr[pr * HDR + NEXT] = n;
    if (n !== NO_POOL) hdr[n * HDR + PREV] = pr;
    hdr[h + NEXT] = NO_POOL;
    hdr[h + PREV] = NO_POOL;
  }

  /** Forget a pool whose arena was given back. */
  release(p: number): void {
    this.clear(this.hdr, p);
  }

  /**
   * Addresses of the live blocks of pool p (carved and not on the free list).
   * For findings and checks only: it walks the whole pool.
   */
  liveBlocks(p: number, limit = Infinity): number[] {
    const h = p * HDR;
    const cls = this.hdr[h + SZIDX]!;
    const out: number[] = [];
    if (cls < 0 || this.hdr[h + COUNT] === 0) return out;
    const carved = this.hdr[h + VIRGIN]!;
    const free = new Uint8Array(carved);
    const l = p * this.maxBlocks;
    for (let bi = this.hdr[h + FREE]!; bi !== -1 && bi !== NO_BLOCK; bi = this.links[l + bi]!) free[bi] = 1;
    for (let i = 0; i < carved && out.length < limit; i++) if (free[i] === 0) out.push(this.blockAddress(p, i, cls));
    return out;
  }
}

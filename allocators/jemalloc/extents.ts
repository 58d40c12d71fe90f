// Extents (jemalloc's edata_t) as parallel typed arrays, and the extent caches
// (ecache/eset) that hold the inactive ones. Every extent has a real address in
// the shared AddressSpace; an index into these arrays stands for the struct.
import { PageIndex } from './page-index.ts';
import { NPSIZES, PAGE, pszCeilIndex, pszQuantizeCeil, pszQuantizeFloor, pszSize } from './size-classes.ts';

/** Extent states (extent_state_t), plus a free slot in the pool. */
export const ST_FREE_SLOT = 0;
export const ST_ACTIVE = 1;
export const ST_DIRTY = 2;
export const ST_MUZZY = 3;
export const ST_RETAINED = 4;

export const NONE = -1;

/**
 * All extents of a model. Split keeps the serial number (extent_split_impl), a
 * merge keeps the lower one, so an extent's serial number is that of the
 * mapping it was carved from: first fit by (serial, address) prefers old memory.
 */
export class ExtentPool {
  capacity = 0;
  start = new Float64Array(0);
  size = new Float64Array(0);
  sn = new Float64Array(0);
  state = new Uint8Array(0);
  /** 1 when the extent begins a mapping: nothing below may merge into it (retain rule, extent.h head state). */
  head = new Uint8Array(0);
  arena = new Uint8Array(0);
  /** Small bin index for slabs, −1 for large extents. */
  bin = new Int16Array(0);
  /** Usable size of a large extent (the size class, without the cache-oblivious pad). */
  usize = new Float64Array(0);
  /** The slab's record in Bins (its slab slot) while the extent is a live slab. */
  slabSlot = new Int32Array(0);
  heapPos = new Int32Array(0);
  /** The size bin of an extent while it sits in an ExtentSet. */
  setBin = new Int32Array(0);
  lruPrev = new Int32Array(0);
  lruNext = new Int32Array(0);
  /** Inactive extents by first and by past-the-end address: the neighbour lookup of coalescing (emap). */
  readonly byStart = new PageIndex();
  readonly byEnd = new PageIndex();
  /** High-water count of extent structs (metadata: edata_t come from base memory and are recycled). */
  highWater = 0;
  /** Released slots, reused last in first out. */
  private freeSlots = new Int32Array(64);
  private nfreeSlots = 0;
  private used = 0;

  constructor(initial = 256) {
    this.grow(initial);
  }

  private grow(cap: number): void {
    const f64 = (a: Float64Array): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    const u8 = (a: Uint8Array): Uint8Array<ArrayBuffer> => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    this.start = f64(this.start);
    this.size = f64(this.size);
    this.sn = f64(this.sn);
    this.usize = f64(this.usize);
    this.state = u8(this.state);
    this.head = u8(this.head);
    this.arena = u8(this.arena);
    const bin = new Int16Array(cap);
    bin.set(this.bin);
    this.bin = bin;
    this.heapPos = i32(this.heapPos);
    this.slabSlot = i32(this.slabSlot);
    this.setBin = i32(this.setBin);
    this.lruPrev = i32(this.lruPrev);
    this.lruNext = i32(this.lruNext);
    this.capacity = cap;
  }

  create(start: number, size: number, sn: number, state: number, head: boolean, arena: number): number {
    let e: number;
    if (this.nfreeSlots > 0) e = this.freeSlots[--this.nfreeSlots]!;
    else {
      if (this.used === this.capacity) this.grow(this.capacity * 2);
      e = this.used++;
    }
    this.start[e] = start;
    this.size[e] = size;
    this.sn[e] = sn;
    this.state[e] = state;
    this.head[e] = head ? 1 : 0;
    this.arena[e] = arena;
    this.bin[e] = -1;
    this.usize[e] = 0;
    this.heapPos[e] = NONE;
    this.lruPrev[e] = NONE;
    this.lruNext[e] = NONE;
    const live = this.used - this.nfreeSlots;
    if (live > this.highWater) this.highWater = live;
    return e;
  }

  release(e: number): void {
    this.state[e] = ST_FREE_SLOT;
    if (this.nfreeSlots === this.freeSlots.length) {
      const grown = new Int32Array(this.freeSlots.length * 2);
      grown.set(this.freeSlots);
      this.freeSlots = grown;
    }
    this.freeSlots[this.nfreeSlots++] = e;
  }

  end(e: number): number {
    return this.start[e]! + this.size[e]!;
  }

  /** Split `e` at `frontBytes`; `e` keeps the front, the returned extent is the tail (same state, serial, arena). */
  split(e: number, frontBytes: number): number {
    const tail = this.create(this.start[e]! + frontBytes, this.size[e]! - frontBytes, this.sn[e]!, this.state[e]!, false, this.arena[e]!);
    this.size[e] = frontBytes;
    return tail;
  }

  /** Merge `b` (directly above `a`) into `a`; `b`'s slot is released. */
  merge(a: number, b: number): void {
    this.size[a] = this.size[a]! + this.size[b]!;
    if (this.sn[b]! < this.sn[a]!) this.sn[a] = this.sn[b]!;
    this.release(b);
  }
}

/**
 * Binary min-heap of extent indices by (serial, address), or by address alone;
 * positions live in pool.heapPos so any member can be removed. Each entry
 * carries its keys beside it (an extent's serial and address do not change
 * while it sits in a heap: it is taken out before a split or merge), so sifting
 * compares within the heap's own arrays instead of reaching into the pool.
 */
export class ExtentHeap {
  items = new Int32Array(8);
  /** Serial number of each entry (0 for every entry of an address-ordered heap). */
  keySn = new Float64Array(8);
  keyStart = new Float64Array(8);
  length = 0;
  constructor(
    private readonly pool: ExtentPool,
    /** true: (serial, address) order (edata_snad_comp); false: address order. */
    private readonly bySerial: boolean,
  ) {}

  push(e: number): void {
    this.pushKeyed(e, this.bySerial ? this.pool.sn[e]! : 0, this.pool.start[e]!);
  }

  /** push() when the caller has the keys at hand: `sn` (0 for an address-ordered heap) and `start` of `e`. */
  pushKeyed(e: number, sn: number, start: number): void {
    if (this.length === this.items.length) this.grow();
    this.up(this.length++, e, sn, start);
  }

  remove(e: number): void {
    const heapPos = this.pool.heapPos;
    const i = heapPos[e]!;
    const n = --this.length;
    heapPos[e] = NONE;
    if (i === n) return;
    const last = this.items[n]!;
    const sn = this.keySn[n]!;
    const start = this.keyStart[n]!;
    // The last entry fills the hole and moves up or down, as a sift in either direction would.
    if (i > 0) {
      const p = (i - 1) >> 1;
      const psn = this.keySn[p]!;
      if (sn < psn || (sn === psn && start < this.keyStart[p]!)) {
        this.up(i, last, sn, start);
        return;
      }
    }
    this.down(i, last, sn, start);
  }

  top(): number {
    return this.length > 0 ? this.items[0]! : NONE;
  }

  private grow(): void {
    const n = this.items.length * 2;
    const items = new Int32Array(n);
    items.set(this.items);
    this.items = items;
    const sn = new Float64Array(n);
    sn.set(this.keySn);
    this.keySn = sn;
    const start = new Float64Array(n);
    start.set(this.keyStart);
    this.keyStart = start;
  }

  /** Place (e, sn, start) at hole i or above it. */
  private up(i: number, e: number, sn: number, start: number): void {
    const items = this.items;
    const ksn = this.keySn;
    const kstart = this.keyStart;
    const heapPos = this.pool.heapPos;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const psn = ksn[p]!;
      if (!(sn < psn || (sn === psn && start < kstart[p]!))) break;
      const pe = items[p]!;
      items[i] = pe;
      ksn[i] = psn;
      kstart[i] = kstart[p]!;
      heapPos[pe] = i;
      i = p;
    }
    items[i] = e;
    ksn[i] = sn;
    kstart[i] = start;
    heapPos[e] = i;
  }

  /** Place (e, sn, start) at hole i or below it. */
  private down(i: number, e: number, sn: number, start: number): void {
    const items = this.items;
    const ksn = this.keySn;
    const kstart = this.keyStart;
    const heapPos = this.pool.heapPos;
    const n = this.length;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let csn = ksn[c]!;
      let cstart = kstart[c]!;
      if (c + 1 < n) {
        const rsn = ksn[c + 1]!;
        const rstart = kstart[c + 1]!;
        if (rsn < csn || (rsn === csn && rstart < cstart)) {
          c++;
          csn = rsn;
          cstart = rstart;
        }
      }
      if (!(csn < sn || (csn === sn && cstart < start))) break;
      const ce = items[c]!;
      items[i] = ce;
      ksn[i] = csn;
      kstart[i] = cstart;
      heapPos[ce] = i;
      i = c;
    }
    items[i] = e;
    ksn[i] = sn;
    kstart[i] = start;
    heapPos[e] = i;
  }
}

/** Extents up to this many pages find their bins in a table (16 MiB: nearly every extent). */
const BIN_TABLE_PAGES = 4096;

/** Bin of a floor-quantized and of a ceil-quantized page count, per sz_large_pad. */
interface BinTables {
  floor: Int16Array;
  ceil: Int16Array;
}

const binTables = new Map<number, BinTables>();

/** The psz bins of every page count up to BIN_TABLE_PAGES for `pad`, computed once. */
function binTablesFor(pad: number): BinTables {
  let t = binTables.get(pad);
  if (t === undefined) {
    t = { floor: new Int16Array(BIN_TABLE_PAGES + 1), ceil: new Int16Array(BIN_TABLE_PAGES + 1) };
    for (let pages = 1; pages <= BIN_TABLE_PAGES; pages++) {
      t.floor[pages] = pszCeilIndex(pszQuantizeFloor(pages * PAGE, pad));
      t.ceil[pages] = pszCeilIndex(pszQuantizeCeil(pages * PAGE, pad));
    }
    binTables.set(pad, t);
  }
  return t;
}

/** How an extent set bins its members and orders each bin. */
export type SetOrder =
  /** jemalloc 5 eset: bins by page-size class (floor), each ordered by (serial, address). */
  | 'psz-sn-addr'
  /** jemalloc 3 runs_avail: bins by page count, each ordered by address: best fit by (size, address). */
  | 'pages-addr';

/**
 * The inactive extents of one state in one arena (ecache_t/eset_t): size bins
 * with a non-empty bitmap, an LRU list for purging (oldest first), and a page
 * count for decay.
 */
export class ExtentSet {
  npages = 0;
  count = 0;
  lruHead = NONE;
  lruTail = NONE;
  private readonly heaps: ExtentHeap[] = [];
  private readonly nonEmpty: Uint32Array;
  /** Bit w set when nonEmpty[w] is not 0: jemalloc 3's 1025 page-count bins are found in two steps, not 33. */
  private readonly nonEmptyWords: Uint32Array;
  private readonly nbins: number;
  /**
   * Serial and address of each bin's first extent (Infinity when empty):
   * first fit compares bins here, in two small arrays, rather than reaching
   * for each candidate extent in the pool.
   */
  private readonly topSn: Float64Array;
  private readonly topStart: Float64Array;
  private readonly tables: BinTables;
  /** order === 'psz-sn-addr', as a field the per-extent paths test. */
  private readonly bySerial: boolean;

  constructor(
    private readonly pool: ExtentPool,
    readonly state: number,
    private readonly order: SetOrder,
    maxPages = 0,
    /** sz_large_pad: the page jemalloc 5 adds to large extents, which the psz quantization allows for. */
    private readonly pad = 0,
  ) {
    this.nbins = order === 'psz-sn-addr' ? NPSIZES : maxPages + 1;
    for (let i = 0; i < this.nbins; i++) this.heaps.push(new ExtentHeap(pool, order === 'psz-sn-addr'));
    this.nonEmpty = new Uint32Array(Math.ceil(this.nbins / 32));
    this.nonEmptyWords = new Uint32Array(Math.ceil(this.nonEmpty.length / 32));
    this.topSn = new Float64Array(this.nbins).fill(Infinity);
    this.topStart = new Float64Array(this.nbins).fill(Infinity);
    this.tables = binTablesFor(pad);
    this.bySerial = order === 'psz-sn-addr';
  }

  /** Only sets in (serial, address) order keep these: first fit reads them, best fit does not. */
  private refreshTop(b: number, heap: ExtentHeap): void {
    if (heap.length === 0) {
      this.topSn[b] = Infinity;
      this.topStart[b] = Infinity;
    } else {
      this.topSn[b] = heap.keySn[0]!;
      this.topStart[b] = heap.keyStart[0]!;
    }
  }

  private binOf(size: number): number {
    if (!this.bySerial) return Math.min(this.nbins - 1, size / PAGE);
    const pages = size / PAGE;
    return pages <= BIN_TABLE_PAGES && Number.isInteger(pages) ? this.tables.floor[pages]! : pszCeilIndex(pszQuantizeFloor(size, this.pad));
  }

  /** The first bin whose every extent fits `size` (sz_psz2ind of sz_psz_quantize_ceil). */
  private fitBin(size: number): number {
    const pages = size / PAGE;
    return pages <= BIN_TABLE_PAGES && Number.isInteger(pages) ? this.tables.ceil[pages]! : pszCeilIndex(pszQuantizeCeil(size, this.pad));
  }

  insert(e: number): void {
    const pool = this.pool;
    pool.state[e] = this.state;
    const start = pool.start[e]!;
    const size = pool.size[e]!;
    const b = this.binOf(size);
    pool.setBin[e] = b;
    const heap = this.heaps[b]!;
    heap.pushKeyed(e, this.bySerial ? pool.sn[e]! : 0, start);
    if (heap.items[0] === e && this.bySerial) this.refreshTop(b, heap);
    if (heap.length === 1) {
      const w = b >>> 5;
      if (this.nonEmpty[w] === 0) this.nonEmptyWords[w >>> 5] = (this.nonEmptyWords[w >>> 5]! | (1 << (w & 31))) >>> 0;
      this.nonEmpty[w] = (this.nonEmpty[w]! | (1 << (b & 31))) >>> 0;
    }
    pool.lruPrev[e] = this.lruTail;
    pool.lruNext[e] = NONE;
    if (this.lruTail !== NONE) pool.lruNext[this.lruTail] = e;
    else this.lruHead = e;
    this.lruTail = e;
    pool.byStart.set(start, e);
    pool.byEnd.set(start + size, e);
    this.npages += size / PAGE;
    this.count++;
  }

  /** Take `e` out of the set; the caller sets its new state. */
  remove(e: number): void {
    const pool = this.pool;
    // An extent's size does not change while it is in a set, so neither does its bin.
    const b = pool.setBin[e]!;
    const heap = this.heaps[b]!;
    const wasTop = heap.items[0] === e;
    heap.remove(e);
    if (wasTop && this.bySerial) this.refreshTop(b, heap);
    if (heap.length === 0) {
      const w = b >>> 5;
      const word = (this.nonEmpty[w]! & ~(1 << (b & 31))) >>> 0;
      this.nonEmpty[w] = word;
      if (word === 0) this.nonEmptyWords[w >>> 5] = (this.nonEmptyWords[w >>> 5]! & ~(1 << (w & 31))) >>> 0;
    }
    const p = pool.lruPrev[e]!;
    const n = pool.lruNext[e]!;
    if (p !== NONE) pool.lruNext[p] = n;
    else this.lruHead = n;
    if (n !== NONE) pool.lruPrev[n] = p;
    else this.lruTail = p;
    const start = pool.start[e]!;
    const size = pool.size[e]!;
    pool.byStart.delete(start);
    pool.byEnd.delete(start + size);
    this.npages -= size / PAGE;
    this.count--;
    pool.state[e] = ST_ACTIVE;
  }

  /** First non-empty bin ≥ `from`, or −1. */
  private nextBin(from: number): number {
    const nonEmpty = this.nonEmpty;
    let w = from >>> 5;
    if (w >= nonEmpty.length) return -1;
    let word = nonEmpty[w]! & ~((1 << (from & 31)) - 1);
    if (word === 0) {
      // The next non-empty word, from the summary bitmap.
      const summary = this.nonEmptyWords;
      w++;
      let s = w >>> 5;
      if (s >= summary.length) return -1;
      let sword = summary[s]! & ~((1 << (w & 31)) - 1);
      while (sword === 0) {
        if (++s >= summary.length) return -1;
        sword = summary[s]! | 0;
      }
      w = s * 32 + 31 - Math.clz32(sword & -sword);
      word = nonEmpty[w]! | 0;
    }
    return w * 32 + 31 - Math.clz32(word & -word);
  }

  /**
   * jemalloc 5 eset_first_fit: among the bins that surely fit `size`, the extent
   * with the lowest (serial, address); bins whose class exceeds size·2^lgMaxFit
   * are not considered (opt_lg_extent_max_active_fit, dirty cache only).
   */
  firstFit(size: number, lgMaxFit: number): number {
    if (this.count === 0) return NONE;
    const from = this.fitBin(size);
    // A shift for the usual exponents: `2 ** n` with a variable n is a Math.pow call.
    const to = lgMaxFit >= 64 ? this.nbins - 1 : this.lastBinAtMost(lgMaxFit < 31 ? size * (1 << lgMaxFit) : size * 2 ** lgMaxFit);
    if (from > to) return NONE;
    let best = -1;
    let bestSn = Infinity;
    let bestStart = Infinity;
    const topSn = this.topSn;
    const topStart = this.topStart;
    const nonEmpty = this.nonEmpty;
    // Every non-empty bin in [from, to], word by word, lowest bit first.
    const lastWord = to >>> 5;
    for (let w = from >>> 5; w <= lastWord; w++) {
      let word = nonEmpty[w]! | 0;
      if (w === from >>> 5) word &= ~((1 << (from & 31)) - 1);
      if (w === lastWord && (to & 31) !== 31) word &= (1 << ((to & 31) + 1)) - 1;
      while (word !== 0) {
        const low = word & -word;
        word ^= low;
        const b = w * 32 + 31 - Math.clz32(low);
        const sn = topSn[b]!;
        if (sn < bestSn || (sn === bestSn && topStart[b]! < bestStart)) {
          best = b;
          bestSn = sn;
          bestStart = topStart[b]!;
        }
      }
    }
    return best < 0 ? NONE : this.heaps[best]!.top();
  }

  /** The last bin whose page-size class is at most `bytes` (−1 if none). */
  private lastBinAtMost(bytes: number): number {
    const last = this.nbins - 1;
    if (bytes >= pszSize(last)) return last;
    const i = pszCeilIndex(bytes);
    return pszSize(i) === bytes ? i : i - 1;
  }

  /** jemalloc 3 runs_avail: the smallest extent ≥ size, lowest address among equals. */
  bestFit(size: number): number {
    const b = this.nextBin(Math.min(this.nbins - 1, size / PAGE));
    if (b < 0) return NONE;
    // The last bin collects everything at or above its size: check it fits.
    const e = this.heaps[b]!.top();
    return this.pool.size[e]! >= size ? e : NONE;
  }

  /** Inactive extents of this set in LRU order (oldest first), for reports. */
  *members(): Generator<number> {
    for (let e = this.lruHead; e !== NONE; e = this.pool.lruNext[e]!) yield e;
  }
}

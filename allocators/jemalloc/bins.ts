// Arena bins (src/arena.c @5.3.0): one per small size class, each with a
// current slab (slabcur) and a heap of non-full slabs ordered by (serial,
// address). Regions are handed out lowest free index first; slab metadata
// (the region bitmap) is out of band, so slab pages become resident only as
// the program writes its regions.
import { ExtentHeap, type ExtentPool, NONE } from './extents.ts';
import type { PageAllocator } from './page-allocator.ts';
import type { PageMap } from './page-map.ts';
import { PAGE, type SmallClass } from './size-classes.ts';
import { lgWordsFor, SlabBitmaps } from './slab-bitmaps.ts';

/**
 * A live slab's record in Bins.rec, indexed by its slab slot (a dense index
 * of live slabs, reused last in first out, so that the records of the live
 * slabs stay together however many other extents there are): 32 bytes
 * holding everything the region paths read, the region bitmap included when
 * it is at most 2^INLINE_LG words (64 regions), so that a free() or a fill
 * of such a slab touches one cache line of slab state. Word offsets in a
 * Uint32Array; the start address is a float64 over words 0–1. The page map
 * and the thread cache name a slab's blocks by slot. 32 bytes rather than a
 * whole line with a larger inline bitmap: free-list-torture keeps over a
 * million slabs live, and records twice the size cost more in memory
 * traffic than the second line they save for classes of many regions.
 */
const REC = 8;
const R_NFREE = 2;
const R_BIN = 3;
/** The slab's extent. */
const R_EXTENT = 4;
/** Offset in SlabBitmaps.words of a bitmap too large to sit inline. */
const R_BITMAP = 5;
/** The inline bitmap: words 6–7. */
const R_INLINE = 6;
/** log2 of the largest bitmap kept inline. */
const INLINE_LG = 1;

export class Bins {
  /** slabcur per bin. */
  readonly slabcur: Int32Array;
  readonly nonfull: ExtentHeap[] = [];
  /** Live slabs per bin (for reports). */
  readonly nslabs: Int32Array;
  /** Region size, regions per slab and slab bytes per bin, as typed arrays for the per-event paths. */
  private readonly regSize: Float64Array;
  /** 1 / region size: free() finds a region's index by a multiplication. */
  private readonly invRegSize: Float64Array;
  private readonly nregs: Int32Array;
  private readonly slabBytes: Float64Array;
  /** log2 of the bitmap words of a slab, per bin. */
  private readonly lgWords: Int8Array;
  /** Region bitmaps of live slabs whose class has more than 2^INLINE_LG words of them. */
  private readonly bitmaps = new SlabBitmaps();
  /** Slab records (REC words per slab slot); valid while the slot holds a live slab. */
  private rec = new Uint32Array(256 * REC);
  /** The same records as float64, for the start address (at index slot · REC / 2). */
  private recStart = new Float64Array(this.rec.buffer);
  /** Slots handed out so far, and released ones (reused last in first out). */
  private slotsUsed = 0;
  private freeSlots = new Int32Array(64);
  private nfreeSlots = 0;

  constructor(
    private readonly pool: ExtentPool,
    readonly classes: readonly SmallClass[],
    private readonly pages: PageAllocator,
    private readonly pageMap: PageMap,
  ) {
    this.slabcur = new Int32Array(classes.length).fill(NONE);
    this.nslabs = new Int32Array(classes.length);
    this.regSize = Float64Array.from(classes, (c) => c.size);
    this.invRegSize = Float64Array.from(classes, (c) => 1 / c.size);
    this.nregs = Int32Array.from(classes, (c) => c.nregs);
    this.slabBytes = Float64Array.from(classes, (c) => c.slabBytes);
    this.lgWords = Int8Array.from(classes, (c) => lgWordsFor(c.nregs));
    for (let i = 0; i < classes.length; i++) this.nonfull.push(new ExtentHeap(pool, true));
  }

  /** (serial, address) order of two slabs: edata_snad_comp. */
  private snadLess(a: number, b: number): boolean {
    const pool = this.pool;
    return pool.sn[a]! < pool.sn[b]! || (pool.sn[a]! === pool.sn[b]! && pool.start[a]! < pool.start[b]!);
  }

  /**
   * Hand out up to `n` regions of bin `b` into `out` (their slab slots into
   * `outSlab`) from index `at`, in the order jemalloc's batch fill produces
   * (slabcur first, then the lowest non-full slab, then fresh slabs). Returns
   * how many were produced.
   */
  fill(b: number, n: number, out: Float64Array, outSlab: Int32Array, at: number): number {
    let filled = 0;
    while (filled < n) {
      let slab = this.slabcur[b]!;
      if (slab === NONE || this.rec[this.pool.slabSlot[slab]! * REC + R_NFREE] === 0) {
        slab = this.nonfull[b]!.top();
        if (slab !== NONE) this.nonfull[b]!.remove(slab);
        else {
          slab = this.newSlab(b);
          if (slab === NONE) break;
        }
        this.slabcur[b] = slab;
      }
      filled += this.takeRegions(this.pool.slabSlot[slab]!, b, n - filled, out, outSlab, at + filled);
    }
    return filled;
  }

  /** One region (arena_malloc_small without a thread cache); 0 when out of memory. */
  allocOne(b: number, scratch: Float64Array, scratchSlab: Int32Array): number {
    return this.fill(b, 1, scratch, scratchSlab, 0) === 1 ? scratch[0]! : 0;
  }

  private newSlab(b: number): number {
    const nregs = this.nregs[b]!;
    const slab = this.pages.alloc(this.slabBytes[b]!, PAGE);
    if (slab === NONE) return NONE;
    const pool = this.pool;
    pool.bin[slab] = b;
    const lg = this.lgWords[b]!;
    const slot = this.takeSlot();
    pool.slabSlot[slab] = slot;
    const rec = this.rec;
    const o = slot * REC;
    this.recStart[o >> 1] = pool.start[slab]!;
    rec[o + R_NFREE] = nregs;
    rec[o + R_BIN] = b;
    rec[o + R_EXTENT] = slab;
    let words: Uint32Array;
    let base: number;
    if (lg <= INLINE_LG) {
      words = rec;
      base = o + R_INLINE;
    } else {
      base = this.bitmaps.take(lg);
      rec[o + R_BITMAP] = base;
      words = this.bitmaps.words;
    }
    const full = nregs >>> 5;
    const rest = nregs & 31;
    let w = base;
    for (const fullEnd = base + full; w < fullEnd; w++) words[w] = 0xffffffff;
    if (rest > 0) words[w++] = ((1 << rest) - 1) >>> 0;
    for (const end = base + (1 << lg); w < end; w++) words[w] = 0;
    this.pageMap.registerRange(pool.start[slab]!, this.slabBytes[b]!, slot, b);
    this.nslabs[b]!++;
    return slab;
  }

  /**
   * Take up to `want` regions of a slab, lowest free index first (repeated
   * bitmap_sfu), into out/outSlab from `at`; returns how many. Nothing is freed
   * meanwhile, so one pass over the bitmap words yields them in that order.
   */
  private takeRegions(slot: number, b: number, want: number, out: Float64Array, outSlab: Int32Array, at: number): number {
    const rec = this.rec;
    const o = slot * REC;
    const nfree = rec[o + R_NFREE]!;
    const k = want < nfree ? want : nfree;
    rec[o + R_NFREE] = nfree - k;
    let words: Uint32Array;
    let base: number;
    if (this.lgWords[b]! <= INLINE_LG) {
      words = rec;
      base = o + R_INLINE;
    } else {
      words = this.bitmaps.words;
      base = rec[o + R_BITMAP]!;
    }
    const start = this.recStart[o >> 1]!;
    const regSize = this.regSize[b]!;
    const end = at + k;
    let i = at;
    for (let w = base; i < end; w++) {
      let word = words[w]! | 0;
      if (word === 0) continue;
      const first = (w - base) * 32;
      do {
        const low = word & -word;
        word ^= low;
        out[i] = start + (first + 31 - Math.clz32(low)) * regSize;
        outSlab[i++] = slot;
      } while (word !== 0 && i < end);
      words[w] = word;
    }
    return k;
  }

  /**
   * arena_dalloc_bin_locked_step: free a region of the slab in `slot`; an
   * emptied slab goes back to the page allocator at once.
   */
  free(slot: number, addr: number): void {
    const rec = this.rec;
    const o = slot * REC;
    const b = rec[o + R_BIN]!;
    const start = this.recStart[o >> 1]!;
    // The offset is an exact multiple of the region size (below 2^21), so the
    // product with the rounded reciprocal is within far less than ½ of r.
    const r = Math.round((addr - start) * this.invRegSize[b]!);
    const lg = this.lgWords[b]!;
    if (lg <= INLINE_LG) {
      const w = o + R_INLINE + (r >>> 5);
      rec[w] = rec[w]! | (1 << (r & 31));
    } else {
      const words = this.bitmaps.words;
      const w = rec[o + R_BITMAP]! + (r >>> 5);
      words[w] = words[w]! | (1 << (r & 31));
    }
    const nfree = rec[o + R_NFREE]! + 1;
    rec[o + R_NFREE] = nfree;
    const nregs = this.nregs[b]!;
    if (nfree === nregs) {
      const slab = rec[o + R_EXTENT]!;
      // arena_dissociate_bin_slab: slabcur, or a non-full slab (a full one is in no list).
      if (this.slabcur[b] === slab) this.slabcur[b] = NONE;
      else if (nregs > 1) this.nonfull[b]!.remove(slab);
      this.pageMap.unregisterRange(start, this.slabBytes[b]!);
      if (lg > INLINE_LG) this.bitmaps.release(rec[o + R_BITMAP]!, lg);
      this.pool.bin[slab] = -1;
      this.releaseSlot(slot);
      this.nslabs[b]!--;
      this.pages.dalloc(slab);
    } else if (nfree === 1) {
      const slab = rec[o + R_EXTENT]!;
      if (this.slabcur[b] !== slab) this.lowerSlab(b, slab);
    }
  }

  /** arena_bin_lower_slab: a slab that was full becomes slabcur if it is older or lower. */
  private lowerSlab(b: number, slab: number): void {
    const cur = this.slabcur[b]!;
    if (cur !== NONE && this.snadLess(slab, cur)) {
      if (this.nfreeOf(cur) > 0) this.nonfull[b]!.push(cur);
      this.slabcur[b] = slab;
    } else {
      this.nonfull[b]!.push(slab);
    }
  }

  /** Free regions of a live slab (an extent). */
  nfreeOf(slab: number): number {
    return this.rec[this.pool.slabSlot[slab]! * REC + R_NFREE]!;
  }

  /** The extent of the live slab in `slot`. */
  extentOfSlot(slot: number): number {
    return this.rec[slot * REC + R_EXTENT]!;
  }

  private takeSlot(): number {
    if (this.nfreeSlots > 0) return this.freeSlots[--this.nfreeSlots]!;
    const slot = this.slotsUsed++;
    if (this.slotsUsed * REC > this.rec.length) {
      const grown = new Uint32Array(this.rec.length * 2);
      grown.set(this.rec);
      this.rec = grown;
      this.recStart = new Float64Array(grown.buffer);
    }
    return slot;
  }

  private releaseSlot(slot: number): void {
    if (this.nfreeSlots === this.freeSlots.length) {
      const grown = new Int32Array(this.freeSlots.length * 2);
      grown.set(this.freeSlots);
      this.freeSlots = grown;
    }
    this.freeSlots[this.nfreeSlots++] = slot;
  }

  /** Partly used slabs (some regions free, some live), for the slab-slack finding. */
  *partlyUsedSlabs(): Generator<number> {
    for (let b = 0; b < this.classes.length; b++) {
      const cur = this.slabcur[b]!;
      if (cur !== NONE && this.nfreeOf(cur) > 0) yield cur;
      const heap = this.nonfull[b]!;
      for (let i = 0; i < heap.length; i++) yield heap.items[i]!;
    }
  }
}

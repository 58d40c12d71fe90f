// Arena bins (src/arena.c @5.3.0): one per small size class, each with a
// current slab (slabcur) and a heap of non-full slabs ordered by (serial,
// address). Regions are handed out lowest free index first; slab metadata
// (the region bitmap) is out of band, so slab pages become resident only as
// the program writes its regions.
import { ExtentHeap, type ExtentPool, NONE } from './extents.ts';
import type { PageAllocator } from './page-allocator.ts';
import type { PageMap } from './page-map.ts';
import { PAGE, type SmallClass } from './size-classes.ts';

/**
 * 32-bit words of region bitmap per slab: enough for the most regions a slab
 * holds (512, the 8-byte class in one page).
 */
const SLAB_BITMAP_WORDS = 16;

export class Bins {
  /** slabcur per bin. */
  readonly slabcur: Int32Array;
  readonly nonfull: ExtentHeap[] = [];
  /** Live slabs per bin (for reports). */
  readonly nslabs: Int32Array;
  /** Region size, regions per slab and slab bytes per bin, as typed arrays for the per-event paths. */
  private readonly regSize: Float64Array;
  private readonly nregs: Int32Array;
  private readonly slabBytes: Float64Array;
  /**
   * Region bitmaps of live slabs (1 = free), SLAB_BITMAP_WORDS words per
   * bitmap slot, in one array: a free() reaches its bit without chasing an
   * object. Slots are recycled, so the array follows the number of slabs.
   */
  private words = new Uint32Array(64 * SLAB_BITMAP_WORDS);
  private freeSlots = new Int32Array(64);
  private nfreeSlots = 0;
  private slotsUsed = 0;

  constructor(
    private readonly pool: ExtentPool,
    readonly classes: readonly SmallClass[],
    private readonly pages: PageAllocator,
    private readonly pageMap: PageMap,
  ) {
    this.slabcur = new Int32Array(classes.length).fill(NONE);
    this.nslabs = new Int32Array(classes.length);
    this.regSize = Float64Array.from(classes, (c) => c.size);
    this.nregs = Int32Array.from(classes, (c) => c.nregs);
    this.slabBytes = Float64Array.from(classes, (c) => c.slabBytes);
    for (const c of classes) {
      if (c.nregs > SLAB_BITMAP_WORDS * 32) throw new Error(`jemalloc model: a ${c.size}-byte class has ${c.nregs} regions a slab, more than the bitmap holds`);
    }
    for (let i = 0; i < classes.length; i++) this.nonfull.push(new ExtentHeap(pool, true));
  }

  /** (serial, address) order of two slabs: edata_snad_comp. */
  private snadLess(a: number, b: number): boolean {
    const pool = this.pool;
    return pool.sn[a]! < pool.sn[b]! || (pool.sn[a] === pool.sn[b] && pool.start[a]! < pool.start[b]!);
  }

  /**
   * Hand out up to `n` regions of bin `b` into `out` (their slabs into
   * `outSlab`) from index `at`, in the order jemalloc's batch fill produces
   * (slabcur first, then the lowest non-full slab, then fresh slabs). Returns
   * how many were produced.
   */
  fill(b: number, n: number, out: Float64Array, outSlab: Int32Array, at: number): number {
    let filled = 0;
    while (filled < n) {
      let slab = this.slabcur[b]!;
      if (slab === NONE || this.pool.nfree[slab] === 0) {
        slab = this.nonfull[b]!.top();
        if (slab !== NONE) this.nonfull[b]!.remove(slab);
        else {
          slab = this.newSlab(b);
          if (slab === NONE) break;
        }
        this.slabcur[b] = slab;
      }
      while (filled < n && this.pool.nfree[slab]! > 0) {
        outSlab[at + filled] = slab;
        out[at + filled++] = this.takeRegion(slab, b);
      }
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
    pool.nfree[slab] = nregs;
    const slot = this.takeSlot();
    pool.slabSlot[slab] = slot;
    const words = this.words;
    const base = slot * SLAB_BITMAP_WORDS;
    const full = nregs >>> 5;
    const rest = nregs & 31;
    for (let w = 0; w < SLAB_BITMAP_WORDS; w++) words[base + w] = w < full ? 0xffffffff : w === full && rest > 0 ? ((1 << rest) - 1) >>> 0 : 0;
    this.pageMap.registerRange(pool.start[slab]!, this.slabBytes[b]!, slab);
    this.nslabs[b]!++;
    return slab;
  }

  /** Lowest free region of a slab (bitmap_sfu). */
  private takeRegion(slab: number, b: number): number {
    const pool = this.pool;
    const words = this.words;
    const base = pool.slabSlot[slab]! * SLAB_BITMAP_WORDS;
    let w = base;
    while (words[w] === 0) w++;
    const word = words[w]!;
    const bit = 31 - Math.clz32((word & -word) >>> 0);
    words[w] = (word & ~(1 << bit)) >>> 0;
    pool.nfree[slab]!--;
    return pool.start[slab]! + ((w - base) * 32 + bit) * this.regSize[b]!;
  }

  /** arena_dalloc_bin_locked_step: free a region; an emptied slab goes back to the page allocator at once. */
  free(slab: number, addr: number): void {
    const pool = this.pool;
    const b = pool.bin[slab]!;
    const r = (addr - pool.start[slab]!) / this.regSize[b]!;
    const words = this.words;
    const w = pool.slabSlot[slab]! * SLAB_BITMAP_WORDS + (r >>> 5);
    words[w] = (words[w]! | (1 << (r & 31))) >>> 0;
    const nfree = ++pool.nfree[slab]!;
    const nregs = this.nregs[b]!;
    if (nfree === nregs) {
      // arena_dissociate_bin_slab: slabcur, or a non-full slab (a full one is in no list).
      if (this.slabcur[b] === slab) this.slabcur[b] = NONE;
      else if (nregs > 1) this.nonfull[b]!.remove(slab);
      this.pageMap.unregisterRange(pool.start[slab]!, this.slabBytes[b]!);
      this.releaseSlot(pool.slabSlot[slab]!);
      pool.bin[slab] = -1;
      this.nslabs[b]!--;
      this.pages.dalloc(slab);
    } else if (nfree === 1 && this.slabcur[b] !== slab) {
      this.lowerSlab(b, slab);
    }
  }

  private takeSlot(): number {
    if (this.nfreeSlots > 0) return this.freeSlots[--this.nfreeSlots]!;
    const slot = this.slotsUsed++;
    if (slot * SLAB_BITMAP_WORDS >= this.words.length) {
      const grown = new Uint32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
      const slots = new Int32Array(this.freeSlots.length * 2);
      slots.set(this.freeSlots);
      this.freeSlots = slots;
    }
    return slot;
  }

  private releaseSlot(slot: number): void {
    this.freeSlots[this.nfreeSlots++] = slot;
  }

  /** arena_bin_lower_slab: a slab that was full becomes slabcur if it is older or lower. */
  private lowerSlab(b: number, slab: number): void {
    const cur = this.slabcur[b]!;
    if (cur !== NONE && this.snadLess(slab, cur)) {
      if (this.pool.nfree[cur]! > 0) this.nonfull[b]!.push(cur);
      this.slabcur[b] = slab;
    } else {
      this.nonfull[b]!.push(slab);
    }
  }

  /** Partly used slabs (some regions free, some live), for the slab-slack finding. */
  *partlyUsedSlabs(): Generator<number> {
    for (let b = 0; b < this.classes.length; b++) {
      const cur = this.slabcur[b]!;
      if (cur !== NONE && this.pool.nfree[cur]! > 0) yield cur;
      const heap = this.nonfull[b]!;
      for (let i = 0; i < heap.length; i++) yield heap.items[i]!;
    }
  }
}

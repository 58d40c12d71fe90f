// Arena bins (src/arena.c @5.3.0): one per small size class, each with a
// current slab (slabcur) and a heap of non-full slabs ordered by (serial,
// address). Regions are handed out lowest free index first; slab metadata
// (the region bitmap) is out of band, so slab pages become resident only as
// the program writes its regions.
import { ExtentHeap, type ExtentPool, NONE } from './extents.ts';
import type { PageAllocator } from './page-allocator.ts';
import type { PageMap } from './page-map.ts';
import { PAGE, type SmallClass } from './size-classes.ts';

export class Bins {
  /** slabcur per bin. */
  readonly slabcur: Int32Array;
  readonly nonfull: ExtentHeap[] = [];
  /** Live slabs per bin (for reports). */
  readonly nslabs: Int32Array;

  constructor(
    private readonly pool: ExtentPool,
    readonly classes: readonly SmallClass[],
    private readonly pages: PageAllocator,
    private readonly pageMap: PageMap,
  ) {
    this.slabcur = new Int32Array(classes.length).fill(NONE);
    this.nslabs = new Int32Array(classes.length);
    const less = (a: number, b: number): boolean => {
      const d = pool.sn[a]! - pool.sn[b]!;
      return d < 0 || (d === 0 && pool.start[a]! < pool.start[b]!);
    };
    for (let i = 0; i < classes.length; i++) this.nonfull.push(new ExtentHeap(pool, less));
  }

  /** (serial, address) order of two slabs: edata_snad_comp. */
  private snadLess(a: number, b: number): boolean {
    const pool = this.pool;
    return pool.sn[a]! < pool.sn[b]! || (pool.sn[a] === pool.sn[b] && pool.start[a]! < pool.start[b]!);
  }

  /**
   * Hand out up to `n` regions of bin `b` into `out` from index `at`, in the
   * order jemalloc's batch fill produces (slabcur first, then the lowest
   * non-full slab, then fresh slabs). Returns how many were produced.
   */
  fill(b: number, n: number, out: Float64Array, at: number): number {
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
      while (filled < n && this.pool.nfree[slab]! > 0) out[at + filled++] = this.takeRegion(slab, b);
    }
    return filled;
  }

  /** One region (arena_malloc_small without a thread cache); 0 when out of memory. */
  allocOne(b: number, scratch: Float64Array): number {
    return this.fill(b, 1, scratch, 0) === 1 ? scratch[0]! : 0;
  }

  private newSlab(b: number): number {
    const cls = this.classes[b]!;
    const slab = this.pages.alloc(cls.slabBytes, PAGE);
    if (slab === NONE) return NONE;
    const pool = this.pool;
    pool.bin[slab] = b;
    pool.nfree[slab] = cls.nregs;
    const bits = new Uint32Array(Math.ceil(cls.nregs / 32));
    for (let r = 0; r < cls.nregs; r++) bits[r >>> 5] = (bits[r >>> 5]! | (1 << (r & 31))) >>> 0;
    pool.slabBits[slab] = bits;
    this.pageMap.registerRange(pool.start[slab]!, cls.slabBytes, slab);
    this.nslabs[b]!++;
    return slab;
  }

  /** Lowest free region of a slab (bitmap_sfu). */
  private takeRegion(slab: number, b: number): number {
    const bits = this.pool.slabBits[slab]!;
    let w = 0;
    while (bits[w] === 0) w++;
    const word = bits[w]!;
    const bit = 31 - Math.clz32((word & -word) >>> 0);
    bits[w] = (word & ~(1 << bit)) >>> 0;
    this.pool.nfree[slab]!--;
    return this.pool.start[slab]! + (w * 32 + bit) * this.classes[b]!.size;
  }

  /** arena_dalloc_bin_locked_step: free a region; an emptied slab goes back to the page allocator at once. */
  free(slab: number, addr: number): void {
    const pool = this.pool;
    const b = pool.bin[slab]!;
    const cls = this.classes[b]!;
    const r = (addr - pool.start[slab]!) / cls.size;
    const bits = pool.slabBits[slab]!;
    bits[r >>> 5] = (bits[r >>> 5]! | (1 << (r & 31))) >>> 0;
    const nfree = ++pool.nfree[slab]!;
    if (nfree === cls.nregs) {
      // arena_dissociate_bin_slab: slabcur, or a non-full slab (a full one is in no list).
      if (this.slabcur[b] === slab) this.slabcur[b] = NONE;
      else if (cls.nregs > 1) this.nonfull[b]!.remove(slab);
      this.pageMap.unregisterRange(pool.start[slab]!, cls.slabBytes);
      pool.slabBits[slab] = null;
      pool.bin[slab] = -1;
      this.nslabs[b]!--;
      this.pages.dalloc(slab);
    } else if (nfree === 1 && this.slabcur[b] !== slab) {
      this.lowerSlab(b, slab);
    }
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

// Per-thread caches (src/tcache.c, cache_bin.h @5.3.0; tcache.c @5.1.0, 3.6.0):
// a LIFO stack per small size class and per large class up to tcache_max. A
// miss refills ncached_max >> lg_fill_div regions; a free into a full stack
// first flushes its older half back to the arena. Incremental GC visits one
// bin per GC event (the schedule is the model's: bytes in 5.3, operation
// counts in 5.1 and 3.6) and returns ¾ of what sat below the bin's low-water
// mark since its last visit, so cached blocks that go unused drain back to
// their slabs, and the fill count adapts: halved after a bin had idle
// entries, doubled after it ran dry and refilled.

/** tcache_ncached_max_compute (5.3): 2·nregs rounded up to even, clamped to [20, 200]. */
export function ncachedMax5(nregs: number): number {
  let candidate = nregs * 2;
  if (candidate % 2 !== 0) candidate++;
  return Math.min(200, Math.max(20, candidate));
}

/** tcache_boot (3.6): 2·nregs, at most TCACHE_NSLOTS_SMALL_MAX 200, no minimum. */
export function ncachedMax3(nregs: number): number {
  return Math.min(200, nregs * 2);
}

/** TCACHE_NSLOTS_LARGE / opt_tcache_nslots_large. */
export const LARGE_SLOTS = 20;

export class ThreadCache {
  /**
   * Every bin's stack in one array: bin b holds slots [base[b], base[b] +
   * ncachedMax[b]), the top of its stack (most recent) at base[b] + count − 1.
   */
  private readonly slots: Float64Array;
  /** Where each cached block goes back to: its slab slot in Bins (small bins) or its extent (large bins), so that a flush needs no page-map lookups. */
  private readonly slotExtent: Int32Array;
  private readonly base: Int32Array;
  readonly counts: Int32Array;
  /** Fewest entries each bin held since its last GC visit (cache_bin low_water). */
  readonly lowWater: Int32Array;
  /** Per bin: a pop found it empty since its last GC visit (5.3 bin_refilled, 5.1/3.6 low_water −1). */
  private readonly missed: Uint8Array;
  /** Per bin: a fill brings ncached_max >> lgFillDiv entries. */
  readonly lgFillDiv: Int32Array;
  /** The bin the next GC event visits (tcache next_gc_bin). */
  nextGcBin = 0;
  /** GC schedule state kept per thread by the model: bytes (5.3) or operations (5.1, 3.6) since the last GC event. */
  allocSinceGc = 0;
  dallocSinceGc = 0;
  constructor(
    readonly ncachedMax: Int32Array,
    /** Bins below this index are small (slab regions); the rest cache large extents. */
    private readonly nsmall: number,
  ) {
    this.base = new Int32Array(ncachedMax.length);
    let total = 0;
    for (let b = 0; b < ncachedMax.length; b++) {
      this.base[b] = total;
      total += ncachedMax[b]!;
    }
    this.slots = new Float64Array(total);
    this.slotExtent = new Int32Array(total);
    this.counts = new Int32Array(ncachedMax.length);
    this.lowWater = new Int32Array(ncachedMax.length);
    this.missed = new Uint8Array(ncachedMax.length);
    this.lgFillDiv = new Int32Array(ncachedMax.length).fill(1);
  }

  /** Most recently cached address of bin `b`, or 0 when empty. */
  pop(b: number): number {
    const n = this.counts[b]!;
    if (n === 0) {
      this.missed[b] = 1;
      return 0;
    }
    this.counts[b] = n - 1;
    if (n - 1 < this.lowWater[b]!) this.lowWater[b] = n - 1;
    return this.slots[this.base[b]! + n - 1]!;
  }

  /** How many entries a refill of small bin `b` brings (tcache_alloc_small_hard). */
  fillCount(b: number): number {
    return this.ncachedMax[b]! >> this.lgFillDiv[b]!;
  }

  /**
   * tcache_event's work on the bin whose turn it is (then the turn moves on):
   * returns that bin and how many of its entries to keep, the oldest of the
   * rest to be flushed by the caller (keep < cachedCount), or keep −1 when
   * nothing is flushed. Written into `plan` [bin, keep] to stay allocation-free.
   */
  gcStep(plan: Int32Array): void {
    const b = this.nextGcBin;
    this.nextGcBin = b + 1 === this.ncachedMax.length ? 0 : b + 1;
    const n = this.counts[b]!;
    const low = this.lowWater[b]!;
    const small = b < this.nsmall;
    let keep = -1;
    if (low > 0) {
      // Flush ¾ (rounded up) of what stayed below the low-water mark.
      keep = n - (low - (low >> 2));
      if (small && this.ncachedMax[b]! >> (this.lgFillDiv[b]! + 1) >= 1) this.lgFillDiv[b] = this.lgFillDiv[b]! + 1;
    } else if (small && this.missed[b] === 1 && this.lgFillDiv[b]! > 1) {
      this.lgFillDiv[b] = this.lgFillDiv[b]! - 1;
    }
    this.missed[b] = 0;
    this.lowWater[b] = keep >= 0 ? keep : n;
    plan[0] = b;
    plan[1] = keep;
  }

  isFull(b: number): boolean {
    return this.counts[b] === this.ncachedMax[b];
  }

  /** Cache `addr`, with its slab slot (small bin) or extent (large bin) `e`. */
  push(b: number, addr: number, e: number): void {
    const n = this.counts[b]!;
    const at = this.base[b]! + n;
    this.slots[at] = addr;
    this.slotExtent[at] = e;
    this.counts[b] = n + 1;
  }

  /**
   * Put a batch from the arena in the stack so that `batch[0]` is handed out
   * first, as cache_bin_finish_fill arranges it.
   */
  pushFill(b: number, batch: Float64Array, batchExtent: Int32Array, n: number): void {
    const top = this.base[b]! + this.counts[b]!;
    for (let i = 0; i < n; i++) {
      this.slots[top + i] = batch[n - 1 - i]!;
      this.slotExtent[top + i] = batchExtent[n - 1 - i]!;
    }
    this.counts[b] = this.counts[b]! + n;
  }

  /**
   * Take out the oldest entries so that `keep` (the most recent) stay, as
   * tcache_bin_flush_small/large do, oldest first into `out` (their extents
   * into `outExtent`); the caller returns them to the arena. Returns how many
   * were taken.
   */
  flush(b: number, keep: number, out: Float64Array, outExtent: Int32Array): number {
    const n = this.counts[b]!;
    if (n <= keep) return 0;
    const base = this.base[b]!;
    const nflush = n - keep;
    for (let i = 0; i < nflush; i++) {
      out[i] = this.slots[base + i]!;
      outExtent[i] = this.slotExtent[base + i]!;
    }
    this.slots.copyWithin(base, base + nflush, base + n);
    this.slotExtent.copyWithin(base, base + nflush, base + n);
    this.counts[b] = keep;
    if (keep < this.lowWater[b]!) this.lowWater[b] = keep;
    return nflush;
  }

  /** Cached entries of bin `b`. */
  cachedCount(b: number): number {
    return this.counts[b]!;
  }

  /** The i-th cached address of bin `b`, oldest first (for reports and checks). */
  cached(b: number, i: number): number {
    return this.slots[this.base[b]! + i]!;
  }
}

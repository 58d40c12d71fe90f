// Per-thread caches (src/tcache.c, cache_bin.h @5.3.0): a LIFO stack per
// small size class and per large class up to tcache_max. A miss refills
// ncached_max >> lg_fill_div regions (lg_fill_div stays 1: tcache GC, which
// adapts it and returns idle regions, is not modelled); a free into a full
// stack first flushes its older half back to the arena.

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
  /** Cached addresses per bin; the top of the stack (most recent) is at count − 1. */
  readonly stacks: Float64Array[];
  readonly counts: Int32Array;
  constructor(readonly ncachedMax: Int32Array) {
    this.stacks = Array.from(ncachedMax, (n) => new Float64Array(n));
    this.counts = new Int32Array(ncachedMax.length);
  }

  /** Most recently cached address of bin `b`, or 0 when empty. */
  pop(b: number): number {
    const n = this.counts[b]!;
    if (n === 0) return 0;
    this.counts[b] = n - 1;
    return this.stacks[b]![n - 1]!;
  }

  isFull(b: number): boolean {
    return this.counts[b] === this.ncachedMax[b];
  }

  push(b: number, addr: number): void {
    const n = this.counts[b]!;
    this.stacks[b]![n] = addr;
    this.counts[b] = n + 1;
  }

  /**
   * Put a batch from the arena in the stack so that `batch[0]` is handed out
   * first, as cache_bin_finish_fill arranges it.
   */
  pushFill(b: number, batch: Float64Array, n: number): void {
    for (let i = n - 1; i >= 0; i--) this.push(b, batch[i]!);
  }

  /**
   * Flush the oldest entries so that `keep` (the most recent) stay, as
   * tcache_bin_flush_small/large do; `sink` returns each to the arena.
   * Returns how many were flushed.
   */
  flush(b: number, keep: number, sink: (addr: number) => void): number {
    const n = this.counts[b]!;
    if (n <= keep) return 0;
    const stack = this.stacks[b]!;
    const nflush = n - keep;
    for (let i = 0; i < nflush; i++) sink(stack[i]!);
    stack.copyWithin(0, nflush, n);
    this.counts[b] = keep;
    return nflush;
  }

  /** Cached entries of every bin. */
  cachedCount(b: number): number {
    return this.counts[b]!;
  }
}

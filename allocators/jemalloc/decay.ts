// Time-based purging (jemalloc 5 src/decay.c @5.3.0) on the trace clock, and
// the two seeded random sources the allocator uses (decay deadline jitter, the
// geometric decay ticker). jemalloc seeds these from addresses; we seed them
// from fixed constants so that a replay is byte-for-byte repeatable.

export const SMOOTHSTEP_NSTEPS = 200;
const SMOOTHSTEP_BFP = 24;

/**
 * h[i] = smootherstep((i+1)/200) in 24-bit fixed point, truncated, as
 * smoothstep.h tabulates it: the share of pages dirtied (200−i) epochs ago
 * that may still be dirty.
 */
export const H_STEPS: Float64Array = (() => {
  const h = new Float64Array(SMOOTHSTEP_NSTEPS);
  for (let i = 0; i < SMOOTHSTEP_NSTEPS; i++) {
    const x = (i + 1) / SMOOTHSTEP_NSTEPS;
    const y = x * x * x * (x * (x * 6 - 15) + 10);
    h[i] = Math.floor(y * 2 ** SMOOTHSTEP_BFP + 1e-9);
  }
  return h;
})();

/** jemalloc's 32-bit linear congruential generator (prng.h PRNG_A_32/PRNG_C_32), seeded. */
export class Lcg32 {
  constructor(private state: number) {
    this.state = state >>> 0;
  }

  /** Next state, as a uint32. */
  next(): number {
    this.state = (Math.imul(this.state, 1103515245) + 12345) >>> 0;
    return this.state;
  }

  /** Uniform integer in [0, 2^lg), from the high bits as prng_lg_range does. */
  lgRange(lg: number): number {
    return lg === 0 ? 0 : this.next() >>> (32 - lg);
  }

  /** Uniform integer in [0, range) for ranges up to 2^53. */
  range(range: number): number {
    const hi = this.next() >>> 5; // 27 bits
    const lo = this.next() >>> 6; // 26 bits
    return Math.floor(((hi * 2 ** 26 + lo) / 2 ** 53) * range);
  }
}

/** ticker.c's table: 61·(−ln(u)) scaled, for u sampled in 64 steps. */
const TICKER_GEOM_TABLE = [
  254, 211, 187, 169, 156, 144, 135, 127, 120, 113, 107, 102, 97, 93, 89, 85, 81, 77, 74, 71, 68, 65, 62, 60, 57, 55, 53, 50, 48, 46, 44,
  42, 40, 39, 37, 35, 33, 32, 30, 29, 27, 26, 24, 23, 21, 20, 19, 18, 16, 15, 14, 13, 12, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
];
const TICKER_GEOM_MUL = 61;

/**
 * The decay ticker: each allocator operation at arena level ticks it, and when
 * it fires the arena checks whether a decay epoch has passed. 5.3 uses a
 * per-thread geometric countdown with mean ≈ nticks (ticker_geom_t); 5.0/5.1
 * a fixed countdown of nticks per thread and arena (ticker_t).
 */
export class DecayTicker {
  private tick: number;
  constructor(
    private readonly nticks: number,
    private readonly geometric: boolean,
    private readonly rng: Lcg32,
  ) {
    this.tick = nticks;
  }

  /** Count `n` operations; true when the ticker fires. */
  ticks(n: number): boolean {
    this.tick -= n;
    if (this.tick >= 0) return false;
    this.tick = this.geometric ? Math.floor((this.nticks * TICKER_GEOM_TABLE[this.rng.lgRange(6)]!) / TICKER_GEOM_MUL) : this.nticks;
    return true;
  }
}

/** One decay state (decay_t): epochs of decay_ms/200 with a backlog of newly dirtied pages. */
export class Decay {
  readonly decayMs: number;
  readonly intervalNs: number;
  epochNs: number;
  deadlineNs = 0;
  /** Pages dirtied per epoch, oldest first; backlog[199] is the newest epoch. */
  readonly backlog = new Float64Array(SMOOTHSTEP_NSTEPS);
  nunpurged = 0;
  npagesLimit = 0;
  private readonly jitter: Lcg32;

  constructor(decayMs: number, nowNs: number, seed: number) {
    this.decayMs = decayMs;
    this.intervalNs = decayMs > 0 ? Math.floor((decayMs * 1e6) / SMOOTHSTEP_NSTEPS) : 0;
    this.epochNs = nowNs;
    this.jitter = new Lcg32(seed);
    this.initDeadline();
  }

  /** decay_ms > 0: purging follows the curve; 0 purges at once, −1 never. */
  get gradual(): boolean {
    return this.decayMs > 0;
  }

  private initDeadline(): void {
    this.deadlineNs = this.epochNs + this.intervalNs;
    if (this.decayMs > 0) this.deadlineNs += this.jitter.range(this.intervalNs);
  }

  /** Σ backlog[i]·h[i] >> 24: how many dirty pages may remain now. */
  private backlogLimit(): number {
    let sum = 0;
    for (let i = 0; i < SMOOTHSTEP_NSTEPS; i++) sum += this.backlog[i]! * H_STEPS[i]!;
    return Math.floor(sum / 2 ** SMOOTHSTEP_BFP);
  }

  /**
   * decay_maybe_advance_epoch: if the deadline has passed, move the epoch on by
   * whole intervals, shift the backlog and record the pages dirtied since the
   * last epoch. Returns whether the epoch advanced (only then does purging run).
   */
  maybeAdvance(nowNs: number, npagesCurrent: number): boolean {
    if (nowNs < this.deadlineNs) return false;
    const nadvance = Math.floor((nowNs - this.epochNs) / this.intervalNs);
    this.epochNs += nadvance * this.intervalNs;
    this.initDeadline();
    const b = this.backlog;
    if (nadvance >= SMOOTHSTEP_NSTEPS) b.fill(0);
    else {
      b.copyWithin(0, nadvance);
      b.fill(0, SMOOTHSTEP_NSTEPS - nadvance);
    }
    b[SMOOTHSTEP_NSTEPS - 1] = npagesCurrent > this.nunpurged ? npagesCurrent - this.nunpurged : 0;
    this.npagesLimit = this.backlogLimit();
    // As decay.c does: the pages present before this epoch's purge count as
    // already recorded, so the next epoch sees only what is dirtied after it.
    this.nunpurged = Math.max(this.npagesLimit, npagesCurrent);
    return true;
  }

  /**
   * When every page dirty now will have been purged, given activity: pages
   * recorded in backlog slot i leave after i+1 more epochs; pages dirtied since
   * the last epoch enter slot 199 at the next one and leave 200 epochs later.
   */
  purgeCompleteNs(npagesCurrent: number): number {
    if (!this.gradual) return this.epochNs;
    let epochs = 0;
    if (npagesCurrent > this.nunpurged) epochs = SMOOTHSTEP_NSTEPS + 1;
    else {
      for (let i = SMOOTHSTEP_NSTEPS - 1; i >= 0; i--) {
        if (this.backlog[i]! > 0) {
          epochs = i + 1;
          break;
        }
      }
      if (epochs === 0 && npagesCurrent > 0) epochs = SMOOTHSTEP_NSTEPS + 1;
    }
    return this.epochNs + epochs * this.intervalNs;
  }
}

// The states after a run of consecutive events, as columns: the replay loop
// writes one row per event with plain typed-array stores (no call, no boxed
// number per event), and the probe folds a full chunk into its peaks,
// averages and timeline in one tight loop. A chunk is small enough that the
// columns stay in the CPU cache between the two.

/** Rows per chunk: 6 columns × 8 bytes × 1024 = 48 KiB. */
export const SAMPLE_CHUNK = 1024;

export class SampleColumns {
  /** The trace clock after the event. */
  readonly time = new Float64Array(SAMPLE_CHUNK);
  readonly live = new Float64Array(SAMPLE_CHUNK);
  readonly rss = new Float64Array(SAMPLE_CHUNK);
  readonly mapped = new Float64Array(SAMPLE_CHUNK);
  /** Σ (usable − requested) of the live blocks. */
  readonly slack = new Float64Array(SAMPLE_CHUNK);
  /** The largest free address range, NaN when not tracked. */
  readonly free = new Float64Array(SAMPLE_CHUNK);
}

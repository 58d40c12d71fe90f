// The result JSON: the seam between measuring and presenting. Reports, compare
// and exports read only this. Names here are a public contract
// (reports/result.schema.json); add fields, never rename.
import type { RetentionKind } from '../allocators/types.ts';

export const RESULT_SCHEMA = 'heapreplay-result/1';

export interface ResultFile {
  schema: typeof RESULT_SCHEMA;
  tool: { name: 'heapreplay'; version: string; commit?: string | null };
  /** ISO time the file was written (a timing field: ignored when results are compared for identity). */
  createdAt: string;
  /** The options the runs were made with, for the report header. */
  options: RunOptionsRecord;
  runs: RunResult[];
}

export interface RunOptionsRecord {
  touch: 'full' | 'none';
  /** ns per event when the trace has no time column; 0 = time stands still. */
  tickNs: number;
  memoryLimitBytes: number | null;
  addressSpaceBits: 64 | 32;
  /** 32-bit user space size, when addressSpaceBits is 32. */
  userSpaceBytes?: number;
  lenient: boolean;
  /** Shard of the run matrix this file holds ("1/4"), when sharded. */
  shard?: string | null;
}

export interface TraceIdentity {
  name: string;
  path: string;
  events: number;
  sha256: string;
  /** The trace's `# key: value` metadata (source, seed, scale...). */
  meta?: Record<string, string>;
  /** Rows skipped in lenient mode. */
  skippedRows?: number;
}

export interface ModelIdentity {
  /** Registry name, e.g. "obmalloc-arenafree"; for real allocators "glibc (real)". */
  name: string;
  preset: string;
  /** Backing model spec for obmalloc models, e.g. "glibc@2.35". */
  backing?: string | null;
  /** The resolved parameter values (backing params under "backing."). */
  params: Record<string, number | boolean | string>;
  /** The model's own note for the report. */
  note?: { title: string; text: string };
}

export interface MarkRecord {
  label: string;
  /** Index of the mark event in the trace. */
  event: number;
  timeNs: number;
  rssBytes: number;
  liveBytes: number;
  mappedBytes: number;
  /** Resident bytes that hold no live data: rss − live, never below 0. */
  freeResidentBytes: number;
  /** Address-space map at the mark (see AddressMap). */
  map?: AddressMap;
}

/** Rows of cells, after seed 000's pmap script: each cell covers `cellBytes` of address space. */
export interface AddressMap {
  cellBytes: number;
  /** One string per row; '#' resident, '+' partly resident, '.' mapped not resident, ' ' unmapped, 'X' reserved. */
  rows: { start: number; cells: string }[];
}

export interface RetentionRecord {
  /** Label of the mark this finding was taken at ("(end)" for the end of the trace). */
  mark: string;
  kind: RetentionKind;
  bytes: number;
  text: string;
  blockId?: string;
  blockSize?: number;
  blockEvent?: number;
  liveBlocks?: number;
  purgeAtNs?: number;
}

export interface Timeline {
  /** Parallel arrays, at most about 2000 points plus every mark. */
  event: number[];
  timeNs: number[];
  liveBytes: number[];
  rssBytes: number[];
  mappedBytes: number[];
  /** 32-bit mode only: largest free address range at each point. */
  largestFreeBytes?: number[];
}

export interface Fragmentation {
  /** Johnstone & Wilson #1: average RSS over average live, as (rss − live)/live. */
  jw1: number;
  /** #2: at the point of peak live. */
  jw2: number;
  /** #3: at the point of peak RSS. */
  jw3: number;
  /** #4: peak RSS over peak live. */
  jw4: number;
}

export interface FailureRecord {
  event: number;
  /** Source line of the event, when known. */
  line?: number;
  reason: string;
  /** The request that failed (alloc-failed) or the RSS that crossed the limit (oom). */
  requestBytes?: number;
  rssBytes?: number;
  largestFreeRangeBytes: number | null;
  /** Total free address space at the failure (32-bit mode). */
  freeAddressBytes?: number | null;
}

export interface ReplayCost {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** tinybench samples (ms per replay) when run by `bench`. */
  samplesMs?: number[];
  /**
   * Real allocators only: the native replayer's user and system CPU seconds
   * over the replay (RSS sampling included). User time is the allocator's
   * work (and the replay loop's); system time is mostly page faults and the
   * memory the allocator gives back, which a model replaces by bookkeeping.
   */
  userSeconds?: number;
  systemSeconds?: number;
}

export type RunStatus = 'ok' | 'oom' | 'alloc-failed';

export interface RunResult {
  /** Position of this run in the full run matrix (traces × models × sweeps); shards keep it so merge can restore the order. */
  matrixIndex?: number;
  trace: TraceIdentity;
  model: ModelIdentity;
  status: RunStatus;
  peakRssBytes: number;
  finalRssBytes: number;
  peakLiveBytes: number;
  finalLiveBytes: number;
  peakMappedBytes: number;
  /** Σ (usable − requested) over live blocks at peak live. */
  internalFragmentationBytes: number;
  /** rss − live at the end of the trace. */
  freeResidentBytes: number;
  marks: MarkRecord[];
  fragmentation: Fragmentation;
  retention: RetentionRecord[];
  failure: FailureRecord | null;
  timeline: Timeline;
  replay: ReplayCost;
  /** The options this run was made with, after trace hints (`# address-space: 32`, `# memory-limit: 2GiB`) applied. */
  options?: RunOptionsRecord;
}

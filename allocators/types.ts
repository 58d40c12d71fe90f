// The contract every allocator model keeps, and the types the registry and the
// replayer share with the models.
import type { AddressSpace } from './address-space.ts';

/**
 * What the replayer knows about the event being served. One object is reused
 * for every event (no allocation on the hot path): models must copy out any
 * field they keep.
 */
export interface AllocRequest {
  /** Interned trace id of the block (index into the trace's id table). */
  id: number;
  /** Index of the event in the trace. */
  event: number;
  thread: number;
  /** DOMAIN code: 0 = obj (eligible for obmalloc), 1 = raw (system allocator). */
  domain: number;
  /** The trace clock, ns. */
  nowNs: number;
}

/** Kinds of resident memory that holds no live data, by what holds it there. */
export type RetentionKind =
  | 'trim-blocked' // free heap memory below a live chunk that stops the top trim (glibc)
  | 'top-pad' // the top chunk glibc keeps by design (top_pad / trim threshold)
  | 'free-chunks' // free chunks in bins, resident until reused
  | 'tcache' // chunks or regions parked in a thread cache
  | 'fastbins' // glibc fastbin chunks (never coalesced until consolidation)
  | 'mmap-slack' // page rounding of mmapped chunks
  | 'dirty-pages' // jemalloc dirty extents waiting for decay
  | 'muzzy-pages' // jemalloc MADV_FREE'd extents (counted resident)
  | 'slab-slack' // free regions in partly used jemalloc slabs
  | 'arena-pinned' // obmalloc arenas kept by a few live blocks
  | 'empty-pools' // obmalloc pools that are free but inside a live arena
  | 'free-blocks' // obmalloc free blocks inside used pools
  | 'kept-arena' // an empty arena kept on purpose (3.9+ keeps one)
  | 'metadata'; // allocator bookkeeping

/** Why some resident memory holds no live data. */
export interface RetentionFinding {
  kind: RetentionKind;
  /** Resident bytes this finding accounts for. */
  bytes: number;
  /** One plain sentence for the report; the replayer may fill in the blocking block's trace id and event. */
  text: string;
  /** Address of the live block that holds the memory (e.g. the chunk that blocks the trim). */
  blockAddr?: number;
  /** Live blocks that pin the memory (obmalloc arenas), when that is the reason. */
  liveBlocks?: number;
  /** For decay: the trace time (ns) after which the pages become purgeable. */
  purgeAtNs?: number;
  /** Filled in by the replayer from blockAddr: the block's trace id, request size and allocating event. */
  blockId?: string;
  blockSize?: number;
  blockEvent?: number;
}

/** One line of a model's self-description for the report. */
export interface ModelNote {
  /** e.g. "glibc 2.35 ptmalloc2, main arena". */
  title: string;
  /** Short paragraph: what it models and the simplifications it makes. */
  text: string;
}

export interface AllocatorModel {
  /** The address space the model allocates from (shared with a backing model). */
  readonly space: AddressSpace;
  /** Returns the user address, or 0 when the allocation fails. `size` may be 0. */
  malloc(size: number, req: AllocRequest): number;
  /** Aligned allocation (memalign/posix_memalign). Returns 0 on failure. */
  memalign(alignment: number, size: number, req: AllocRequest): number;
  /**
   * Resize a live block. Returns the (possibly new) address, or 0 when it fails,
   * in which case the old block stays live. The model copies the old contents
   * (touching the new block up to the old size).
   */
  realloc(addr: number, size: number, req: AllocRequest): number;
  free(addr: number, req: AllocRequest): void;
  /** Usable bytes of a live block (malloc_usable_size). */
  usableSize(addr: number): number;
  /** The trace clock moved to `nowNs`: decay and other time-driven work. */
  advanceTime(nowNs: number): void;
  /** Where resident memory without live data sits, and what holds it there. */
  retention(): RetentionFinding[];
  /** Explicit trim (glibc malloc_trim(0)); a no-op where the allocator has none. */
  trim(): void;
  /** What this model is and how it simplifies the real allocator, for the report. */
  describe(): ModelNote;
}

/** A parameter a model takes, with its default per preset. */
export interface ParamSpec {
  name: string;
  /** `bytes` accepts 128KiB, 1MiB...; `ms` accepts -1; `bool` accepts true/false/0/1. */
  type: 'bytes' | 'int' | 'ms' | 'bool' | 'string';
  description: string;
  /** Allowed values for `string` params. */
  choices?: string[];
}

export type ParamValue = number | boolean | string;
export type ParamValues = Record<string, ParamValue>;

/** A named preset: the real allocator version it follows and its parameter values. */
export interface PresetSpec {
  name: string;
  description: string;
  params: ParamValues;
}

/** Everything needed to build a model: its resolved params, the space, and a backing model if it composes. */
export interface ModelContext {
  space: AddressSpace;
  params: ParamValues;
  preset: string;
  /**
   * Names of the params the user set explicitly (--param), as opposed to preset
   * values. glibc needs it: any mallopt of a threshold disables the dynamic rule,
   * even when the value equals the default.
   */
  explicit?: readonly string[];
  /** For obmalloc models: the model that serves arenas and large requests. */
  backing?: AllocatorModel;
}

/** One registry entry: a model with its presets and params. */
export interface ModelDefinition {
  /** CLI name: glibc, jemalloc, obmalloc, obmalloc-arenafree. */
  name: string;
  description: string;
  params: ParamSpec[];
  presets: PresetSpec[];
  /** The preset used when none is named. */
  defaultPreset: string;
  /** Whether this model sits on a backing model (`obmalloc+jemalloc`). */
  composes: boolean;
  create(ctx: ModelContext): AllocatorModel;
}

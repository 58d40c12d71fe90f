// Parameters, presets, and what each jemalloc version does differently. The
// engine (extents, bins, tcache) is shared; a version is a size-class table
// plus a page-level policy.
import type { ParamSpec, ParamValues, PresetSpec } from '../types.ts';
import { ModelSpecError } from '../model-spec-error.ts';
import { jemalloc3SmallClasses, jemalloc5SmallClasses, PAGE, type SmallClass } from './size-classes.ts';
import { ncachedMax3, ncachedMax5 } from './tcache.ts';

export const JEMALLOC_PARAMS: ParamSpec[] = [
  { name: 'dirty_decay_ms', type: 'ms', description: 'jemalloc 5: time for freed (dirty) pages to be purged, 0 = at once, -1 = never (not used by preset 3)' },
  { name: 'muzzy_decay_ms', type: 'ms', description: 'jemalloc 5: time for MADV_FREE (muzzy) pages to be purged with DONTNEED; 0 skips the muzzy stage (5.2+ default)' },
  { name: 'tcache', type: 'bool', description: 'per-thread caches of small and large (≤ tcache_max) blocks' },
  { name: 'tcache_max', type: 'bytes', description: 'largest size class a thread cache keeps' },
  { name: 'tcache_gc', type: 'bool', description: 'incremental thread-cache GC: one bin at a time returns ¾ of its idle entries and adapts its fill count (5.3: per tcache_gc_incr_bytes; 5.1, 3: per 8192 / number of small classes + 1 cache operations)' },
  { name: 'tcache_gc_incr_bytes', type: 'bytes', description: 'jemalloc 5.3: bytes allocated (and, counted apart, freed) by a thread between two GC steps' },
  { name: 'oversize_threshold', type: 'bytes', description: 'jemalloc 5.2+: requests this size or larger use the huge arena, purged at once on free; 0 = no huge arena' },
  { name: 'retain', type: 'bool', description: 'keep freed address space mapped (purge with DONTNEED); false = purging unmaps' },
  { name: 'lg_dirty_mult', type: 'int', description: 'preset 3 only: keep at most active/2^n dirty pages, purge the excess at once; -1 = never purge' },
];

const base: ParamValues = {
  dirty_decay_ms: 10000,
  muzzy_decay_ms: 0,
  tcache: true,
  tcache_max: 32768,
  tcache_gc: true,
  tcache_gc_incr_bytes: 65536,
  oversize_threshold: 8 * 1024 * 1024,
  retain: true,
  lg_dirty_mult: 3,
};

export const JEMALLOC_PRESETS: PresetSpec[] = [
  {
    name: '5.3',
    description: 'jemalloc 5.3.0 defaults: decay 10 s straight to DONTNEED (muzzy_decay_ms 0), huge arena ≥ 8 MiB, retain',
    params: { ...base },
  },
  {
    name: '5.1',
    description: 'jemalloc 5.1.0: dirty pages go through MADV_FREE (muzzy_decay_ms 10000) before DONTNEED; no huge arena',
    params: { ...base, muzzy_decay_ms: 10000, oversize_threshold: 0 },
  },
  {
    name: '3',
    description: 'jemalloc 3.6 (as preloaded in the 2014 talk): 4 MiB chunks of runs, purge at once down to active/8, no decay',
    params: { ...base, dirty_decay_ms: -1, muzzy_decay_ms: -1, oversize_threshold: 0 },
  },
];

/**
 * 5.3 (thread_event.c) steps the GC per `every` usable bytes allocated and,
 * on a second counter, freed, by any malloc or free; 5.1 and 3.6 step it
 * every `every`-th alloc or dalloc served by the thread cache (5.1's ticker
 * fires on its nticks+1-th tick, 3.6's ev_cnt on its TCACHE_GC_INCR-th).
 */
export interface TcacheGcSchedule {
  unit: 'bytes' | 'ops';
  every: number;
}

/** TCACHE_GC_INCR of 5.1 and 3.6: TCACHE_GC_SWEEP 8192 spread over the small bins. */
function gcIncr(nsmall: number): number {
  const perBin = Math.floor(8192 / nsmall);
  return perBin + (perBin === 0 ? 0 : 1);
}

function tcacheGcSchedule(preset: string, nsmall: number, params: ParamValues): TcacheGcSchedule | null {
  if (!bool(params, 'tcache_gc')) return null;
  if (preset === '5.3') {
    const every = num(params, 'tcache_gc_incr_bytes');
    return every > 0 ? { unit: 'bytes', every } : null;
  }
  // 5.1: ticker_tick decrements first and fires below zero, so nticks + 1 operations apart.
  return { unit: 'ops', every: preset === '5.1' ? gcIncr(nsmall) + 1 : gcIncr(nsmall) };
}

/** Everything the engine needs to behave as one version. */
export interface JemallocConfig {
  preset: string;
  generation: 3 | 5;
  small: SmallClass[];
  /** ncached_max per small class. */
  smallSlots: number[];
  dirtyDecayMs: number;
  muzzyDecayMs: number;
  tcache: boolean;
  tcacheMax: number;
  /** When thread caches run an incremental GC step, or null for never. */
  tcacheGc: TcacheGcSchedule | null;
  /** 0 = no huge arena. */
  oversizeThreshold: number;
  retain: boolean;
  /** 5.3 ticker_geom vs 5.0/5.1 fixed ticker_t. */
  geometricTicker: boolean;
  /** 5.3 extent_record shortcut: purge a coalesced dirty extent ≥ oversize_threshold at once. */
  oversizePurge: boolean;
  /** 5.3: decay_ms 0 purges straight to DONTNEED. */
  immediatePurgeSkipsMuzzy: boolean;
  /** cache_oblivious: +1 page per large extent and a random cache-line offset (5.x). */
  largePad: number;
  // jemalloc 3
  chunkBytes: number;
  headerPages: number;
  lgDirtyMult: number;
}

/**
 * jemalloc 3.6's map_bias (arena_boot): header pages that hold the chunk
 * header and one page-map entry per remaining page. The struct sizes are
 * estimates for x86-64 without profiling: a 64-byte chunk header and 24-byte
 * map entries (rb/ql link 16 B + bits 8 B).
 */
export function mapBias(chunkBytes: number, headerBytes = 64, entryBytes = 24): number {
  const chunkPages = chunkBytes / PAGE;
  let bias = 0;
  for (let i = 0; i < 3; i++) bias = Math.ceil((headerBytes + entryBytes * (chunkPages - bias)) / PAGE);
  return bias;
}

function num(params: ParamValues, name: string): number {
  const v = params[name];
  if (typeof v !== 'number') throw new ModelSpecError(`jemalloc.${name} must be a number, not ${String(v)}`);
  return v;
}

function bool(params: ParamValues, name: string): boolean {
  const v = params[name];
  if (typeof v !== 'boolean') throw new ModelSpecError(`jemalloc.${name} must be true or false, not ${String(v)}`);
  return v;
}

export function buildConfig(preset: string, params: ParamValues): JemallocConfig {
  const generation = preset === '3' ? 3 : 5;
  const small = generation === 5 ? jemalloc5SmallClasses() : jemalloc3SmallClasses();
  const oversize = num(params, 'oversize_threshold');
  if (oversize !== 0 && oversize < 16384) throw new ModelSpecError(`jemalloc.oversize_threshold must be 0 or at least 16KiB, not ${oversize}`);
  const chunkBytes = 4 * 1024 * 1024;
  return {
    preset,
    generation,
    small,
    smallSlots: small.map((c) => (generation === 5 ? ncachedMax5(c.nregs) : ncachedMax3(c.nregs))),
    dirtyDecayMs: num(params, 'dirty_decay_ms'),
    muzzyDecayMs: num(params, 'muzzy_decay_ms'),
    tcache: bool(params, 'tcache'),
    tcacheMax: num(params, 'tcache_max'),
    tcacheGc: tcacheGcSchedule(preset, small.length, params),
    oversizeThreshold: generation === 5 ? oversize : 0,
    retain: bool(params, 'retain'),
    geometricTicker: preset !== '5.1',
    oversizePurge: preset === '5.3',
    immediatePurgeSkipsMuzzy: preset === '5.3',
    largePad: generation === 5 ? PAGE : 0,
    chunkBytes,
    headerPages: mapBias(chunkBytes),
    lgDirtyMult: num(params, 'lg_dirty_mult'),
  };
}

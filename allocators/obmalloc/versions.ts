// CPython versions of obmalloc as presets and parameters, and the checked
// configuration a model is built from. Sizes are the 64-bit builds' values
// (Objects/obmalloc.c; 3.12+ Include/internal/pycore_obmalloc.h).
import { ModelSpecError } from '../model-spec-error.ts';
import type { ParamSpec, ParamValues, PresetSpec } from '../types.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

export const OBMALLOC_PARAMS: ParamSpec[] = [
  { name: 'threshold', type: 'bytes', description: 'SMALL_REQUEST_THRESHOLD: object requests up to this size use pools, larger ones the backing allocator' },
  { name: 'alignment', type: 'bytes', description: 'ALIGNMENT: size-class step and block alignment (8 before 3.8, 16 from 3.8 on 64-bit)' },
  { name: 'pool_size', type: 'bytes', description: 'POOL_SIZE: one size class per pool (4 KiB; 16 KiB from 3.10)' },
  { name: 'arena_size', type: 'bytes', description: 'ARENA_SIZE: pools are carved from arenas of this size (256 KiB; 1 MiB from 3.10)' },
  { name: 'arena_source', type: 'string', choices: ['malloc', 'mmap'], description: 'where arenas come from: the backing malloc (2.x before 2.7) or anonymous mmap' },
];

export const ARENAFREE_PARAMS: ParamSpec[] = [
  ...OBMALLOC_PARAMS,
  { name: 'keep_empty_arena', type: 'bool', description: 'keep one wholly empty arena at the tail of usable_arenas instead of freeing it (bpo-37257, 3.9+)' },
];

const V24 = { threshold: 256, alignment: 8, pool_size: 4 * KiB, arena_size: 256 * KiB, arena_source: 'malloc' };

export const OBMALLOC_PRESETS: PresetSpec[] = [
  { name: '2.4', description: 'CPython 2.4: 256-byte threshold, 4 KiB pools, 256 KiB arenas from malloc, never freed', params: { ...V24 } },
  { name: '2.3', description: 'CPython 2.3: the same allocator as 2.4', params: { ...V24 } },
];

const V311 = { threshold: 512, alignment: 16, pool_size: 16 * KiB, arena_size: 1 * MiB, arena_source: 'mmap', keep_empty_arena: true };

export const ARENAFREE_PRESETS: PresetSpec[] = [
  { name: '2.5', description: "CPython 2.5 (Evan Jones' arena freeing): arenas from malloc, freed with free() when all their pools are empty", params: { ...V24, keep_empty_arena: false } },
  { name: '2.7', description: 'CPython 2.7: 512-byte threshold, mmap arenas', params: { ...V24, threshold: 512, arena_source: 'mmap', keep_empty_arena: false } },
  { name: '3.8', description: 'CPython 3.8: 16-byte alignment (32 classes), nfp2lasta search fingers', params: { ...V24, threshold: 512, alignment: 16, arena_source: 'mmap', keep_empty_arena: false } },
  { name: '3.9', description: 'CPython 3.9: keeps one empty arena (bpo-37257)', params: { ...V24, threshold: 512, alignment: 16, arena_source: 'mmap', keep_empty_arena: true } },
  { name: '3.10', description: 'CPython 3.10: radix tree, 16 KiB pools, 1 MiB arenas', params: { ...V311 } },
  { name: '3.11', description: 'CPython 3.11: 16 KiB pools, 1 MiB mmap arenas, keeps one empty arena', params: { ...V311 } },
  { name: '3.12', description: 'CPython 3.12: as 3.11 (state moved to pycore_obmalloc.h)', params: { ...V311 } },
  { name: '3.13', description: 'CPython 3.13, default (GIL) build: as 3.11', params: { ...V311 } },
];

/** Everything the simulation needs, checked. */
export interface ObmallocConfig {
  /** The preset's CPython version, e.g. "3.11". */
  version: string;
  threshold: number;
  alignment: number;
  alignmentShift: number;
  poolSize: number;
  arenaSize: number;
  /** MAX_POOLS_IN_ARENA: pools per arena when its base is pool-aligned. */
  poolsPerArena: number;
  arenaSource: 'malloc' | 'mmap';
  /** 2.5+: an arena whose pools are all free is given back. */
  freesArenas: boolean;
  keepEmptyArena: boolean;
  /** 2.4 realloc moves a foreign (backing) block into a pool when the new size fits (dropped in 2.5, bug 1185883). */
  takesOverForeignBlocks: boolean;
  /** 3.8+ keeps usable_arenas sorted with nfp2lasta fingers; 2.5–3.7 slide the arena right. Same order either way. */
  searchFingers: boolean;
  /** 3.10+ tracks arenas in a radix tree whose nodes are calloc'd from the C heap. */
  radixTree: boolean;
  /** sizeof(void*): 8 on 64-bit, 4 on 32-bit. */
  pointerSize: number;
  /** POOL_OVERHEAD: the pool header, 48 bytes on 64-bit (4 pointers + 4 uints), 32 on 32-bit. */
  poolHeader: number;
  /** sizeof(struct arena_object) in the 2.5+ arenas vector. */
  arenaObjectSize: number;
  /** Number of size classes: threshold / alignment. */
  classes: number;
}

function parseVersion(v: string): [number, number] {
  const [major, minor] = v.split('.').map(Number);
  return [major ?? 0, minor ?? 0];
}

function atLeast(v: string, major: number, minor: number): boolean {
  const [a, b] = parseVersion(v);
  return a > major || (a === major && b >= minor);
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && Number.isInteger(Math.log2(n));
}

function numberParam(model: string, params: ParamValues, name: string): number {
  const v = params[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ModelSpecError(`${model}.${name} must be a positive whole number of bytes, not ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Check a model's params and turn them into a config. `arenaFreeing` picks
 * the 2.5+ design; the preset names the version whose other rules apply.
 */
export function buildConfig(model: string, version: string, params: ParamValues, arenaFreeing: boolean, bits: 64 | 32): ObmallocConfig {
  const threshold = numberParam(model, params, 'threshold');
  const alignment = numberParam(model, params, 'alignment');
  const poolSize = numberParam(model, params, 'pool_size');
  const arenaSize = numberParam(model, params, 'arena_size');
  const source = params.arena_source;
  const keep = params.keep_empty_arena ?? false;
  const pointerSize = bits === 64 ? 8 : 4;
  const poolHeader = pointerSize * 4 + 16;
  const fail = (msg: string): never => {
    throw new ModelSpecError(`${model}: ${msg}`);
  };
  if (!isPowerOfTwo(alignment) || alignment < pointerSize || alignment > 256) fail(`alignment must be a power of two from ${pointerSize} to 256, not ${alignment}`);
  if (threshold % alignment !== 0) fail(`threshold (${threshold}) must be a multiple of alignment (${alignment})`);
  if (!isPowerOfTwo(poolSize) || poolSize < 1024 || poolSize > 256 * KiB) fail(`pool_size must be a power of two from 1 KiB to 256 KiB, not ${poolSize}`);
  if (!isPowerOfTwo(arenaSize) || arenaSize < 2 * poolSize) fail(`arena_size must be a power of two of at least two pools (${2 * poolSize}), not ${arenaSize}`);
  // Pools hand out their first block and keep the second on the free list, so
  // every class needs two blocks; block indexes are kept in 16 bits.
  if (threshold > (poolSize - poolHeader) / 2) fail(`threshold (${threshold}) leaves fewer than two blocks per ${poolSize}-byte pool`);
  if ((poolSize - poolHeader) / alignment >= 0xffff) fail(`pool_size ${poolSize} holds too many ${alignment}-byte blocks`);
  if (source !== 'malloc' && source !== 'mmap') fail(`arena_source must be malloc or mmap, not ${JSON.stringify(source)}`);
  if (typeof keep !== 'boolean') fail(`keep_empty_arena must be true or false, not ${JSON.stringify(keep)}`);
  return {
    version,
    threshold,
    alignment,
    alignmentShift: Math.log2(alignment),
    poolSize,
    arenaSize,
    poolsPerArena: arenaSize / poolSize,
    arenaSource: source as 'malloc' | 'mmap',
    freesArenas: arenaFreeing,
    keepEmptyArena: arenaFreeing && (keep as boolean),
    takesOverForeignBlocks: !arenaFreeing,
    searchFingers: arenaFreeing && atLeast(version, 3, 8),
    radixTree: arenaFreeing && atLeast(version, 3, 10),
    pointerSize,
    poolHeader,
    // address, pool_address, nfreepools + ntotalpools (two uints), freepools, nextarena, prevarena
    arenaObjectSize: pointerSize * 5 + 8,
    classes: threshold / alignment,
  };
}

/** Size class of an n-byte request (1 ≤ n ≤ threshold): (n − 1) >> ALIGNMENT_SHIFT. */
export function sizeClassOf(config: ObmallocConfig, n: number): number {
  return (n - 1) >> config.alignmentShift;
}

/** Block size of class i: (i + 1) << ALIGNMENT_SHIFT. */
export function classSize(config: ObmallocConfig, i: number): number {
  return (i + 1) << config.alignmentShift;
}

/** Blocks per pool of class i: (POOL_SIZE − POOL_OVERHEAD) / size. */
export function blocksPerPool(config: ObmallocConfig, i: number): number {
  return Math.floor((config.poolSize - config.poolHeader) / classSize(config, i));
}

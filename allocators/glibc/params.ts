// The glibc model's parameters (the mallopt / tunable knobs that change memory
// behaviour), its presets (glibc versions), and their checked resolution into
// the config the arena runs with.
import { ModelSpecError } from '../model-spec-error.ts';
import type { ParamSpec, ParamValues, PresetSpec } from '../types.ts';
import {
  DEFAULT_MMAP_MAX,
  DEFAULT_MMAP_THRESHOLD,
  DEFAULT_MMAP_THRESHOLD_MAX_64,
  DEFAULT_MXFAST,
  DEFAULT_TOP_PAD,
  DEFAULT_TRIM_THRESHOLD,
  MAX_FAST_SIZE,
  maxFastFor,
  request2size,
} from './constants.ts';

export const GLIBC_PARAMS: ParamSpec[] = [
  { name: 'trim_threshold', type: 'bytes', description: 'M_TRIM_THRESHOLD: free() shrinks the heap when top reaches this (raised by the dynamic rule)' },
  { name: 'mmap_threshold', type: 'bytes', description: 'M_MMAP_THRESHOLD: requests this big that find no free heap space are mmapped (raised by the dynamic rule)' },
  { name: 'top_pad', type: 'bytes', description: 'M_TOP_PAD: extra bytes each sbrk asks for and each trim keeps' },
  { name: 'mmap_max', type: 'int', description: 'M_MMAP_MAX: most mmapped chunks at once; 0 never mmaps chunks' },
  { name: 'tcache_count', type: 'int', description: 'glibc.malloc.tcache_count: chunks per tcache bin (0 turns caching off; the struct is still allocated)' },
  { name: 'mxfast', type: 'bytes', description: 'M_MXFAST: largest request served by fastbins (0–160; 0 turns fastbins off)' },
  {
    name: 'dyn_threshold',
    type: 'bool',
    description: 'the dynamic mmap/trim threshold rule; off as after any mallopt of a threshold, top_pad or mmap_max (setting one of those with --param also turns it off, even to its default value, as mallopt does)',
  },
];

const COMMON: ParamValues = {
  trim_threshold: DEFAULT_TRIM_THRESHOLD,
  mmap_threshold: DEFAULT_MMAP_THRESHOLD,
  top_pad: DEFAULT_TOP_PAD,
  mmap_max: DEFAULT_MMAP_MAX,
  mxfast: DEFAULT_MXFAST,
  dyn_threshold: true,
};

export const GLIBC_PRESETS: PresetSpec[] = [
  {
    name: '2.35',
    description: 'glibc 2.35 (Ubuntu 22.04): tcache with 16-bit counts, so the tcache_perthread_struct is the first 656-byte chunk',
    params: { ...COMMON, tcache_count: 7 },
  },
  {
    name: '2.26',
    description: 'glibc 2.26–2.29: tcache with char counts, a 592-byte tcache_perthread_struct chunk; otherwise as 2.35',
    params: { ...COMMON, tcache_count: 7 },
  },
  {
    name: '2.23',
    description: 'glibc 2.23–2.25 (Ubuntu 16.04): no tcache, fastbins are the front end; otherwise as 2.35',
    params: { ...COMMON, tcache_count: 0 },
  },
];

/** Bytes of the tcache_perthread_struct request per preset; 0 = built without tcache. */
const TCACHE_STRUCT_BYTES: Record<string, number> = {
  '2.35': 64 * 2 + 64 * 8, // uint16_t counts[64] + 64 entry pointers = 640
  '2.26': 64 * 1 + 64 * 8, // char counts[64] + 64 entry pointers = 576
  '2.23': 0,
};

/** Largest tcache_count each version accepts (uint16 counts from 2.30, char before). */
const TCACHE_COUNT_MAX: Record<string, number> = { '2.35': 65535, '2.26': 127, '2.23': 0 };

/** Everything the arena needs, checked. */
export interface GlibcConfig {
  preset: string;
  trimThreshold: number;
  mmapThreshold: number;
  topPad: number;
  mmapMax: number;
  tcacheCount: number;
  /** Chunk size of the tcache_perthread_struct, 0 when the version has no tcache. */
  tcacheStructChunk: number;
  /** Request bytes of that struct (what tcache_init mallocs and clears). */
  tcacheStructBytes: number;
  /** global_max_fast: the largest chunk size that goes to fastbins. */
  maxFast: number;
  /** mp_.no_dyn_threshold inverted. */
  dynamicThreshold: boolean;
}

function num(params: ParamValues, name: string): number {
  const v = params[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ModelSpecError(`glibc.${name} must be a whole number ≥ 0, not ${String(v)}`);
  return v;
}

/** Check the resolved params of `preset` and turn them into a config; throws ModelSpecError naming the bad value. */
export function resolveGlibcConfig(preset: string, params: ParamValues, explicit: readonly string[] = []): GlibcConfig {
  const structBytes = TCACHE_STRUCT_BYTES[preset];
  if (structBytes === undefined) throw new ModelSpecError(`unknown glibc preset "${preset}"; valid presets: ${GLIBC_PRESETS.map((p) => p.name).join(', ')}`);
  const get = (name: string): number => num({ ...COMMON, tcache_count: 0, ...params }, name);
  const trimThreshold = get('trim_threshold');
  const mmapThreshold = get('mmap_threshold');
  const topPad = get('top_pad');
  const mmapMax = get('mmap_max');
  const tcacheCount = get('tcache_count');
  const mxfast = get('mxfast');
  // mallopt(M_MMAP_THRESHOLD) refuses values above HEAP_MAX_SIZE / 2.
  if (mmapThreshold > DEFAULT_MMAP_THRESHOLD_MAX_64) {
    throw new ModelSpecError(`glibc.mmap_threshold must be at most 32 MiB (HEAP_MAX_SIZE / 2), not ${mmapThreshold}`);
  }
  if (mxfast > MAX_FAST_SIZE) throw new ModelSpecError(`glibc.mxfast must be 0–${MAX_FAST_SIZE} bytes, not ${mxfast}`);
  const countMax = TCACHE_COUNT_MAX[preset]!;
  if (tcacheCount > countMax) {
    throw new ModelSpecError(
      countMax === 0
        ? `glibc@${preset} has no tcache, so glibc.tcache_count must be 0, not ${tcacheCount}`
        : `glibc.tcache_count must be 0–${countMax} for glibc@${preset}, not ${tcacheCount}`,
    );
  }
  const dyn = params.dyn_threshold ?? true;
  if (typeof dyn !== 'boolean') throw new ModelSpecError(`glibc.dyn_threshold must be true or false, not ${String(dyn)}`);
  // Any mallopt of these fixes the thresholds (mp_.no_dyn_threshold = 1), even
  // to the default value: a param the user set counts, and so does a preset
  // value other than the default.
  const mallopted =
    ['trim_threshold', 'mmap_threshold', 'top_pad', 'mmap_max'].some((name) => explicit.includes(name)) ||
    trimThreshold !== DEFAULT_TRIM_THRESHOLD || mmapThreshold !== DEFAULT_MMAP_THRESHOLD || topPad !== DEFAULT_TOP_PAD || mmapMax !== DEFAULT_MMAP_MAX;
  return {
    preset,
    trimThreshold,
    mmapThreshold,
    topPad,
    mmapMax,
    tcacheCount,
    tcacheStructBytes: structBytes,
    tcacheStructChunk: structBytes === 0 ? 0 : request2size(structBytes),
    maxFast: maxFastFor(mxfast),
    dynamicThreshold: dyn && !mallopted,
  };
}

// ptmalloc2 layout constants and size-to-bin arithmetic for 64-bit Linux
// (malloc.c@glibc-2.35; see docs/allocator-models.md §1.1). Sizes can exceed
// 2^32, so nothing here uses 32-bit bitwise operators on sizes or addresses.

/** sizeof(size_t): the header word and the borrowed prev_size word. */
export const SIZE_SZ = 8;
export const MALLOC_ALIGNMENT = 16;
/** prev_size + size: the user pointer is the chunk address plus this. */
export const CHUNK_HDR_SZ = 16;
export const MINSIZE = 32;
/** Chunks below this are small-bin sized (NSMALLBINS 64 × 16 bytes). */
export const MIN_LARGE_SIZE = 1024;
export const NBINS = 128;
export const UNSORTED_BIN = 1;
/** fastbin_index(request2size(MAX_FAST_SIZE = 160)) + 1. */
export const NFASTBINS = 10;
export const MAX_FAST_SIZE = 160;
export const DEFAULT_MXFAST = 128;
export const TCACHE_MAX_BINS = 64;
export const FASTBIN_CONSOLIDATION_THRESHOLD = 65536;
/** The unsorted-bin scan gives up after this many chunks (malloc.c MAX_ITERS). */
export const MAX_ITERS = 10000;
export const DEFAULT_TOP_PAD = 131072;
export const DEFAULT_TRIM_THRESHOLD = 128 * 1024;
export const DEFAULT_MMAP_THRESHOLD = 128 * 1024;
/** The dynamic mmap threshold never rises above this: 4 MiB × sizeof(long) on 64-bit, 512 KiB on 32-bit. */
export const DEFAULT_MMAP_THRESHOLD_MAX_64 = 32 * 1024 * 1024;
export const DEFAULT_MMAP_THRESHOLD_MAX_32 = 512 * 1024;
export const DEFAULT_MMAP_MAX = 65536;
/** When brk fails, sysmalloc maps at least this much as a new heap segment. */
export const MMAP_AS_MORECORE_SIZE = 1024 * 1024;
/** sizeof(struct malloc_chunk): prev_size, size, fd, bk, fd_nextsize, bk_nextsize. */
export const MALLOC_CHUNK_STRUCT = 48;

/** The padded chunk size for a request of n bytes: max(MINSIZE, align16(n + SIZE_SZ)). */
export function request2size(n: number): number {
  const padded = n + SIZE_SZ + MALLOC_ALIGNMENT - 1;
  if (n + SIZE_SZ < MINSIZE) return MINSIZE;
  // Below 2^31 a mask rounds down (a float remainder is a library call); above it, the remainder.
  return padded < 2147483648 ? padded & -MALLOC_ALIGNMENT : padded - (padded % MALLOC_ALIGNMENT);
}

/** Requests glibc refuses (checked_request2size: more than PTRDIFF_MAX); we cap at 2^62. */
export function requestTooLarge(n: number): boolean {
  return !(n >= 0 && n < 2 ** 62);
}

export function inSmallbinRange(size: number): boolean {
  return size < MIN_LARGE_SIZE;
}

export function smallbinIndex(size: number): number {
  return size >>> 4;
}

/** largebin_index_64: 32 bins of 64 B, 16 of 512 B, 8 of 4 KiB, 4 of 32 KiB, 2 of 256 KiB, then one. */
export function largebinIndex(size: number): number {
  const s6 = Math.floor(size / 64);
  if (s6 <= 48) return 48 + s6;
  const s9 = Math.floor(size / 512);
  if (s9 <= 20) return 91 + s9;
  const s12 = Math.floor(size / 4096);
  if (s12 <= 10) return 110 + s12;
  const s15 = Math.floor(size / 32768);
  if (s15 <= 4) return 119 + s15;
  const s18 = Math.floor(size / 262144);
  if (s18 <= 2) return 124 + s18;
  return 126;
}

export function binIndex(size: number): number {
  return inSmallbinRange(size) ? smallbinIndex(size) : largebinIndex(size);
}

/** Fastbin of a chunk size (only called for sizes ≤ 160). */
export function fastbinIndex(size: number): number {
  return (size >>> 4) - 2;
}

/** tcache bin of a chunk size: (size − MINSIZE + 15) / 16. */
export function csize2tidx(size: number): number {
  const x = size - MINSIZE + MALLOC_ALIGNMENT - 1;
  return x >= 0 && x < 2147483648 ? x >>> 4 : Math.floor(x / MALLOC_ALIGNMENT);
}

/** global_max_fast as mallopt(M_MXFAST, s) sets it: chunks up to this size use fastbins. */
export function maxFastFor(mxfast: number): number {
  return mxfast <= MALLOC_ALIGNMENT - 1 - SIZE_SZ ? MINSIZE / 2 : (mxfast + SIZE_SZ) - ((mxfast + SIZE_SZ) % MALLOC_ALIGNMENT);
}

export function alignUp(n: number, to: number): number {
  const r = n % to;
  return r === 0 ? n : n + to - r;
}

export function alignDown(n: number, to: number): number {
  return n - (n % to);
}

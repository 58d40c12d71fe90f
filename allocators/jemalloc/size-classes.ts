// jemalloc size classes, computed from the generating rules rather than typed
// in, so the tables in allocator-models.md §2.2 are checked by tests instead of
// copied. Two families:
//  - jemalloc 5 (src/sc.c @5.3.0): tiny 8, then 16..64 by 16, then four classes
//    per doubling, size = 2^lg_base + ndelta·2^(lg_base−2). Small (slab) classes
//    are those below 2^(LG_PAGE+2) = 16 KiB; large classes continue the series.
//  - jemalloc 3.6 (include/jemalloc/internal/size_classes.sh @3.6.0, LG_QUANTUM 4,
//    LG_TINY_MIN 3, LG_PAGE 12): tiny 8, then per doubling four classes spaced
//    max(16, size/4) below the page: 16, 32, 48, 64, 80, ..., 3584 (28 bins).
//    Larger requests are page-multiple runs up to the chunk's usable size, then
//    whole chunks ("huge").

export const PAGE = 4096;
const LG_PAGE = 12;

/** One small (slab) size class. */
export interface SmallClass {
  size: number;
  /** Slab bytes: the least page multiple the region size divides (sc.c slab_size). */
  slabBytes: number;
  nregs: number;
}

/** Powers of two up to 2^60: `2 ** n` with a variable n is a Math.pow call on hot paths. */
const POW2 = Float64Array.from({ length: 61 }, (_, i) => 2 ** i);

/** Floor of log2 for positive integers up to 2^53 (sizes exceed 2^32, so no plain 32-bit bit tricks). */
export function lgFloor(x: number): number {
  if (x < 4294967296) return 31 - Math.clz32(x);
  return 63 - Math.clz32(Math.floor(x / 4294967296));
}

/** Least page multiple that the region size divides exactly (sc.c slab_size's loop). */
export function slabBytesFor(regSize: number): number {
  let bytes = PAGE;
  while (bytes % regSize !== 0) bytes += PAGE;
  return bytes;
}

function smallClass(size: number): SmallClass {
  const slabBytes = slabBytesFor(size);
  return { size, slabBytes, nregs: slabBytes / size };
}

/** jemalloc 5's small classes: 36 of them, 8 through 14336. */
export function jemalloc5SmallClasses(): SmallClass[] {
  const sizes: number[] = [8, 16, 32, 48, 64];
  for (let lg = 6; ; lg++) {
    for (let n = 1; n <= 4; n++) {
      const s = 2 ** lg + n * 2 ** (lg - 2);
      if (s >= 2 ** (LG_PAGE + 2)) return sizes.map(smallClass);
      sizes.push(s);
    }
  }
}

/** jemalloc 3.6's small classes on x86-64: 28 of them, 8 through 3584. */
export function jemalloc3SmallClasses(): SmallClass[] {
  const q = 16;
  const sizes: number[] = [8];
  let sz = q;
  while (sz < PAGE) {
    const step = sz >= q * 4 ? sz / 4 : q;
    const next = sz * 2;
    while (sz < next) {
      sizes.push(sz);
      sz += step;
    }
  }
  return sizes.map(smallClass);
}

// ---- page-size classes (jemalloc 5's "psz" series) --------------------------
// Extent caches are binned by the page-multiple members of the size-class
// series: 4K, 8K, 12K, 16K, then four per doubling (20K, 24K, 28K, 32K, 40K...).

function computePszSize(i: number): number {
  if (i < 4) return (i + 1) * PAGE;
  const group = Math.floor((i - 4) / 4);
  const n = ((i - 4) % 4) + 1;
  const lg = LG_PAGE + 2 + group;
  return 2 ** lg + n * 2 ** (lg - 2);
}

/** Page-size classes up to 2^49, tabulated: the extent caches look them up on every large request. */
const PSZ_TABLE = Float64Array.from({ length: 4 + (49 - (LG_PAGE + 2)) * 4 }, (_, i) => computePszSize(i));

/** Size of page-size class `i`. */
export function pszSize(i: number): number {
  return PSZ_TABLE[i]!;
}

/** Index of the smallest page-size class ≥ `bytes` (sz_psz2ind of sz_psz_quantize_ceil). */
export function pszCeilIndex(bytes: number): number {
  if (bytes <= 4 * PAGE) return Math.max(0, Math.ceil(bytes / PAGE) - 1);
  const lg = lgFloor(bytes - 1); // bytes in (2^lg, 2^(lg+1)]
  const n = Math.ceil((bytes - POW2[lg]!) / POW2[lg - 2]!); // 1..4
  return 4 + (lg - (LG_PAGE + 2)) * 4 + (n - 1);
}

/** Index of the largest page-size class ≤ `bytes` (sz_psz_quantize_floor), bytes ≥ one page. */
export function pszFloorIndex(bytes: number): number {
  const i = pszCeilIndex(bytes);
  return pszSize(i) === bytes ? i : i - 1;
}

/**
 * sz_psz_quantize_floor (sz.c @5.3.0): extent sizes are quantized with the
 * large pad in mind, so that class + pad (a large extent) is a bin of its own.
 */
export function pszQuantizeFloor(bytes: number, pad: number): number {
  const pind = pszCeilIndex(bytes - pad + 1);
  return pind === 0 ? bytes : pszSize(pind - 1) + pad;
}

/** sz_psz_quantize_ceil: the smallest quantized size every extent of whose bin fits `bytes`. */
export function pszQuantizeCeil(bytes: number, pad: number): number {
  const q = pszQuantizeFloor(bytes, pad);
  return q < bytes ? pszSize(pszCeilIndex(q - pad + 1)) + pad : q;
}

/** Number of page-size classes that cover a 2^48 address space. */
export const NPSIZES = pszCeilIndex(2 ** 48) + 1;

/** jemalloc 5 usable size of a large request (the next class of the series ≥ size). */
export function jemalloc5LargeUsize(size: number): number {
  if (size <= 4 * PAGE) return 4 * PAGE;
  const lg = lgFloor(size - 1);
  const delta = POW2[lg - 2]!;
  return POW2[lg]! + Math.ceil((size - POW2[lg]!) / delta) * delta;
}

/** A sorted class table with an O(1) lookup by size for the small range. */
export class SmallClassTable {
  readonly classes: readonly SmallClass[];
  readonly maxSmall: number;
  /** Class index for each 8-byte step of request size (index (size+7)>>3). */
  private readonly lookup: Uint8Array;

  constructor(classes: SmallClass[]) {
    this.classes = classes;
    this.maxSmall = classes[classes.length - 1]!.size;
    this.lookup = new Uint8Array(this.maxSmall / 8 + 1);
    let c = 0;
    for (let step = 0; step < this.lookup.length; step++) {
      const size = step * 8;
      while (classes[c]!.size < size) c++;
      this.lookup[step] = c;
    }
  }

  /** Bin index of a small request (size ≤ maxSmall; 0 is served as the smallest class). */
  indexOf(size: number): number {
    // size ≤ maxSmall < 2^31, a whole number of bytes: 32-bit arithmetic is exact here.
    return this.lookup[(size + 7) >>> 3]!;
  }
}

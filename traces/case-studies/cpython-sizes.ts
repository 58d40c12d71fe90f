// The byte counts CPython asks its allocators for, per version, so that the
// case-study traces carry the requests a real interpreter makes rather than
// round numbers. Layouts are for x86-64 (8-byte pointers and Py_ssize_t)
// unless the name says i386. Facts and their sources are listed beside each
// value; the free-list facts follow allocator-models.md §5.
import type { DomainName } from '../types.ts';

/** What a generator needs to know about one CPython build's object layouts. */
export interface PythonLayout {
  /** Version label written to trace metadata (`python: 2.7`). */
  readonly version: string;
  /** Bytes requested for a str of `len` ASCII characters. */
  strSize(len: number): number;
  /** Bytes requested for a bytes object (2.x: the same str type). */
  bytesSize(len: number): number;
  /** PyGC_Head + PyListObject: what PyList_New asks for when its free list is empty. */
  readonly listHeader: number;
  /** `allocated` after list_resize(newsize) on a list of `oldSize` items that must reallocate. */
  listGrowth(newSize: number, oldSize: number): number;
  /** sizeof(PyObject *): a list's item array holds `pointerBytes × allocated` bytes. */
  readonly pointerBytes: number;
  /** Where the item array comes from: 2.x realloc (raw), 3.6+ PyMem_Realloc (pymalloc, `obj`). */
  readonly itemArrayDomain: DomainName;
  /** PyGC_Head + PyTupleObject with n items. */
  tupleSize(n: number): number;
  /** PyGC_Head + PyDictObject. */
  readonly dictObject: number;
  /**
   * Bytes of a dict's separately allocated table for a hash table of 2^log2
   * slots, or 0 when it lives inside the dict object (2.x small table).
   */
  dictTableSize(log2: number): number;
  /** Domain of the dict table allocation. */
  readonly dictTableDomain: DomainName;
  /**
   * How dicts grow. `open-2.x`: resize after an insert fills 2/3 of the slots,
   * to the smallest power of two above 4 × used (2 × above 50000 items);
   * deleted slots keep counting as filled. `compact-3.x`: resize before an
   * insert when no usable entry is left, to the smallest power of two at
   * least 3 × used; deleted entries are not reusable.
   */
  readonly dictStyle: 'open-2.x' | 'compact-3.x';
  /** gc.collect(2) also empties the list and dict free lists (3.x; 2.7 clears only tuples, ints, floats, frames, methods). */
  readonly gcClearsContainerFreeLists: boolean;
  /** 3.x int object bytes for a value needing `digits` 30-bit digits; 2.x: the 24-byte object inside an int block. */
  intSize(digits: number): number;
  readonly floatSize: number;
  /**
   * 2.x only: ints and floats are carved from 1000-byte raw blocks that are
   * never freed before gc.collect(2) clears the free lists; 0 in 3.x.
   */
  readonly numberBlockBytes: number;
  /** Objects per number block (2.x: (1000 - 8) / 24 = 41). */
  readonly numbersPerBlock: number;
  /** Type free lists (entries kept instead of freeing). */
  readonly freeLists: {
    list: number;
    dict: number;
    /** 3.x: keys objects of 8 slots with str keys (keys_free_list); 0 in 2.x. */
    keys: number;
    /** Per tuple length, for lengths below `tupleMaxLen`. */
    tuple: number;
    tupleMaxLen: number;
    /** 3.x float free list; 2.x floats live on block free lists (unbounded). */
    float: number;
  };
}

/** Python 2.7 list_resize: `newsize + (newsize >> 3) + (newsize < 9 ? 3 : 6)`; 2.7 and 3.0-3.8. */
export function listGrowth27(newSize: number): number {
  if (newSize === 0) return 0;
  return newSize + Math.floor(newSize / 8) + (newSize < 9 ? 3 : 6);
}

/**
 * Python 3.9+ list_resize (bpo-38373): `(n + (n >> 3) + 6) & ~3`, and no
 * over-allocation when the jump (an extend) overshoots it: then `(n + 3) & ~3`.
 */
export function listGrowth39(newSize: number, oldSize: number): number {
  if (newSize === 0) return 0;
  let allocated = roundDown4(newSize + Math.floor(newSize / 8) + 6);
  if (newSize - oldSize > allocated - newSize) allocated = roundDown4(newSize + 3);
  return allocated;
}

// Multiples of 4 without 32-bit bitwise ops, which would wrap above 2^31 items.
function roundDown4(n: number): number {
  return n - (n % 4);
}

/**
 * list_resize skips the realloc while allocated/2 <= newsize <= allocated;
 * both versions share this test.
 */
export function listFitsWithoutResize(allocated: number, newSize: number): boolean {
  return allocated >= newSize && newSize >= Math.floor(allocated / 2);
}

/**
 * CPython 2.7 on x86-64 (the talk ran 2.7.3 on Ubuntu 12.04 x64).
 * - str: `PyObject_MALLOC(PyStringObject_SIZE + len)`, PyStringObject_SIZE =
 *   offsetof(ob_sval) + 1 = refcnt 8 + type 8 + ob_size 8 + ob_shash 8 +
 *   ob_sstate 4 + 1 = 37 (stringobject.c PyString_FromStringAndSize).
 * - PyGC_Head is a union of {gc_next, gc_prev, gc_refs} with a `long double`
 *   dummy, 32 bytes on x86-64 (objimpl.h), so GC objects ask for 32 + basicsize.
 * - PyListObject: PyObject_VAR_HEAD 24 + ob_item 8 + allocated 8 = 40 → 72.
 * - The item array is resized with PyMem_RESIZE, plain realloc in 2.x (pymem.h).
 * - PyTupleObject: 24 + 8n → 56 + 8n; free lists of 2000 per length < 20
 *   (PyTuple_MAXSAVESIZE 20, PyTuple_MAXFREELIST 2000, tupleobject.c).
 * - PyDictObject: head 16 + ma_fill, ma_used, ma_mask 24 + ma_table 8 +
 *   ma_lookup 8 + ma_smalltable[8] × PyDictEntry 24 = 248 → 280 with the GC
 *   head. Tables above 8 slots are PyMem_NEW(PyDictEntry, n): raw, 24 × n.
 * - int and float: 24-byte objects carved from 1000-byte PyMem_MALLOC blocks
 *   (BLOCK_SIZE 1000, BHEAD_SIZE 8, N_INTOBJECTS 41: intobject.c,
 *   floatobject.c); blocks are freed only by PyInt_ClearFreeList /
 *   PyFloat_ClearFreeList, which gc.collect(2) runs.
 * - Free lists: 80 lists, 80 dicts (listobject.c, dictobject.c).
 */
export const CPYTHON_27: PythonLayout = {
  version: '2.7',
  pointerBytes: 8,
  strSize: (len) => 37 + len,
  bytesSize: (len) => 37 + len,
  listHeader: 72,
  listGrowth: (newSize) => listGrowth27(newSize),
  itemArrayDomain: 'raw',
  tupleSize: (n) => 56 + 8 * n,
  dictObject: 280,
  dictTableSize: (log2) => (log2 <= 3 ? 0 : 24 * 2 ** log2),
  dictTableDomain: 'raw',
  dictStyle: 'open-2.x',
  gcClearsContainerFreeLists: false,
  intSize: () => 24,
  floatSize: 24,
  numberBlockBytes: 1000,
  numbersPerBlock: 41,
  freeLists: { list: 80, dict: 80, keys: 0, tuple: 2000, tupleMaxLen: 20, float: Infinity },
};

/**
 * CPython 2.7 on i386 (seed 000's 32-bit process): 4-byte pointers, longs and
 * Py_ssize_t. PyStringObject_SIZE = 4 + 4 + 4 + 4 (long ob_shash) + 4 + 1 =
 * 21. PyGC_Head is the union of three 4-byte fields with a `long double`
 * (12 bytes, 4-aligned on i386): 12, so a list asks for 12 + 20 = 32 and a
 * tuple for 12 + 12 + 4n. An int is 12 bytes, (1000 - 4) / 12 = 83 per block.
 * Floats (16 bytes, 62 per block) are not used by the 32-bit study.
 */
export const CPYTHON_27_I386: PythonLayout = {
  ...CPYTHON_27,
  version: '2.7 (i386)',
  pointerBytes: 4,
  strSize: (len) => 21 + len,
  bytesSize: (len) => 21 + len,
  listHeader: 32,
  tupleSize: (n) => 24 + 4 * n,
  intSize: () => 12,
  floatSize: 16,
  numbersPerBlock: 83,
};

/**
 * CPython 3.11 on x86-64.
 * - str: compact ASCII, `PyObject_Malloc(sizeof(PyASCIIObject) + len + 1)`;
 *   PyASCIIObject = head 16 + length 8 + hash 8 + state 4 (+4 padding) + wstr
 *   8 = 48 (3.12 drops wstr: 40).
 * - bytes: PyBytesObject_SIZE = offsetof(ob_sval) + 1 = 24 + ob_shash 8 + 1 = 33.
 * - PyGC_Head is two pointers since 3.8: 16. PyListObject 40 → 56.
 * - Item arrays go through PyMem_Realloc, which is pymalloc since 3.6
 *   (bpo-26249): `obj` domain, pymalloc up to 512 bytes, malloc above.
 * - Tuples 16 + 24 + 8n; 2000 per length < 20 on the free list.
 * - PyDictObject: head 16 + ma_used 8 + ma_version_tag 8 + ma_keys 8 +
 *   ma_values 8 = 48 → 64. PyDictKeysObject: 32-byte header, then 2^log2
 *   index slots of 1, 2, 4 or 8 bytes (int8 up to 128 slots, int16 up to
 *   2^15, int32 up to 2^31), then USABLE_FRACTION(2^log2) = 2^(log2+1)/3
 *   entries of 16 bytes (str keys: key, value) from PyObject_Malloc.
 * - int: PyLongObject head 24 + 4 bytes per 30-bit digit, at least one
 *   digit: 28 for |v| < 2^30, 32 below 2^60. Values -5..256 are cached.
 * - float: head 16 + double 8 = 24; 100 kept on the float free list.
 * - Free lists: 80 lists, 80 dicts, 80 keys objects of 8 slots (pycore_dict.h).
 */
export const CPYTHON_311: PythonLayout = {
  version: '3.11',
  pointerBytes: 8,
  strSize: (len) => 48 + len + 1,
  bytesSize: (len) => 33 + len,
  listHeader: 56,
  listGrowth: (newSize, oldSize) => listGrowth39(newSize, oldSize),
  itemArrayDomain: 'obj',
  tupleSize: (n) => 40 + 8 * n,
  dictObject: 64,
  dictTableSize: (log2) => 32 + 2 ** log2 * dictIndexBytes(log2) + 16 * Math.floor(2 ** (log2 + 1) / 3),
  dictTableDomain: 'obj',
  dictStyle: 'compact-3.x',
  gcClearsContainerFreeLists: true,
  intSize: (digits) => 24 + 4 * Math.max(1, digits),
  floatSize: 24,
  numberBlockBytes: 0,
  numbersPerBlock: 0,
  freeLists: { list: 80, dict: 80, keys: 80, tuple: 2000, tupleMaxLen: 20, float: 100 },
};

function dictIndexBytes(log2: number): number {
  if (log2 < 8) return 1;
  if (log2 < 16) return 2;
  if (log2 < 32) return 4;
  return 8;
}

/** Smallest hash-table log2 size (>= 3) whose usable entries (2/3) hold `n` items. */
export function dictLog2ForItems(n: number): number {
  let log2 = 3;
  while (Math.floor(2 ** (log2 + 1) / 3) < n) log2++;
  return log2;
}

/** Usable entries of a 3.x keys table of 2^log2 slots: USABLE_FRACTION. */
export function dictUsable(log2: number): number {
  return Math.floor(2 ** (log2 + 1) / 3);
}

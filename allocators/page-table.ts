// Which pages of the whole address space are mapped and which are resident,
// as one two-level table indexed by page number: the AddressSpace's residency
// store. A write (touch) finds its bits by address arithmetic alone, whatever
// mapping it lands in: no search of the mappings, no cache of recent ones that
// a model alternating among a hundred arenas would keep missing.
//
// A leaf covers up to 2^32 bytes (2^20 pages of 4 KiB), so a 64-bit process
// uses a few leaves (the brk heap, the mmap area, one more per 4 GiB of either)
// and a 32-bit one a single leaf; offsets inside a leaf stay below 2^32 and
// page by an unsigned shift. Each 32-page group is two adjacent words, the mapped bits then the
// resident bits, so a write reads one cache line. Resident bits are only ever
// set on mapped pages and are cleared with them, so counting resident bits
// over a range counts only mapped pages.
import { PageBitset, popcount32 } from './page-bitset.ts';

/** Mask of bits [lo, hi] within one 32-bit word, 0 ≤ lo ≤ hi ≤ 31 (as an int32). */
function bitsMask(lo: number, hi: number): number {
  const upper = hi === 31 ? -1 : (1 << (hi + 1)) - 1;
  return upper & ~((1 << lo) - 1);
}

const NO_KEY = -1;
const NO_LEAF = new Int32Array(0);
/**
 * Leaves found without the map, direct-mapped by the low bits of their key:
 * consecutive leaves never collide, so a brk heap of tens of GiB and the mmap
 * area below 2^47 (keys far apart) all stay at hand.
 */
const CACHE_SLOTS = 64;

/** What `overRange` does to each word of a page range. */
const OP_SET = 0;
const OP_CLEAR = 1;
const OP_COUNT = 2;
const OP_MAP = 3;
const OP_UNMAP = 4;
/** Throw when a page is not mapped; change nothing. */
const OP_CHECK = 5;
type RangeOp = typeof OP_SET | typeof OP_CLEAR | typeof OP_COUNT | typeof OP_MAP | typeof OP_UNMAP | typeof OP_CHECK;

export class PageTable {
  private readonly pageSize: number;
  private readonly pageShift: number;
  /** Pages a leaf covers (a power of two ≥ 32) and the bytes they span (≤ 2^32). */
  private readonly leafPages: number;
  private readonly span: number;
  /** 1 / span: exact, span is a power of two. */
  private readonly invSpan: number;
  private readonly leaves = new Map<number, Int32Array>();
  /** 1 / leafPages: exact, a power of two. */
  private readonly invLeafPages: number;
  /** Key of the leaf in each cache slot (NO_KEY: none) and the leaf. */
  private readonly cacheKeys = new Float64Array(CACHE_SLOTS).fill(NO_KEY);
  private readonly cacheLeaves: Int32Array[] = new Array<Int32Array>(CACHE_SLOTS).fill(NO_LEAF);

  constructor(pageSize: number) {
    this.pageSize = pageSize;
    this.pageShift = Math.log2(pageSize);
    if (pageSize > 2 ** 27) throw new Error(`page size ${pageSize} is too large (at most 128 MiB)`);
    this.leafPages = Math.min(2 ** 20, 2 ** 32 / pageSize);
    this.span = this.leafPages * pageSize;
    this.invSpan = 1 / this.span;
    this.invLeafPages = 1 / this.leafPages;
  }

  /**
   * A write to [addr, addr + length), length ≥ 1: its pages become resident.
   * Returns how many were not resident before. Bytes not mapped are a model
   * bug (a segfault): an Error naming the first such address.
   */
  setResident(addr: number, length: number): number {
    const key = Math.floor(addr * this.invSpan);
    const off = addr - key * this.span;
    const last = off + length - 1;
    // Keys are below 2^17 (addresses below 2^49): the slot is an int32 mask.
    const slot = key & (CACHE_SLOTS - 1);
    if (this.cacheKeys[slot] !== key || last >= this.span) return this.overRange(addr, length, OP_SET);
    const leaf = this.cacheLeaves[slot]!;
    // off and last are below 2^32: the unsigned shift is their floor division.
    const p0 = off >>> this.pageShift;
    const p1 = last >>> this.pageShift;
    if (p0 === p1) {
      const i = (p0 >>> 5) << 1;
      const bit = 1 << (p0 & 31);
      const r = leaf[i + 1]!;
      if ((r & bit) !== 0) return 0;
      if ((leaf[i]! & bit) === 0) this.unmapped(addr);
      leaf[i + 1] = r | bit;
      return 1;
    }
    // A block of a few KiB: its pages share one 32-page group, one mask.
    if (p0 >>> 5 === p1 >>> 5) {
      const i = (p0 >>> 5) << 1;
      const mask = bitsMask(p0 & 31, p1 & 31);
      const r = leaf[i + 1]!;
      const fresh = mask & ~r;
      if (fresh === 0) return 0;
      if ((leaf[i]! & mask) !== mask) return this.overRange(addr, length, OP_SET);
      leaf[i + 1] = r | mask;
      return popcount32(fresh);
    }
    return this.setSpan(leaf, p0, p1, addr, length);
  }

  /** Set leaf pages [p0, p1] (more than one 32-page group), all mapped, or let the general path name the hole. */
  private setSpan(leaf: Int32Array, p0: number, p1: number, addr: number, length: number): number {
    const g0 = p0 >>> 5;
    const g1 = p1 >>> 5;
    const first = bitsMask(p0 & 31, 31);
    const last = bitsMask(0, p1 & 31);
    let ok = (leaf[g0 << 1]! & first) === first && (leaf[g1 << 1]! & last) === last;
    for (let g = g0 + 1; ok && g < g1; g++) ok = leaf[g << 1] === -1;
    if (!ok) return this.overRange(addr, length, OP_SET);
    let n = 0;
    for (let g = g0; g <= g1; g++) {
      const mask = g === g0 ? first : g === g1 ? last : -1;
      const i = (g << 1) + 1;
      const r = leaf[i]!;
      const fresh = mask & ~r;
      if (fresh !== 0) {
        n += popcount32(fresh);
        leaf[i] = r | mask;
      }
    }
    return n;
  }

  /** madvise(DONTNEED) of whole pages [page, page + count): returns how many were resident. All must be mapped. */
  clearResident(page: number, count: number): number {
    return count > 0 ? this.overPages(page, count, OP_CLEAR) : 0;
  }

  /** Resident pages among [page, page + count). */
  countResident(page: number, count: number): number {
    if (count <= 0) return 0;
    // A pool or a run of a few pages in a cached leaf: one mask (findings ask per pool).
    const key = Math.floor(page * this.invLeafPages);
    const slot = key & (CACHE_SLOTS - 1);
    const q = page - key * this.leafPages;
    if (this.cacheKeys[slot] === key && q + count <= this.leafPages && q >>> 5 === (q + count - 1) >>> 5) {
      return popcount32(this.cacheLeaves[slot]![((q >>> 5) << 1) + 1]! & bitsMask(q & 31, (q + count - 1) & 31));
    }
    return this.overPages(page, count, OP_COUNT);
  }

  /** Pages [page, page + count) become mapped (and not resident: they were unmapped). */
  map(page: number, count: number): void {
    if (count > 0) this.overPages(page, count, OP_MAP);
  }

  /** Pages [page, page + count) leave: returns how many of them were resident. */
  unmap(page: number, count: number): number {
    return count > 0 ? this.overPages(page, count, OP_UNMAP) : 0;
  }

  /**
   * Make resident at `to` every page resident in [from, from + count) (mremap
   * moving a mapping). The ranges do not overlap; `to` is mapped already.
   */
  copyResident(from: number, to: number, count: number): void {
    for (let k = 0; k < count; k += 32) {
      const n = Math.min(32, count - k);
      const bits = this.residentBits(from + k, n);
      if (bits !== 0) this.orResident(to + k, n, bits);
    }
  }

  /** The residency of pages [page, page + count) as a bitset of its own, page 0 = `page` (for maps and reports). */
  snapshot(page: number, count: number): PageBitset {
    const out = new PageBitset(count);
    for (let k = 0; k < count; k += 32) {
      const bits = this.residentBits(page + k, Math.min(32, count - k));
      if (bits !== 0) out.orBits(k, bits >>> 0);
    }
    return out;
  }

  /** The resident bits of pages [page, page + n), n ≤ 32, as bit 0 = `page`. */
  private residentBits(page: number, n: number): number {
    let bits = 0;
    for (let k = 0; k < n; ) {
      const p = page + k;
      const key = Math.floor(p / this.leafPages);
      const leaf = this.leafOf(key, false);
      const q = p - key * this.leafPages;
      const lo = q & 31;
      const take = Math.min(32 - lo, n - k, this.leafPages - q);
      if (leaf !== null) {
        const word = leaf[((q >>> 5) << 1) + 1]! >>> lo;
        const mask = take === 32 ? -1 : (1 << take) - 1;
        bits |= (word & mask) << k;
      }
      k += take;
    }
    return bits;
  }

  /** Set resident the pages among [page, page + n) whose bit (bit 0 = `page`) is in `bits`. */
  private orResident(page: number, n: number, bits: number): void {
    for (let k = 0; k < n; k++) {
      if (((bits >>> k) & 1) === 0) continue;
      const p = page + k;
      const key = Math.floor(p / this.leafPages);
      const leaf = this.leafOf(key, true)!;
      const q = p - key * this.leafPages;
      const i = ((q >>> 5) << 1) + 1;
      leaf[i] = leaf[i]! | (1 << (q & 31));
    }
  }

  private overRange(addr: number, length: number, op: RangeOp): number {
    const first = Math.floor(addr / this.pageSize);
    const last = Math.floor((addr + length - 1) / this.pageSize);
    return this.overPages(first, last - first + 1, op, addr);
  }

  /**
   * Apply `op` to pages [page, page + count), leaf by leaf; `addr` is the
   * write's first byte, for the error. A write or madvise that meets an
   * unmapped page throws before it changes anything.
   */
  private overPages(page: number, count: number, op: RangeOp, addr = page * this.pageSize): number {
    if (op === OP_SET || op === OP_CLEAR) this.overPages(page, count, OP_CHECK, addr);
    let n = 0;
    const end = page + count;
    while (page < end) {
      const key = Math.floor(page / this.leafPages);
      const leafStart = key * this.leafPages;
      const to = Math.min(end, leafStart + this.leafPages);
      const leaf = this.leafOf(key, op === OP_MAP);
      if (leaf === null) {
        if (op === OP_CHECK) this.unmapped(Math.max(addr, page * this.pageSize));
      } else {
        n += this.inLeaf(leaf, key, page - leafStart, to - leafStart, op, addr);
      }
      page = to;
    }
    return n;
  }

  /** Apply `op` to leaf pages [q0, q1) of the leaf `key`. */
  private inLeaf(leaf: Int32Array, key: number, q0: number, q1: number, op: RangeOp, addr: number): number {
    let n = 0;
    for (let q = q0; q < q1; ) {
      const lo = q & 31;
      const hi = Math.min(31, lo + (q1 - 1 - q));
      const mask = bitsMask(lo, hi);
      const i = (q >>> 5) << 1;
      const mapped = leaf[i]!;
      const resident = leaf[i + 1]!;
      if (op === OP_CHECK) {
        if ((mapped & mask) !== mask) {
          const hole = q + this.firstZero(mapped, lo, hi) - lo;
          this.unmapped(Math.max(addr, (key * this.leafPages + hole) * this.pageSize));
        }
      } else if (op === OP_SET || op === OP_CLEAR) {
        if (op === OP_SET) {
          const fresh = mask & ~resident;
          if (fresh !== 0) {
            n += popcount32(fresh);
            leaf[i + 1] = resident | mask;
          }
        } else {
          const gone = mask & resident;
          if (gone !== 0) {
            n += popcount32(gone);
            leaf[i + 1] = resident & ~mask;
          }
        }
      } else if (op === OP_COUNT) {
        n += popcount32(mask & resident);
      } else if (op === OP_MAP) {
        // Fresh pages: nothing written to them yet.
        leaf[i] = mapped | mask;
        leaf[i + 1] = resident & ~mask;
      } else {
        n += popcount32(mask & resident);
        leaf[i] = mapped & ~mask;
        leaf[i + 1] = resident & ~mask;
      }
      q += hi - lo + 1;
    }
    return n;
  }

  /** The lowest bit in [lo, hi] of `word` that is clear (one exists). */
  private firstZero(word: number, lo: number, hi: number): number {
    let b = lo;
    while (b < hi && ((word >>> b) & 1) === 1) b++;
    return b;
  }

  /** The leaf `key`, put in its cache slot; created when `create`, else null when it does not exist. */
  private leafOf(key: number, create: boolean): Int32Array | null {
    const slot = key & (CACHE_SLOTS - 1);
    if (this.cacheKeys[slot] === key) return this.cacheLeaves[slot]!;
    let leaf = this.leaves.get(key);
    if (leaf === undefined) {
      if (!create) return null;
      leaf = new Int32Array((this.leafPages >>> 5) * 2);
      this.leaves.set(key, leaf);
    }
    this.cacheKeys[slot] = key;
    this.cacheLeaves[slot] = leaf;
    return leaf;
  }

  private unmapped(addr: number): never {
    throw new Error(`access to unmapped address 0x${addr.toString(16)}`);
  }
}

// A growable bitset of pages: one bit per page, set while the page is resident.
// Range operations work a 32-bit word at a time so that touching a 1 GiB block
// costs about 8 K word writes, not 256 K page visits.

/** Set bits of a 32-bit word. */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Mask of bits [lo, hi) within one 32-bit word, 0 ≤ lo < hi ≤ 32. */
function wordMask(lo: number, hi: number): number {
  const upper = hi === 32 ? 0xffffffff : ((1 << hi) - 1) >>> 0;
  const lower = lo === 0 ? 0 : ((1 << lo) - 1) >>> 0;
  return (upper & ~lower) >>> 0;
}

export class PageBitset {
  private words: Uint32Array;

  constructor(pages: number) {
    this.words = new Uint32Array(Math.max(1, Math.ceil(pages / 32)));
  }

  /** Capacity in pages. */
  get capacity(): number {
    return this.words.length * 32;
  }

  /** Make room for at least `pages` pages, keeping the bits already set. */
  ensure(pages: number): void {
    if (pages <= this.capacity) return;
    let n = this.words.length;
    while (n * 32 < pages) n *= 2;
    const grown = new Uint32Array(n);
    grown.set(this.words);
    this.words = grown;
  }

  get(page: number): boolean {
    return ((this.words[page >>> 5]! >>> (page & 31)) & 1) === 1;
  }

  /** Set one page; returns 1 when it was not set before. The one-page write is the common touch. */
  setPage(page: number): number {
    const w = page >>> 5;
    if (w >= this.words.length) this.ensure(page + 1);
    const words = this.words;
    const bit = 1 << (page & 31);
    const old = words[w]!;
    if ((old & bit) !== 0) return 0;
    words[w] = old | bit;
    return 1;
  }

  /**
   * Set pages [from, to); returns how many were newly set. A write of a few
   * pages (a block of some KiB) lies within one word: one mask, no loop.
   */
  setRange(from: number, to: number): number {
    const w = from >>> 5;
    if (to > from && (to - 1) >>> 5 === w && w < this.words.length) {
      const words = this.words;
      const mask = wordMask(from & 31, ((to - 1) & 31) + 1);
      const old = words[w]!;
      const fresh = (mask & ~old) >>> 0;
      if (fresh === 0) return 0;
      words[w] = (old | mask) >>> 0;
      return popcount32(fresh);
    }
    return this.update(from, to, true);
  }

  /** Clear pages [from, to); returns how many were set before. */
  clearRange(from: number, to: number): number {
    return this.update(from, to, false);
  }

  /** How many pages in [from, to) are set. */
  countRange(from: number, to: number): number {
    let count = 0;
    const words = this.words;
    to = Math.min(to, this.capacity);
    while (from < to) {
      const w = from >>> 5;
      const lo = from & 31;
      const hi = Math.min(32, lo + (to - from));
      count += popcount32((words[w]! & wordMask(lo, hi)) >>> 0);
      from += hi - lo;
    }
    return count;
  }

  /**
   * A copy of pages [from, to) as a new bitset starting at page 0. A word at a
   * time: a partial munmap of a large mapping copies the rest of its residency.
   */
  slice(from: number, to: number): PageBitset {
    const count = Math.max(0, to - from);
    const out = new PageBitset(count);
    const dst = out.words;
    const src = this.words;
    const shift = from & 31;
    const first = from >>> 5;
    const n = Math.ceil(count / 32);
    for (let w = 0; w < n; w++) {
      const i = first + w;
      const lo = i < src.length ? src[i]! >>> shift : 0;
      const hi = shift !== 0 && i + 1 < src.length ? src[i + 1]! << (32 - shift) : 0;
      dst[w] = (lo | hi) >>> 0;
    }
    // Pages at and past `count` in the last word belong to the source's later pages: drop them.
    const tail = count & 31;
    if (tail !== 0) dst[n - 1] = (dst[n - 1]! & wordMask(0, tail)) >>> 0;
    return out;
  }

  /** Set in this bitset, at `at`, every page set in pages [0, count) of `src` (pages already set stay set). */
  copyFrom(src: PageBitset, count: number, at: number): void {
    this.ensure(at + count);
    const from = src.words;
    for (let p = 0; p < count; p += 32) {
      const w = p >>> 5;
      let bits = w < from.length ? from[w]! : 0;
      const n = Math.min(32, count - p);
      if (n < 32) bits = (bits & wordMask(0, n)) >>> 0;
      if (bits !== 0) this.orBits(at + p, bits);
    }
  }

  /** OR 32 pages' bits (bit k = page `page + k`) into the words they land in (growing as needed). */
  orBits(page: number, bits: number): void {
    // Room for the highest page set, no more: a snapshot's capacity is its length.
    this.ensure(page + 32 - Math.clz32(bits));
    const words = this.words;
    const w = page >>> 5;
    const shift = page & 31;
    words[w] = (words[w]! | (bits << shift)) >>> 0;
    if (shift !== 0) {
      const spill = bits >>> (32 - shift);
      if (spill !== 0) words[w + 1] = (words[w + 1]! | spill) >>> 0;
    }
  }

  private update(from: number, to: number, set: boolean): number {
    if (to <= from) return 0;
    this.ensure(to);
    const words = this.words;
    let changed = 0;
    while (from < to) {
      const w = from >>> 5;
      const lo = from & 31;
      const hi = Math.min(32, lo + (to - from));
      const mask = wordMask(lo, hi);
      const old = words[w]!;
      if (set) {
        const fresh = (mask & ~old) >>> 0;
        if (fresh !== 0) {
          changed += popcount32(fresh);
          words[w] = (old | mask) >>> 0;
        }
      } else {
        const gone = (mask & old) >>> 0;
        if (gone !== 0) {
          changed += popcount32(gone);
          words[w] = (old & ~mask) >>> 0;
        }
      }
      from += hi - lo;
    }
    return changed;
  }
}

// Storage for the region bitmaps of live slabs (1 = region free), all in one
// Uint32Array so that a free() reaches its bit without chasing an object.
// Each slab gets the words its class needs rounded up to a power of two, so a
// slab of a few regions costs one word rather than a whole 512-region bitmap:
// with a million slabs live that is the difference between a few MiB and
// most of a gigabyte of bitmap, and between cache hits and misses. Released
// bitmaps are reused, per size, by the next slab of that size.

/** Bitmap sizes go up to 2^MAX_LG_WORDS words (512 regions, the 8-byte class in one page). */
export const MAX_LG_WORDS = 4;

/** log2 of the words a bitmap of `nregs` regions takes (0 for up to 32 regions). */
export function lgWordsFor(nregs: number): number {
  const words = Math.ceil(nregs / 32);
  let lg = 0;
  while (1 << lg < words) lg++;
  if (lg > MAX_LG_WORDS) throw new Error(`jemalloc model: a slab of ${nregs} regions needs more bitmap than it holds (${32 << MAX_LG_WORDS} regions)`);
  return lg;
}

export class SlabBitmaps {
  /** Every bitmap; re-read after take(), which may replace it with a larger array. */
  words = new Uint32Array(1024);
  /** Words handed out so far from the start of `words`. */
  private top = 0;
  /** Offsets of released bitmaps, a stack per lg size. */
  private readonly released: Int32Array[] = [];
  private readonly nreleased = new Int32Array(MAX_LG_WORDS + 1);

  constructor() {
    for (let lg = 0; lg <= MAX_LG_WORDS; lg++) this.released.push(new Int32Array(16));
  }

  /** Offset in `words` of a bitmap of 2^lg words (its contents are stale: the caller writes them). */
  take(lg: number): number {
    const n = this.nreleased[lg]!;
    if (n > 0) {
      this.nreleased[lg] = n - 1;
      return this.released[lg]![n - 1]!;
    }
    const at = this.top;
    const size = 1 << lg;
    if (at + size > this.words.length) {
      const grown = new Uint32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    this.top = at + size;
    return at;
  }

  /** Give back the bitmap of 2^lg words at `offset`. */
  release(offset: number, lg: number): void {
    let stack = this.released[lg]!;
    const n = this.nreleased[lg]!;
    if (n === stack.length) {
      const grown = new Int32Array(stack.length * 2);
      grown.set(stack);
      this.released[lg] = stack = grown;
    }
    stack[n] = offset;
    this.nreleased[lg] = n + 1;
  }
}

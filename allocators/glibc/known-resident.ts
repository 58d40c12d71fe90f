// The brk-heap pages this arena knows to be resident, so that its writes to
// chunk headers, links and footers (two or three per malloc and free, nearly
// always on a page already written) skip AddressSpace.touch. Only the arena
// takes brk-heap pages out of RSS (systrim's sbrk and malloc_trim's madvise),
// and it forgets those pages here as it does; every other writer (the
// program's own bytes, a model on top) only adds resident pages, which at
// worst makes a page here "not known" and costs one touch that finds it set.

/** A write of more pages than this is not remembered (a big copy: rare, and it keeps `note` loop-free in practice). */
const MAX_NOTED_PAGES = 64;

export class KnownResident {
  /** Bit per page from `base`. */
  private bits = new Uint32Array(64);
  /** Pages the bitset covers (bits.length × 32). */
  private limit = 64 * 32;

  constructor(
    private readonly base: number,
    private readonly invPage: number,
  ) {}

  /** Whether [addr, addr+len) lies within one page known resident. */
  has(addr: number, len: number): boolean {
    const off = addr - this.base;
    const p = Math.floor(off * this.invPage);
    return p >= 0 && p < this.limit && p === Math.floor((off + len - 1) * this.invPage) && (this.bits[p >>> 5]! & (1 << (p & 31))) !== 0;
  }

  /** [addr, addr+len) was just written and lies in the brk heap: its pages are resident. */
  note(addr: number, len: number): void {
    const off = addr - this.base;
    if (off < 0 || len <= 0) return;
    const p0 = Math.floor(off * this.invPage);
    const p1 = Math.floor((off + len - 1) * this.invPage);
    if (p1 - p0 >= MAX_NOTED_PAGES) return;
    if (p1 >= this.limit) this.grow(p1);
    const bits = this.bits;
    for (let p = p0; p <= p1; p++) bits[p >>> 5]! |= 1 << (p & 31);
  }

  /** The pages overlapping [addr, addr+len) left RSS (or the heap): forget them. */
  forget(addr: number, len: number): void {
    const off = addr - this.base;
    const p0 = Math.max(0, Math.floor(off * this.invPage));
    const p1 = Math.min(this.limit - 1, Math.floor((off + len - 1) * this.invPage));
    const bits = this.bits;
    let p = p0;
    // Single bits up to a word boundary, then whole words, then single bits.
    for (; p <= p1 && (p & 31) !== 0; p++) bits[p >>> 5]! &= ~(1 << (p & 31));
    for (; p + 31 <= p1; p += 32) bits[p >>> 5] = 0;
    for (; p <= p1; p++) bits[p >>> 5]! &= ~(1 << (p & 31));
  }

  private grow(page: number): void {
    let n = this.bits.length * 2;
    while (n * 32 <= page) n *= 2;
    const grown = new Uint32Array(n);
    grown.set(this.bits);
    this.bits = grown;
    this.limit = n * 32;
  }
}

// Page address → small integer for the jemalloc model's per-event lookups
// (the page map free() uses, and the extent neighbours coalescing asks for).
// The same two-level radix as ../address-index.ts, specialised to 4 KiB pages
// so that the common lookup, inside the leaf used last, is a subtraction, a
// range check and a shift: no division, no Map. Leaves are created only where
// something is registered, and found by their index in a flat table (one
// slot per GiB of a 2^48 address space) when neither cached leaf holds the
// address. Leaves span 1 GiB so that a model's whole arena usually sits in
// one or two of them. Addresses go up to 2^48: only offsets inside a leaf
// (below 2^30) ever meet a 32-bit operation.

const LG_PAGE = 12;
/** Pages per leaf: a 1 MiB Int32Array covering 1 GiB of address space. */
const LEAF_PAGES = 2 ** 18;
export const LEAF_SPAN = LEAF_PAGES * 2 ** LG_PAGE;
/** 1 / LEAF_SPAN, exact (a power of two), so a leaf key is a multiplication. */
const INV_LEAF_SPAN = 1 / LEAF_SPAN;
/** Leaf keys of addresses below 2^48. */
const TABLE_SLOTS = 2 ** 48 / LEAF_SPAN;

/** What `get` returns for a page with nothing registered. */
export const NO_PAGE = -1;

export class PageIndex {
  /** Leaf of each key (null where nothing was ever registered). */
  private readonly leaves: (Int32Array | null)[] = new Array<Int32Array | null>(TABLE_SLOTS).fill(null);
  private nleaves = 0;
  /** First address the cached leaf covers (−∞ before any), and the leaf. */
  private lastBase = -Infinity;
  private lastLeaf: Int32Array = new Int32Array(0);
  /** The leaf cached before it: lookups often alternate between two leaves (two mappings). */
  private prevBase = -Infinity;
  private prevLeaf: Int32Array = new Int32Array(0);

  /** The value registered for the page holding `addr`, or NO_PAGE. */
  get(addr: number): number {
    const off = addr - this.lastBase;
    // Slots hold value + 1 so that a fresh (zeroed) leaf reads as NO_PAGE everywhere.
    if (off >= 0 && off < LEAF_SPAN) return this.lastLeaf[off >>> LG_PAGE]! - 1;
    return this.getSlow(addr);
  }

  private getSlow(addr: number): number {
    const off = addr - this.prevBase;
    if (off >= 0 && off < LEAF_SPAN) {
      this.swap();
      return this.lastLeaf[off >>> LG_PAGE]! - 1;
    }
    const key = Math.floor(addr * INV_LEAF_SPAN);
    const leaf = key < TABLE_SLOTS ? this.leaves[key]! : null;
    if (leaf === null) return NO_PAGE;
    this.cache(key * LEAF_SPAN, leaf);
    return leaf[(addr - this.lastBase) >>> LG_PAGE]! - 1;
  }

  private swap(): void {
    const base = this.prevBase;
    const leaf = this.prevLeaf;
    this.prevBase = this.lastBase;
    this.prevLeaf = this.lastLeaf;
    this.lastBase = base;
    this.lastLeaf = leaf;
  }

  private cache(base: number, leaf: Int32Array): void {
    this.prevBase = this.lastBase;
    this.prevLeaf = this.lastLeaf;
    this.lastBase = base;
    this.lastLeaf = leaf;
  }

  /** Register `value` (0 ≤ value < 2^31 − 1) for the page holding `addr`. */
  set(addr: number, value: number): void {
    let off = addr - this.lastBase;
    if (!(off >= 0 && off < LEAF_SPAN)) off = addr - this.select(addr);
    this.lastLeaf[off >>> LG_PAGE] = value + 1;
  }

  /** Forget the page holding `addr`. */
  delete(addr: number): void {
    const off = addr - this.lastBase;
    if (off >= 0 && off < LEAF_SPAN) this.lastLeaf[off >>> LG_PAGE] = 0;
    else if (addr - this.prevBase >= 0 && addr - this.prevBase < LEAF_SPAN) this.prevLeaf[(addr - this.prevBase) >>> LG_PAGE] = 0;
    else {
      const key = Math.floor(addr * INV_LEAF_SPAN);
      const leaf = key < TABLE_SLOTS ? this.leaves[key]! : null;
      if (leaf !== null) leaf[(addr - key * LEAF_SPAN) >>> LG_PAGE] = 0;
    }
  }

  /** Register `value` for `count` consecutive pages from the one holding `addr`. */
  setRun(addr: number, count: number, value: number): void {
    this.fillRun(addr, count, value + 1, true);
  }

  /** Forget `count` consecutive pages from the one holding `addr`. */
  deleteRun(addr: number, count: number): void {
    this.fillRun(addr, count, 0, false);
  }

  /** Leaves allocated so far. */
  get leafCount(): number {
    return this.nleaves;
  }

  private fillRun(addr: number, count: number, slot: number, create: boolean): void {
    while (count > 0) {
      let off = addr - this.lastBase;
      let leaf: Int32Array | null = this.lastLeaf;
      if (!(off >= 0 && off < LEAF_SPAN)) {
        if (create || (addr - this.prevBase >= 0 && addr - this.prevBase < LEAF_SPAN)) {
          off = addr - this.select(addr);
          leaf = this.lastLeaf;
        } else {
          const key = Math.floor(addr * INV_LEAF_SPAN);
          leaf = key < TABLE_SLOTS ? this.leaves[key]! : null;
          off = addr - key * LEAF_SPAN;
        }
      }
      const from = off >>> LG_PAGE;
      const to = Math.min(LEAF_PAGES, from + count);
      // A loop, not fill(): runs are a few pages, and the builtin's call costs more than they do.
      if (leaf !== null) for (let i = from; i < to; i++) leaf[i] = slot;
      count -= to - from;
      addr = addr - off + LEAF_SPAN;
    }
  }

  /** Make the leaf holding `addr` (created if need be) the cached one; returns its first address. */
  private select(addr: number): number {
    const off = addr - this.prevBase;
    if (off >= 0 && off < LEAF_SPAN) {
      this.swap();
      return this.lastBase;
    }
    const key = Math.floor(addr * INV_LEAF_SPAN);
    if (!(key >= 0 && key < TABLE_SLOTS)) throw new Error(`jemalloc model: address 0x${addr.toString(16)} is outside the 48-bit address space`);
    let leaf = this.leaves[key]!;
    if (leaf === null) {
      leaf = new Int32Array(LEAF_PAGES);
      this.leaves[key] = leaf;
      this.nleaves++;
    }
    this.cache(key * LEAF_SPAN, leaf);
    return this.lastBase;
  }
}

// Address → small integer, one slot per address unit (a page, a pool), as a
// two-level radix of typed arrays: what jemalloc's rtree does for pages and
// CPython's arena map does for pools. A lookup is a division, one cached leaf
// and an array load, with no hashing and no boxed doubles, which is what the
// per-event free() and malloc_usable_size() paths need. Leaves are created
// only where something is registered, so memory follows the mapped ranges.
//
// Addresses go up to 2^48: no 32-bit operation ever sees a whole address, only
// an offset inside a leaf, which is kept below 2^31.

/** What `get` returns for a unit with nothing registered. */
export const ABSENT = -1;

export class AddressIndex {
  /** log2 of the bytes per unit. */
  private readonly lgUnit: number;
  /** Bytes one leaf covers (a power of two ≤ 2^31). */
  private readonly leafSpan: number;
  private readonly leafSlots: number;
  private readonly leaves = new Map<number, Int32Array>();
  /** The leaf of the last lookup: nearly every lookup stays within one leaf. */
  private lastKey = -1;
  private lastLeaf: Int32Array | null = null;

  /** `unitBytes` is a power of two (the page size, the pool size). */
  constructor(unitBytes: number) {
    const lg = Math.log2(unitBytes);
    if (!Number.isInteger(lg) || lg < 0 || lg > 30) throw new Error(`AddressIndex unit must be a power of two up to 2^30, not ${unitBytes}`);
    this.lgUnit = lg;
    // 2^16 slots (256 KiB) a leaf, fewer for big units so that offsets stay 31-bit.
    const leafBits = Math.min(16, 31 - lg);
    this.leafSlots = 2 ** leafBits;
    this.leafSpan = 2 ** (leafBits + lg);
  }

  /** The value registered for the unit holding `addr`, or ABSENT. */
  get(addr: number): number {
    const key = Math.floor(addr / this.leafSpan);
    let leaf = this.lastLeaf;
    if (key !== this.lastKey) {
      const found = this.leaves.get(key);
      if (found === undefined) return ABSENT;
      this.lastKey = key;
      this.lastLeaf = leaf = found;
    }
    // Slots hold value + 1 so that a fresh (zeroed) leaf reads as ABSENT everywhere.
    return leaf![(addr - key * this.leafSpan) >>> this.lgUnit]! - 1;
  }

  /** Register `value` (0 ≤ value < 2^31 − 1) for the unit holding `addr`. */
  set(addr: number, value: number): void {
    const key = Math.floor(addr / this.leafSpan);
    this.leafFor(key)[(addr - key * this.leafSpan) >>> this.lgUnit] = value + 1;
  }

  /** Forget the unit holding `addr`. */
  delete(addr: number): void {
    const key = Math.floor(addr / this.leafSpan);
    const leaf = key === this.lastKey ? this.lastLeaf : this.leaves.get(key);
    if (leaf) leaf[(addr - key * this.leafSpan) >>> this.lgUnit] = 0;
  }

  /** Register `value` for `count` consecutive units from the one holding `addr`. */
  setRun(addr: number, count: number, value: number): void {
    while (count > 0) {
      const key = Math.floor(addr / this.leafSpan);
      const leaf = this.leafFor(key);
      const from = (addr - key * this.leafSpan) >>> this.lgUnit;
      const to = Math.min(this.leafSlots, from + count);
      for (let i = from; i < to; i++) leaf[i] = value + 1;
      count -= to - from;
      addr = (key + 1) * this.leafSpan;
    }
  }

  /** Forget `count` consecutive units from the one holding `addr`. */
  deleteRun(addr: number, count: number): void {
    while (count > 0) {
      const key = Math.floor(addr / this.leafSpan);
      const from = (addr - key * this.leafSpan) >>> this.lgUnit;
      const to = Math.min(this.leafSlots, from + count);
      const leaf = key === this.lastKey ? this.lastLeaf : this.leaves.get(key);
      if (leaf) for (let i = from; i < to; i++) leaf[i] = 0;
      count -= to - from;
      addr = (key + 1) * this.leafSpan;
    }
  }

  /** Leaves allocated so far (each covers leafSpan bytes of address space). */
  get leafCount(): number {
    return this.leaves.size;
  }

  private leafFor(key: number): Int32Array {
    if (key === this.lastKey) return this.lastLeaf!;
    let leaf = this.leaves.get(key);
    if (leaf === undefined) {
      leaf = new Int32Array(this.leafSlots);
      this.leaves.set(key, leaf);
    }
    this.lastKey = key;
    this.lastLeaf = leaf;
    return leaf;
  }
}

// Which pool, if any, owns an address: what Py_ADDRESS_IN_RANGE and the 3.10
// radix tree answer on every free() and realloc(). Pools are whole POOL_SIZE
// windows, so the window number floor(addr / POOL_SIZE) is the key, and a
// two-level table of typed arrays maps it to the pool number.
//
// Every free() asks, for pool blocks and for the backing's blocks alike, and
// the two usually live in regions far apart (the brk heap and the mmap area),
// so the two most recent leaves are both kept at hand, and so is the last
// region found to hold no pool at all, which answers without a map lookup or
// a memory read.
// Addresses go up to 2^48: only offsets inside a leaf (below 2^LEAF_BITS) are
// used as integers; the rest is exact double arithmetic (powers of two).

const LEAF_BITS = 18;
const LEAF_SLOTS = 2 ** LEAF_BITS;
/** What `get` returns for an address in no pool (the same as NO_POOL). */
const ABSENT = -1;
const NO_LEAF = new Int32Array(0);

/** First window of the leaf that holds window w (× 2^-LEAF_BITS is exact). */
function leafBase(w: number): number {
  return Math.floor(w * (1 / LEAF_SLOTS)) * LEAF_SLOTS;
}

export class PoolMap {
  /** 1 / POOL_SIZE (exact: POOL_SIZE is a power of two). */
  private readonly invPool: number;
  private readonly leaves = new Map<number, Int32Array>();
  /** First window of the most recent leaf and of the one before (NaN: none yet). */
  private base0 = NaN;
  private leaf0: Int32Array = NO_LEAF;
  private base1 = NaN;
  private leaf1: Int32Array = NO_LEAF;
  /** First window of the last leaf-sized region found without a leaf (NaN: none). */
  private absentBase = NaN;

  constructor(poolSize: number) {
    this.invPool = 1 / poolSize;
  }

  /** Pool number of the pool whose window holds `addr`, or −1. */
  get(addr: number): number {
    const w = Math.floor(addr * this.invPool);
    // Slots hold pool + 1 so that a fresh (zeroed) leaf reads as ABSENT everywhere.
    let off = w - this.base0;
    if (off >= 0 && off < LEAF_SLOTS) return this.leaf0[off]! - 1;
    // Pool blocks in two regions (arenas in the brk heap and in the mmap
    // area) and the backing's blocks alternate: both answer here, uncalled.
    off = w - this.base1;
    if (off >= 0 && off < LEAF_SLOTS) return this.leaf1[off]! - 1;
    off = w - this.absentBase;
    if (off >= 0 && off < LEAF_SLOTS) return ABSENT;
    return this.getOther(w);
  }

  /** In neither cached leaf nor the region known to have none: a map lookup. */
  private getOther(w: number): number {
    const base = leafBase(w);
    const leaf = this.leaves.get(base);
    if (leaf === undefined) {
      this.absentBase = base;
      return ABSENT;
    }
    this.base1 = this.base0;
    this.leaf1 = this.leaf0;
    this.base0 = base;
    this.leaf0 = leaf;
    return leaf[w - base]! - 1;
  }

  /** Register pool `p` for the window that starts at `poolBase`. */
  set(poolBase: number, p: number): void {
    const w = Math.floor(poolBase * this.invPool);
    const base = leafBase(w);
    let leaf = this.leaves.get(base);
    if (leaf === undefined) {
      leaf = new Int32Array(LEAF_SLOTS);
      this.leaves.set(base, leaf);
      if (this.absentBase === base) this.absentBase = NaN;
    }
    leaf[w - base] = p + 1;
  }

  /** Forget the pool of the window that starts at `poolBase`. */
  delete(poolBase: number): void {
    const w = Math.floor(poolBase * this.invPool);
    const base = leafBase(w);
    const leaf = this.leaves.get(base);
    if (leaf !== undefined) leaf[w - base] = 0;
  }

  /** Leaves allocated so far. */
  get leafCount(): number {
    return this.leaves.size;
  }
}

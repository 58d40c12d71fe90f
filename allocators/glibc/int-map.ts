// An integer → record-index hash table in typed arrays (open addressing,
// linear probing). Chunk lookups by address run several times per malloc and
// free; a JS Map costs an allocation per insert and rehashes under churn, this
// does not. Deletion shifts the rest of the probe run back (no tombstones), so
// a heap that churns for millions of events keeps its probe runs short.

export class IntMap {
  /**
   * Slot h holds its key at 2h and its value at 2h + 1, so a lookup reads one
   * cache line. NaN marks an empty slot (NaN equals no key, so a probe needs
   * one comparison per slot).
   */
  private slots: Float64Array;
  private mask: number;
  /** 32 − log2(capacity / 64): Fibonacci hashing of the run takes the top bits of the product. */
  private runShift: number;
  /** Live entries. */
  size = 0;

  constructor(capacity = 1024) {
    let cap = 128;
    while (cap < capacity * 2) cap *= 2;
    this.slots = new Float64Array(2 * cap).fill(NaN);
    this.mask = cap - 1;
    this.runShift = 38 - Math.log2(cap);
  }

  /** The value for key k (an integer, possibly beyond 32 bits or negative), or −1. */
  get(k: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let h = this.slotOf(k);
    for (;;) {
      const x = slots[2 * h]!;
      if (x === k) return slots[2 * h + 1]!;
      if (x !== x) return -1;
      h = (h + 1) & mask;
    }
  }

  set(k: number, v: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let h = this.slotOf(k);
    for (;;) {
      const x = slots[2 * h]!;
      if (x === k) {
        slots[2 * h + 1] = v;
        return;
      }
      if (x !== x) break;
      h = (h + 1) & mask;
    }
    slots[2 * h] = k;
    slots[2 * h + 1] = v;
    // At most half full keeps the expected probe run near 1.5 slots.
    if (++this.size * 2 > mask) this.grow();
  }

  delete(k: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let hole = this.slotOf(k);
    for (;;) {
      const x = slots[2 * hole]!;
      if (x === k) break;
      if (x !== x) return;
      hole = (hole + 1) & mask;
    }
    // Backward shift: move later entries of the run into the hole unless that would put them before their home slot.
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      const x = slots[2 * j]!;
      if (x !== x) break;
      const home = this.slotOf(x);
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      slots[2 * hole] = x;
      slots[2 * hole + 1] = slots[2 * j + 1]!;
      hole = j;
    }
    slots[2 * hole] = NaN;
    this.size--;
  }

  /**
   * Home slot of a key. Keys in one run of 64 (one KiB of heap, at 16 bytes a
   * key) keep their order in a run of 64 slots, so neighbouring chunks, which
   * split, merge and are looked up together, share cache lines; the runs are
   * scattered by Fibonacci hashing of the rest of the key (low and high
   * 32-bit halves mixed).
   */
  private slotOf(k: number): number {
    let lo = k | 0;
    if (k < 0 || k >= 4294967296) lo ^= Math.imul((k / 4294967296) | 0, 0x27d4eb2d);
    return ((Math.imul(lo >>> 6, 0x9e3779b1) >>> this.runShift) << 6) | (lo & 63);
  }

  private grow(): void {
    const old = this.slots;
    const cap = old.length; // twice the old slot count
    this.slots = new Float64Array(2 * cap).fill(NaN);
    this.mask = cap - 1;
    this.runShift = 38 - Math.log2(cap);
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) {
      const x = old[i]!;
      if (x === x) this.set(x, old[i + 1]!);
    }
  }
}

// An address → extent index hash table on typed arrays (open addressing,
// linear probing, backward-shift deletion). Keys are page-aligned addresses or
// page numbers up to 2^48; a Map with such keys boxes a double per entry and
// was the hot spot of the extent caches.

const EMPTY = -1;

export class AddrHash {
  private keys: Float64Array;
  private vals: Int32Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Slot to start probing at: mixes the low and high 32-bit halves (no 32-bit ops on the full key). */
  private slot(key: number): number {
    const lo = key % 4294967296;
    const hi = (key - lo) / 4294967296;
    return (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 7) & this.mask;
  }

  get(key: number): number {
    let i = this.slot(key);
    for (;;) {
      const v = this.vals[i]!;
      if (v === EMPTY) return EMPTY;
      if (this.keys[i] === key) return v;
      i = (i + 1) & this.mask;
    }
  }

  set(key: number, val: number): void {
    if ((this.count + 1) * 2 > this.vals.length) this.grow();
    let i = this.slot(key);
    for (;;) {
      const v = this.vals[i]!;
      if (v === EMPTY) {
        this.keys[i] = key;
        this.vals[i] = val;
        this.count++;
        return;
      }
      if (this.keys[i] === key) {
        this.vals[i] = val;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  delete(key: number): void {
    let i = this.slot(key);
    for (;;) {
      const v = this.vals[i]!;
      if (v === EMPTY) return;
      if (this.keys[i] === key) break;
      i = (i + 1) & this.mask;
    }
    // Backward-shift: move later members of the probe run into the hole.
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      if (this.vals[j] === EMPTY) break;
      const home = this.slot(this.keys[j]!);
      // j's entry may move to `hole` only if its home is not in (hole, j] cyclically.
      const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!between) {
        this.keys[hole] = this.keys[j]!;
        this.vals[hole] = this.vals[j]!;
        hole = j;
      }
    }
    this.vals[hole] = EMPTY;
    this.count--;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const cap = oldVals.length * 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
    this.count = 0;
    for (let i = 0; i < oldVals.length; i++) if (oldVals[i] !== EMPTY) this.set(oldKeys[i]!, oldVals[i]!);
  }
}

// An integer → record-index hash table in typed arrays (open addressing,
// linear probing). Chunk lookups by address run on every malloc and free; a
// JS Map costs an allocation per insert and rehashes under churn, this does not.

const EMPTY = 0;
const FULL = 1;
const DELETED = 2;

export class IntMap {
  private keys: Float64Array;
  private vals: Int32Array;
  private state: Uint8Array;
  private mask: number;
  /** Live entries. */
  size = 0;
  /** Live entries plus tombstones: what decides when to rebuild. */
  private filled = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap);
    this.state = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  /** The value for key k (an integer, possibly beyond 32 bits), or −1. */
  get(k: number): number {
    const keys = this.keys;
    const state = this.state;
    const mask = this.mask;
    let h = hash(k) & mask;
    for (;;) {
      const s = state[h]!;
      if (s === EMPTY) return -1;
      if (s === FULL && keys[h] === k) return this.vals[h]!;
      h = (h + 1) & mask;
    }
  }

  set(k: number, v: number): void {
    const keys = this.keys;
    const state = this.state;
    const mask = this.mask;
    let h = hash(k) & mask;
    let tomb = -1;
    for (;;) {
      const s = state[h]!;
      if (s === EMPTY) break;
      if (s === FULL) {
        if (keys[h] === k) {
          this.vals[h] = v;
          return;
        }
      } else if (tomb < 0) {
        tomb = h;
      }
      h = (h + 1) & mask;
    }
    if (tomb >= 0) {
      h = tomb;
    } else {
      this.filled++;
    }
    keys[h] = k;
    this.vals[h] = v;
    state[h] = FULL;
    this.size++;
    if (this.filled * 2 > mask) this.rebuild();
  }

  delete(k: number): void {
    const keys = this.keys;
    const state = this.state;
    const mask = this.mask;
    let h = hash(k) & mask;
    for (;;) {
      const s = state[h]!;
      if (s === EMPTY) return;
      if (s === FULL && keys[h] === k) {
        state[h] = DELETED;
        this.size--;
        return;
      }
      h = (h + 1) & mask;
    }
  }

  /** Re-insert everything, dropping tombstones; grow when more than a quarter is live. */
  private rebuild(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const oldState = this.state;
    let cap = oldState.length;
    if (this.size * 4 > cap) cap *= 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap);
    this.state = new Uint8Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    this.filled = 0;
    for (let i = 0; i < oldState.length; i++) {
      if (oldState[i] === FULL) this.set(oldKeys[i]!, oldVals[i]!);
    }
  }
}

/** Mix both 32-bit halves of an integer key into a well-spread 32-bit hash. */
function hash(k: number): number {
  const lo = k | 0;
  const hi = (k / 4294967296) | 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1);
  h ^= h >>> 15;
  return h;
}

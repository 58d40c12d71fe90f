// usable_arenas (2.5+): the arenas with at least one free pool, sorted by
// ascending nfreepools so that new pools come from the most-used arena and the
// nearly empty ones get the chance to empty out (Tim Peters and Evan Jones,
// python-dev 2004). 2.5–3.7 restore the order by sliding an arena right;
// 3.8 (bpo-37029) jumps with nfp2lasta[] fingers. Both put a moved arena first
// among the arenas with its new count, so they give the same order: the model
// uses the O(1) fingers for every version and keeps the slide as a reference.
import { NO_ARENA, type ArenaTable } from './arenas.ts';

export class UsableArenas {
  head = NO_ARENA;
  /** nfp2lasta[n]: the last arena in the list with n free pools; null when sliding. */
  private readonly last: Int32Array | null;

  constructor(
    private readonly arenas: ArenaTable,
    maxPools: number,
    fingers: boolean,
    private readonly keepEmptyTail: boolean,
  ) {
    this.last = fingers ? new Int32Array(maxPools + 1).fill(NO_ARENA) : null;
  }

  /** A new arena becomes the only usable one (the list was empty). */
  pushNew(a: number): void {
    const t = this.arenas;
    t.next[a] = NO_ARENA;
    t.prev[a] = NO_ARENA;
    this.head = a;
    if (this.last) this.last[t.nfreepools[a]!] = a;
  }

  /**
   * The head arena is about to lose a pool (from its freepools or carved).
   * It has the smallest count, so the order holds; when it runs out of pools
   * it leaves the list (dropHeadIfFull, after the caller took the pool).
   */
  headLosesPool(): void {
    const t = this.arenas;
    const a = this.head;
    const nf = t.nfreepools[a]!;
    if (this.last) {
      if (this.last[nf] === a) this.last[nf] = NO_ARENA;
      if (nf > 1) this.last[nf - 1] = a;
    }
  }

  /** After the head's count was decremented: an arena with no free pool leaves the list. */
  dropHeadIfFull(): void {
    const t = this.arenas;
    const a = this.head;
    if (t.nfreepools[a] !== 0) return;
    this.head = t.next[a]!;
    if (this.head !== NO_ARENA) t.prev[this.head] = NO_ARENA;
    t.next[a] = NO_ARENA;
  }

  /**
   * A pool of arena a became free and was pushed on its freepools. The four
   * cases of PyObject_Free: all pools free → give the arena back (3.9+: unless
   * it is the tail); first free pool → head of the list; more free pools than
   * the next arena → move right; else nothing. Returns true when the arena
   * has left the list and must be given back.
   */
  poolFreed(a: number): boolean {
    const t = this.arenas;
    const old = t.nfreepools[a]!;
    const lastOld = this.last ? this.last[old]! : NO_ARENA;
    if (this.last && old > 0 && lastOld === a) {
      const p = t.prev[a]!;
      this.last[old] = p !== NO_ARENA && t.nfreepools[p] === old ? p : NO_ARENA;
    }
    const nf = old + 1;
    t.nfreepools[a] = nf;
    if (nf === t.ntotalpools[a] && (!this.keepEmptyTail || t.next[a] !== NO_ARENA)) {
      this.unlink(a);
      return true;
    }
    if (nf === 1) {
      t.next[a] = this.head;
      t.prev[a] = NO_ARENA;
      if (this.head !== NO_ARENA) t.prev[this.head] = a;
      this.head = a;
      if (this.last && this.last[1] === NO_ARENA) this.last[1] = a;
      return false;
    }
    if (this.last) this.moveWithFingers(a, nf, lastOld);
    else this.slideRight(a, nf);
    return false;
  }

  /** 2.5: walk right past every arena with fewer free pools. */
  private slideRight(a: number, nf: number): void {
    const t = this.arenas;
    const first = t.next[a]!;
    if (first === NO_ARENA || nf <= t.nfreepools[first]!) return;
    this.unlink(a);
    let prev = first;
    let next = t.next[first]!;
    while (next !== NO_ARENA && nf > t.nfreepools[next]!) {
      prev = next;
      next = t.next[next]!;
    }
    this.insertAfter(a, prev);
  }

  /** 3.8: insert right after the last arena of the old count (nfp2lasta). */
  private moveWithFingers(a: number, nf: number, lastOld: number): void {
    const last = this.last!;
    if (last[nf] === NO_ARENA) last[nf] = a;
    if (a === lastOld) return;
    this.unlink(a);
    this.insertAfter(a, lastOld);
  }

  private unlink(a: number): void {
    const t = this.arenas;
    const p = t.prev[a]!;
    const n = t.next[a]!;
    if (p === NO_ARENA) this.head = n;
    else t.next[p] = n;
    if (n !== NO_ARENA) t.prev[n] = p;
    t.next[a] = NO_ARENA;
    t.prev[a] = NO_ARENA;
  }

  private insertAfter(a: number, after: number): void {
    const t = this.arenas;
    const n = t.next[after]!;
    t.prev[a] = after;
    t.next[a] = n;
    if (n !== NO_ARENA) t.prev[n] = a;
    t.next[after] = a;
  }

  /** The list from head to tail (for findings and tests). */
  order(): number[] {
    const out: number[] = [];
    for (let a = this.head; a !== NO_ARENA; a = this.arenas.next[a]!) out.push(a);
    return out;
  }

  /** The tail of the list, or NO_ARENA. */
  tail(): number {
    let a = this.head;
    if (a === NO_ARENA) return a;
    while (this.arenas.next[a] !== NO_ARENA) a = this.arenas.next[a]!;
    return a;
  }
}

// The arena's free lists, with glibc's orders: the unsorted bin and small bins
// are doubly linked lists filled at the front and taken from the back; large
// bins are kept in descending size order with a ring of the first chunk of each
// size (fd_nextsize); fastbins and tcache bins are LIFO stacks. Links are record
// indices in the ChunkStore. Only the lists live here; touching memory and
// changing chunk states is the caller's job.
import { type ChunkStore, NIL } from './chunk-store.ts';
import { NBINS, NFASTBINS, TCACHE_MAX_BINS } from './constants.ts';

export class Bins {
  /** bin->fd: the first chunk of each bin (most recently inserted for unsorted/small; largest for large). */
  readonly first = new Int32Array(NBINS).fill(NIL);
  /** bin->bk: the last chunk (the one malloc takes from small bins and unsorted). */
  readonly last = new Int32Array(NBINS).fill(NIL);
  /** Bit per non-empty bin. Kept exact (glibc clears lazily; the search result is the same). */
  private readonly binmap = new Uint32Array(NBINS / 32);
  readonly fastTop = new Int32Array(NFASTBINS).fill(NIL);
  haveFastChunks = false;
  readonly tcacheTop = new Int32Array(TCACHE_MAX_BINS).fill(NIL);
  readonly tcacheCount = new Int32Array(TCACHE_MAX_BINS);

  constructor(private readonly c: ChunkStore) {}

  isEmpty(bin: number): boolean {
    return this.first[bin] === NIL;
  }

  /** Insert at the front (unsorted, small bins, and every remainder). */
  pushFront(bin: number, r: number): void {
    const f = this.first[bin]!;
    this.c.fd[r] = f;
    this.c.bk[r] = NIL;
    if (f === NIL) this.last[bin] = r;
    else this.c.bk[f] = r;
    this.first[bin] = r;
    this.binmap[bin >>> 5]! |= 1 << (bin & 31);
  }

  /** Insert into a large bin, keeping descending size order; an equal size goes second in its group. */
  insertLarge(bin: number, r: number): void {
    const c = this.c;
    const size = c.size[r]!;
    const head = this.first[bin]!;
    if (head === NIL) {
      this.pushFront(bin, r);
      c.fdNext[r] = r;
      c.bkNext[r] = r;
      return;
    }
    const tail = this.last[bin]!;
    if (size < c.size[tail]!) {
      // Smaller than everything: append, and join the leader ring as the smallest.
      this.insertAfter(bin, tail, r);
      const smallestLeader = c.bkNext[head]!;
      c.fdNext[r] = head;
      c.bkNext[r] = smallestLeader;
      c.bkNext[head] = r;
      c.fdNext[smallestLeader] = r;
      return;
    }
    let fwd = head;
    while (size < c.size[fwd]!) fwd = c.fdNext[fwd]!;
    if (size === c.size[fwd]!) {
      // "Always insert in the second position" so the ring needs no rerouting.
      this.insertAfter(bin, fwd, r);
      return;
    }
    this.insertBefore(bin, fwd, r);
    const prevLeader = c.bkNext[fwd]!;
    c.fdNext[r] = fwd;
    c.bkNext[r] = prevLeader;
    c.fdNext[prevLeader] = r;
    c.bkNext[fwd] = r;
  }

  /**
   * Best fit in a large bin (malloc.c "scan through the chunks of current bin in
   * sorted order"): the smallest chunk ≥ nb, preferring the second chunk of its
   * size so the leader ring stays put. NIL when none fits.
   */
  bestFitLarge(bin: number, nb: number): number {
    const c = this.c;
    const head = this.first[bin]!;
    if (head === NIL || c.size[head]! < nb) return NIL;
    let v = c.bkNext[head]!;
    while (c.size[v]! < nb) v = c.bkNext[v]!;
    const next = c.fd[v]!;
    if (v !== this.last[bin] && next !== NIL && c.size[next] === c.size[v]) v = next;
    return v;
  }

  /** unlink_chunk: take r out of its bin (any position), mending the leader ring for large bins. */
  unlink(bin: number, r: number, large: boolean): void {
    const c = this.c;
    if (large && c.fdNext[r] !== NIL) {
      const f = c.fd[r]!;
      if (f !== NIL && c.fdNext[f] === NIL) {
        // The next chunk has the same size: it becomes the group's leader.
        if (c.fdNext[r] === r) {
          c.fdNext[f] = f;
          c.bkNext[f] = f;
        } else {
          c.fdNext[f] = c.fdNext[r]!;
          c.bkNext[f] = c.bkNext[r]!;
          c.bkNext[c.fdNext[f]!] = f;
          c.fdNext[c.bkNext[f]!] = f;
        }
      } else if (c.fdNext[r] !== r) {
        c.bkNext[c.fdNext[r]!] = c.bkNext[r]!;
        c.fdNext[c.bkNext[r]!] = c.fdNext[r]!;
      }
      c.fdNext[r] = NIL;
      c.bkNext[r] = NIL;
    }
    const f = c.fd[r]!;
    const b = c.bk[r]!;
    if (b === NIL) this.first[bin] = f;
    else c.fd[b] = f;
    if (f === NIL) this.last[bin] = b;
    else c.bk[f] = b;
    c.fd[r] = NIL;
    c.bk[r] = NIL;
    if (this.first[bin] === NIL) this.binmap[bin >>> 5]! &= ~(1 << (bin & 31));
  }

  /** The first non-empty bin with index > idx (the binmap search), or −1. */
  nextNonEmpty(idx: number): number {
    let bin = idx + 1;
    while (bin < NBINS) {
      const word = this.binmap[bin >>> 5]! >>> (bin & 31);
      if (word !== 0) return bin + (31 - Math.clz32(word & -word));
      bin = (bin | 31) + 1;
    }
    return -1;
  }

  // ---- fastbins --------------------------------------------------------

  pushFast(idx: number, r: number): void {
    this.c.fd[r] = this.fastTop[idx]!;
    this.fastTop[idx] = r;
    this.haveFastChunks = true;
  }

  popFast(idx: number): number {
    const r = this.fastTop[idx]!;
    if (r !== NIL) {
      this.fastTop[idx] = this.c.fd[r]!;
      this.c.fd[r] = NIL;
    }
    return r;
  }

  // ---- tcache ----------------------------------------------------------

  pushTcache(idx: number, r: number): void {
    this.c.fd[r] = this.tcacheTop[idx]!;
    this.tcacheTop[idx] = r;
    this.tcacheCount[idx]!++;
  }

  popTcache(idx: number): number {
    const r = this.tcacheTop[idx]!;
    this.tcacheTop[idx] = this.c.fd[r]!;
    this.c.fd[r] = NIL;
    this.tcacheCount[idx]!--;
    return r;
  }

  private insertAfter(bin: number, at: number, r: number): void {
    const c = this.c;
    const f = c.fd[at]!;
    c.bk[r] = at;
    c.fd[r] = f;
    c.fd[at] = r;
    if (f === NIL) this.last[bin] = r;
    else c.bk[f] = r;
  }

  private insertBefore(bin: number, at: number, r: number): void {
    const c = this.c;
    const b = c.bk[at]!;
    c.fd[r] = at;
    c.bk[r] = b;
    c.bk[at] = r;
    if (b === NIL) this.first[bin] = r;
    else c.fd[b] = r;
  }
}

// The arena's free lists, with glibc's orders: the unsorted bin and small bins
// are doubly linked lists filled at the front and taken from the back; large
// bins are kept in descending size order with a ring of the first chunk of each
// size (fd_nextsize); fastbins and tcache bins are LIFO stacks. Links are record
// indices in the ChunkStore. Only the lists live here; touching memory and
// changing chunk states is the caller's job.
import { I32_PER_RECORD, I_BIN, I_BK, I_FD, NIL, type ChunkStore } from './chunk-store.ts';
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
    const i32 = this.c.i32;
    const f = this.first[bin]!;
    const i = r * I32_PER_RECORD;
    i32[i + I_BIN] = bin;
    i32[i + I_FD] = f;
    i32[i + I_BK] = NIL;
    if (f === NIL) this.last[bin] = r;
    else i32[f * I32_PER_RECORD + I_BK] = r;
    this.first[bin] = r;
    this.binmap[bin >>> 5]! |= 1 << (bin & 31);
  }

  /** Insert into a large bin, keeping descending size order; an equal size goes second in its group. */
  insertLarge(bin: number, r: number): void {
    const c = this.c;
    const size = c.sizeOf(r);
    const head = this.first[bin]!;
    if (head === NIL) {
      this.pushFront(bin, r);
      c.setFdNext(r, r);
      c.setBkNext(r, r);
      c.setLeaderSize(r, size);
      return;
    }
    const smallestLeader = c.bkNextOf(head);
    if (size < c.leaderSizeOf(smallestLeader)) {
      // Smaller than everything (the last chunk has the smallest leader's size): append, and join the leader ring as the smallest.
      this.insertAfter(bin, this.last[bin]!, r);
      c.setLeaderSize(r, size);
      c.setFdNext(r, head);
      c.setBkNext(r, smallestLeader);
      c.setBkNext(head, r);
      c.setFdNext(smallestLeader, r);
      return;
    }
    let fwd = head;
    while (size < c.leaderSizeOf(fwd)) fwd = c.fdNextOf(fwd);
    if (size === c.leaderSizeOf(fwd)) {
      // "Always insert in the second position" so the ring needs no rerouting.
      this.insertAfter(bin, fwd, r);
      return;
    }
    this.insertBefore(bin, fwd, r);
    c.setLeaderSize(r, size);
    const prevLeader = c.bkNextOf(fwd);
    c.setFdNext(r, fwd);
    c.setBkNext(r, prevLeader);
    c.setFdNext(prevLeader, r);
    c.setBkNext(fwd, r);
  }

  /**
   * Best fit in a large bin (malloc.c "scan through the chunks of current bin in
   * sorted order"): the smallest chunk ≥ nb, preferring the second chunk of its
   * size so the leader ring stays put. NIL when none fits.
   */
  bestFitLarge(bin: number, nb: number): number {
    const c = this.c;
    const head = this.first[bin]!;
    if (head === NIL || c.leaderSizeOf(head) < nb) return NIL;
    let v = c.bkNextOf(head);
    while (c.leaderSizeOf(v) < nb) v = c.bkNextOf(v);
    const next = c.fdOf(v);
    // The chunk after a leader shares its size exactly when it is no leader itself.
    if (v !== this.last[bin] && next !== NIL && c.fdNextOf(next) === NIL) v = next;
    return v;
  }

  /** unlink_chunk: take r out of its bin (any position), mending the leader ring for large bins. */
  unlink(bin: number, r: number, large: boolean): void {
    if (large && this.c.fdNextOf(r) !== NIL) this.leaveRing(r);
    const i32 = this.c.i32;
    const i = r * I32_PER_RECORD;
    const f = i32[i + I_FD]!;
    const b = i32[i + I_BK]!;
    if (b === NIL) this.first[bin] = f;
    else i32[b * I32_PER_RECORD + I_FD] = f;
    if (f === NIL) this.last[bin] = b;
    else i32[f * I32_PER_RECORD + I_BK] = b;
    i32[i + I_FD] = NIL;
    i32[i + I_BK] = NIL;
    if (this.first[bin] === NIL) this.binmap[bin >>> 5]! &= ~(1 << (bin & 31));
  }

  /**
   * unlink of the last chunk of the unsorted bin or a small bin (no leader
   * ring), the chunk malloc takes from them: its fd is already NIL, so only
   * the chunk before it changes. Returns it, or NIL when the bin is empty.
   */
  popLast(bin: number): number {
    const r = this.last[bin]!;
    if (r === NIL) return NIL;
    const i32 = this.c.i32;
    const b = i32[r * I32_PER_RECORD + I_BK]!;
    this.last[bin] = b;
    if (b === NIL) {
      this.first[bin] = NIL;
      this.binmap[bin >>> 5]! &= ~(1 << (bin & 31));
    } else {
      i32[b * I32_PER_RECORD + I_FD] = NIL;
      i32[r * I32_PER_RECORD + I_BK] = NIL;
    }
    return r;
  }

  /**
   * The "unsorted bin holds just r" case of unlink then pushFront(UNSORTED_BIN, rem):
   * rem takes r's place as the bin's only chunk (r's links are already NIL,
   * rem's are NIL from create, and the bin stays non-empty in the binmap).
   */
  replaceOnly(bin: number, rem: number): void {
    this.c.i32[rem * I32_PER_RECORD + I_BIN] = bin;
    this.first[bin] = rem;
    this.last[bin] = rem;
  }

  /** A large-bin size leader leaves its bin: the next chunk of its size leads instead, or the ring closes over it. */
  private leaveRing(r: number): void {
    const c = this.c;
    const f = c.fdOf(r);
    if (f !== NIL && c.fdNextOf(f) === NIL) {
      // The next chunk has the same size: it becomes the group's leader.
      c.setLeaderSize(f, c.leaderSizeOf(r));
      if (c.fdNextOf(r) === r) {
        c.setFdNext(f, f);
        c.setBkNext(f, f);
      } else {
        c.setFdNext(f, c.fdNextOf(r));
        c.setBkNext(f, c.bkNextOf(r));
        c.setBkNext(c.fdNextOf(f), f);
        c.setFdNext(c.bkNextOf(f), f);
      }
    } else if (c.fdNextOf(r) !== r) {
      c.setBkNext(c.fdNextOf(r), c.bkNextOf(r));
      c.setFdNext(c.bkNextOf(r), c.fdNextOf(r));
    }
    c.setFdNext(r, NIL);
    c.setBkNext(r, NIL);
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
    this.c.setFd(r, this.fastTop[idx]!);
    this.fastTop[idx] = r;
    this.haveFastChunks = true;
  }

  popFast(idx: number): number {
    const r = this.fastTop[idx]!;
    if (r !== NIL) {
      this.fastTop[idx] = this.c.fdOf(r);
      this.c.setFd(r, NIL);
    }
    return r;
  }

  // ---- tcache ----------------------------------------------------------

  pushTcache(idx: number, r: number): void {
    this.c.setFd(r, this.tcacheTop[idx]!);
    this.tcacheTop[idx] = r;
    this.tcacheCount[idx]!++;
  }

  popTcache(idx: number): number {
    const r = this.tcacheTop[idx]!;
    this.tcacheTop[idx] = this.c.fdOf(r);
    this.c.setFd(r, NIL);
    this.tcacheCount[idx]!--;
    return r;
  }

  private insertAfter(bin: number, at: number, r: number): void {
    const c = this.c;
    c.setBin(r, bin);
    const f = c.fdOf(at);
    c.setBk(r, at);
    c.setFd(r, f);
    c.setFd(at, r);
    if (f === NIL) this.last[bin] = r;
    else c.setBk(f, r);
  }

  private insertBefore(bin: number, at: number, r: number): void {
    const c = this.c;
    c.setBin(r, bin);
    const b = c.bkOf(at);
    c.setFd(r, at);
    c.setBk(r, b);
    c.setBk(at, r);
    if (b === NIL) this.first[bin] = r;
    else c.setFd(b, r);
  }
}

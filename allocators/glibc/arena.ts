// The main arena's state and the primitives the malloc, free and realloc paths
// share: the top chunk and how it grows (sysmalloc) and shrinks (systrim),
// chunks with their own mmap, tcache puts and gets, taking a chunk out of its
// bin. Every write glibc makes into chunk memory is mirrored by a touch of the
// same bytes, since those writes are what make heap pages resident.
import type { AddressSpace } from '../address-space.ts';
import { Bins } from './bins.ts';
import { ChunkState, ChunkStore, I32_PER_RECORD, I_BIN, NIL } from './chunk-store.ts';
import { CHUNK_HDR_SZ, DEFAULT_MMAP_THRESHOLD_MAX_32, DEFAULT_MMAP_THRESHOLD_MAX_64, MINSIZE, MMAP_AS_MORECORE_SIZE, SIZE_SZ, alignDown, alignUp, inSmallbinRange } from './constants.ts';
import { KnownResident } from './known-resident.ts';
import type { GlibcConfig } from './params.ts';

/** A heap segment sysmalloc got from mmap after brk failed (the arena is then non-contiguous). */
export interface HeapSegment {
  start: number;
  end: number;
}

export class Arena {
  readonly c: ChunkStore;
  readonly bins: Bins;
  readonly page: number;
  /** 1 / page: page numbers by an exact multiplication (the page size is a power of two). */
  private readonly invPage: number;
  /** The top chunk (no record): where the heap grows; size 0 before the first sysmalloc. */
  topAddr = 0;
  topSize = 0;
  /** The heap chunk just below top (NIL when top starts its segment): where splitTop links the chunks it carves. */
  topPrev = NIL;
  /** Address of av->last_remainder (glibc compares the pointer, so an address, not a record). */
  lastRemainder = -1;
  contiguous = true;
  /** Where the first sbrk put the heap, or −1 while the arena has no brk memory. */
  brkBase = -1;
  readonly mmapSegments: HeapSegment[] = [];
  mmapThreshold: number;
  trimThreshold: number;
  readonly thresholdMax: number;
  nMmaps = 0;
  /** The tcache_perthread_struct chunk once tcache_init has run, else NIL. */
  tcacheStruct = NIL;
  /** Whether the version has a tcache at all (the struct may not be allocated yet). */
  readonly hasTcache: boolean;
  /** brk-heap pages known resident: the arena's writes to them need no touch. */
  readonly known: KnownResident;

  constructor(
    readonly space: AddressSpace,
    readonly cfg: GlibcConfig,
  ) {
    this.c = new ChunkStore(space.heapStart);
    this.bins = new Bins(this.c);
    this.page = space.pageSize;
    this.invPage = 1 / space.pageSize;
    this.mmapThreshold = cfg.mmapThreshold;
    this.trimThreshold = cfg.trimThreshold;
    this.thresholdMax = space.bits === 32 ? DEFAULT_MMAP_THRESHOLD_MAX_32 : DEFAULT_MMAP_THRESHOLD_MAX_64;
    this.hasTcache = cfg.tcacheStructChunk > 0;
    this.known = new KnownResident(space.heapStart, this.invPage);
  }

  /** A write of `len` bytes at `addr` by the allocator: a touch, unless it lies in a page already known resident. */
  w(addr: number, len: number): void {
    if (this.known.has(addr, len)) return;
    this.touchNoting(addr, len);
  }

  /**
   * Two writes, at a1 and at a2 ≥ a1: one touch from a1 to the end of the
   * second when both lie in one page (it marks the same page), else two.
   */
  w2(a1: number, len1: number, a2: number, len2: number): void {
    const invPage = this.invPage;
    if (Math.floor(a1 * invPage) === Math.floor((a2 + len2 - 1) * invPage)) {
      this.w(a1, a2 + len2 - a1);
    } else {
      this.w(a1, len1);
      this.w(a2, len2);
    }
  }

  /** The touch behind `w`; pages of the brk heap it wrote become known resident. */
  private touchNoting(addr: number, len: number): void {
    this.space.touch(addr, len);
    if (addr + len <= this.space.brk) this.known.note(addr, len);
  }

  /** set_head plus the fd/bk words (and fd_nextsize/bk_nextsize when large) of a chunk entering a bin. */
  writeFreeHeader(addr: number, size: number): void {
    this.w(addr + SIZE_SZ, inSmallbinRange(size) ? 24 : 40);
  }

  /** Whether tcache_put/get may be used: the struct exists (tcache != NULL). */
  get tcacheOn(): boolean {
    return this.tcacheStruct !== NIL;
  }

  // ---- records ----------------------------------------------------------

  /** A new heap chunk record, indexed by address and linked just above `prev` (NIL: it starts the region, nothing above it but top). */
  newChunk(addr: number, size: number, state: number, prev: number): number {
    const r = this.c.createLinked(addr, size, state, prev);
    // A chunk split off the one below top is now the one below top.
    if (prev !== NIL && prev === this.topPrev) this.topPrev = r;
    return r;
  }

  /** Forget a heap chunk that was merged into a neighbour or into top. */
  dropChunk(r: number): void {
    const c = this.c;
    if (r === this.topPrev) this.topPrev = c.prevOf(r);
    c.dropLinked(r);
  }

  /** Take a binned free chunk out of its bin (unlink_chunk) and forget its footer. */
  unbin(r: number): void {
    const c = this.c;
    const states = c.states;
    this.bins.unlink(c.i32[r * I32_PER_RECORD + I_BIN]!, r, states[r] === ChunkState.large);
    states[r] = ChunkState.inUse;
  }

  /** unbin of the last chunk of the unsorted bin or a small bin (NIL when empty). */
  takeLast(bin: number): number {
    const r = this.bins.popLast(bin);
    if (r !== NIL) this.c.states[r] = ChunkState.inUse;
    return r;
  }

  /**
   * File a free chunk at the front of the unsorted bin, writing its header,
   * links and footer; `afterFooter` more bytes are written right after the
   * footer (the next chunk's size word, when its PREV_INUSE bit is cleared).
   */
  toUnsorted(r: number, afterFooter = 0): void {
    const c = this.c;
    const addr = c.addrOf(r);
    const size = c.sizeOf(r);
    c.states[r] = ChunkState.unsorted;
    this.bins.pushFront(1, r);
    this.w2(addr + SIZE_SZ, inSmallbinRange(size) ? 24 : 40, addr + size, SIZE_SZ + afterFooter);
  }

  /**
   * Split chunk r (at addr, `size` bytes, out of any bin) into nb bytes kept
   * and a remainder filed in unsorted; returns the remainder's record. The
   * three writes (r's size word, the remainder's header and footer) are one
   * touch when they share a page.
   */
  splitToUnsorted(r: number, addr: number, size: number, nb: number): number {
    this.c.setSize(r, nb);
    const rem = this.newChunk(addr + nb, size - nb, ChunkState.unsorted, r);
    this.bins.pushFront(1, rem);
    this.splitWrites(addr, size, nb);
    return rem;
  }

  /**
   * The last-remainder split of malloc's unsorted scan, when r is the only
   * chunk in the unsorted bin: unbin r, then splitToUnsorted, with the
   * remainder simply taking r's place in the bin.
   */
  carveOnlyUnsorted(r: number, addr: number, size: number, nb: number): void {
    const c = this.c;
    c.states[r] = ChunkState.inUse;
    c.setSize(r, nb);
    const rem = this.newChunk(addr + nb, size - nb, ChunkState.unsorted, r);
    this.bins.replaceOnly(1, rem);
    this.splitWrites(addr, size, nb);
  }

  /** The writes of a split: the kept chunk's size word, the remainder's header, links and footer. */
  private splitWrites(addr: number, size: number, nb: number): void {
    const from = addr + SIZE_SZ;
    if (Math.floor(from * this.invPage) === Math.floor((addr + size + SIZE_SZ - 1) * this.invPage)) {
      this.w(from, size);
    } else {
      this.w(from, SIZE_SZ);
      this.w2(addr + nb + SIZE_SZ, inSmallbinRange(size - nb) ? 24 : 40, addr + size, SIZE_SZ);
    }
  }

  // ---- tcache -----------------------------------------------------------

  tcachePut(r: number, idx: number): void {
    this.c.setState(r, ChunkState.tcache);
    this.bins.pushTcache(idx, r);
    // e->key and e->next in the first 16 user bytes.
    this.w(this.c.addrOf(r) + CHUNK_HDR_SZ, 16);
  }

  tcacheGet(idx: number): number {
    const r = this.bins.popTcache(idx);
    this.c.setState(r, ChunkState.inUse);
    this.w(this.c.addrOf(r) + CHUNK_HDR_SZ + SIZE_SZ, SIZE_SZ); // e->key = 0
    return r;
  }

  // ---- top --------------------------------------------------------------

  /** Split nb off the low end of top (caller checked topSize ≥ nb + MINSIZE). */
  splitTop(nb: number): number {
    const addr = this.topAddr;
    const r = this.newChunk(addr, nb, ChunkState.inUse, this.topPrev);
    this.topPrev = r;
    this.topAddr = addr + nb;
    this.topSize -= nb;
    this.w2(addr + SIZE_SZ, SIZE_SZ, this.topAddr + SIZE_SZ, SIZE_SZ);
    return r;
  }

  /**
   * sysmalloc: mmap the chunk when nb reaches the mmap threshold, otherwise grow
   * top with sbrk(nb + top_pad + MINSIZE − old top), falling back to an mmapped
   * heap segment of at least 1 MiB when brk cannot grow. Returns NIL when out of memory.
   */
  sysmalloc(nb: number): number {
    if (nb >= this.mmapThreshold && this.nMmaps < this.cfg.mmapMax) {
      const r = this.mmapChunk(nb);
      if (r !== NIL) return r;
    }
    const oldTop = this.topAddr;
    const oldSize = this.topSize;
    const oldEnd = oldTop + oldSize;
    let size = nb + this.cfg.topPad + MINSIZE;
    if (this.contiguous) size -= oldSize;
    size = alignUp(size, this.page);
    let brk = this.space.sbrk(size);
    let sndBrk = -1;
    if (brk === -1) {
      let fallback = this.contiguous ? alignUp(size + oldSize, this.page) : size;
      if (fallback < MMAP_AS_MORECORE_SIZE) fallback = MMAP_AS_MORECORE_SIZE;
      const m = this.space.mmap(fallback, 'glibc heap segment');
      if (m === 0) return NIL;
      this.contiguous = false;
      this.mmapSegments.push({ start: m, end: m + fallback });
      this.c.addSegment(m, fallback);
      brk = m;
      sndBrk = m + fallback;
      size = fallback;
    } else if (this.brkBase < 0) {
      this.brkBase = brk;
    }
    if (brk === oldEnd && sndBrk === -1 && oldSize > 0) {
      this.topSize = oldSize + size;
    } else {
      // First heap, or memory not adjacent to top: a new top. brk and mmap
      // results are page-aligned, so no front correction is needed.
      if (sndBrk === -1) sndBrk = brk + size;
      const oldTopPrev = this.topPrev;
      this.topAddr = brk;
      this.topSize = sndBrk - brk;
      this.topPrev = NIL;
      this.w(brk + SIZE_SZ, SIZE_SZ);
      if (oldSize !== 0) this.fenceOldTop(oldTop, oldSize, oldTopPrev);
    }
    if (this.topSize >= nb + MINSIZE) return this.splitTop(nb);
    return NIL;
  }

  /**
   * The old top of a segment sysmalloc leaves: two 16-byte in-use fenceposts at
   * its end stop coalescing across the gap, and the rest is freed.
   */
  private fenceOldTop(oldTop: number, oldSize: number, below: number): void {
    const kept = alignDown(oldSize - 2 * CHUNK_HDR_SZ, 16);
    const f1 = oldTop + kept;
    const fence1 = this.newChunk(f1, CHUNK_HDR_SZ, ChunkState.fence, below);
    this.newChunk(f1 + CHUNK_HDR_SZ, CHUNK_HDR_SZ, ChunkState.fence, fence1);
    this.w(f1 + SIZE_SZ, CHUNK_HDR_SZ + SIZE_SZ);
    // The rest of the old top goes in below the fenceposts.
    if (kept >= MINSIZE) {
      const r = this.newChunk(oldTop, kept, ChunkState.inUse, below);
      this.c.linkBetween(r, below, fence1);
      this.w(oldTop + SIZE_SZ, SIZE_SZ);
      this.freeOldTop(r);
    } else if (kept > 0) {
      const r = this.newChunk(oldTop, kept, ChunkState.fence, below);
      this.c.linkBetween(r, below, fence1);
    }
  }

  /** Set by the free path (free.ts) to avoid an import cycle: _int_free of the old top. */
  freeOldTop: (r: number) => void = () => {
    throw new Error('glibc arena: free path not wired');
  };

  /**
   * systrim: give back whole pages at the top of the heap beyond `pad`
   * (extra = ALIGN_DOWN(top − MINSIZE − 1 − pad, page)), only when top ends at the break.
   */
  systrim(pad: number): boolean {
    const topArea = this.topSize - MINSIZE - 1;
    if (topArea <= pad) return false;
    const extra = alignDown(topArea - pad, this.page);
    if (extra === 0) return false;
    if (this.space.brk !== this.topAddr + this.topSize) return false;
    if (this.space.sbrk(-extra) === -1) return false;
    this.known.forget(this.space.brk, extra);
    this.topSize -= extra;
    this.w(this.topAddr + SIZE_SZ, SIZE_SZ);
    return true;
  }

  // ---- mmapped chunks ---------------------------------------------------

  /** sysmalloc_mmap: a mapping of ALIGN_UP(nb + SIZE_SZ, page) with the chunk at its start. */
  mmapChunk(nb: number): number {
    const len = alignUp(nb + SIZE_SZ, this.page);
    const base = this.space.mmap(len, 'glibc mmapped chunk');
    if (base === 0) return NIL;
    const r = this.c.create(base, len, ChunkState.mmapped);
    this.c.placeMmapped(r);
    this.c.setOffset(r, 0);
    this.c.setReq(r, 0);
    this.nMmaps++;
    this.w(base, CHUNK_HDR_SZ); // prev_size = 0 and the size word
    return r;
  }

  /** munmap_chunk: the whole mapping goes, and its pages leave RSS. */
  unmapChunk(r: number): void {
    const c = this.c;
    const base = c.addrOf(r) - c.offsetOf(r);
    this.space.munmap(base, c.offsetOf(r) + c.sizeOf(r));
    c.unplaceMmapped(r);
    c.release(r);
    this.nMmaps--;
  }

  /** __libc_free's dynamic threshold rule, on the size word with its IS_MMAPPED bit (hence the + 2). */
  raiseThresholds(chunkSize: number): void {
    if (!this.cfg.dynamicThreshold) return;
    const nomask = chunkSize + 2;
    if (nomask > this.mmapThreshold && nomask <= this.thresholdMax) {
      this.mmapThreshold = chunkSize;
      this.trimThreshold = 2 * chunkSize;
    }
  }
}

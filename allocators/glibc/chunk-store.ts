// Every chunk the arena knows, as records in parallel typed arrays (no object
// per chunk). The words glibc keeps inside the chunks (size, fd/bk, the
// footer) live here instead; the model still touches the simulated memory
// where glibc writes them. Heap chunks are linked in address order: what glibc
// finds by chunk arithmetic (the next chunk at p + size, the free chunk before
// p through its footer) is one array read. Finding a chunk by its address is
// rare (the model keeps a record hint per trace id), so instead of a hash
// table updated on every split and merge, each heap span keeps one chunk that
// starts in it, and a lookup walks the address-order links from there.

/** What a chunk record is. */
export const ChunkState = {
  /** Record slot not in use. */
  none: 0,
  /** Held by the program. */
  inUse: 1,
  /** Parked in a tcache bin (still "in use" to the arena: no coalescing, blocks trim). */
  tcache: 2,
  /** In a fastbin (also still "in use"). */
  fast: 3,
  unsorted: 4,
  small: 5,
  large: 6,
  /** A chunk with its own mmap. */
  mmapped: 7,
  /** The tcache_perthread_struct: allocator bookkeeping in an ordinary chunk. */
  meta: 8,
  /** The 16-byte in-use markers sysmalloc puts at the end of a heap segment it leaves. */
  fence: 9,
} as const;

/** Whether a state is a free chunk sitting in the unsorted, small or large bins. */
export function isBinned(state: number): boolean {
  return state === ChunkState.unsorted || state === ChunkState.small || state === ChunkState.large;
}

export const NIL = -1;

/**
 * Heap bytes one anchor covers (see `at`): a lookup walks at most the chunks
 * of one such span, and the anchor table stays small enough (4 bytes per
 * 64 KiB of heap) to sit in cache while splits and merges keep it exact.
 */
const ANCHOR_SPAN = 65536;
const INV_ANCHOR_SPAN = 1 / ANCHOR_SPAN;
/** Anchors of the brk heap at first (16 MiB of heap); they grow with the heap. */
const INITIAL_ANCHORS = 256;
const INITIAL_RECORDS = 1024;

/** A heap segment sysmalloc mapped after brk failed, with its own anchors. */
interface AnchoredSegment {
  start: number;
  end: number;
  anchors: Int32Array;
}

// The fields every malloc and free reads sit in one 32-byte record of one
// buffer (half a cache line, so neighbours in a bin or in memory cost fewer
// misses): the address as a float, then the size in 16-byte units and the
// links and the bin as integers. The states and the large bins' size ring
// live apart.
// The layout is exported for the few hot paths (bins, splits, coalescing) that
// read and write records through `f64` and `i32` directly, a few array
// operations in place of a chain of accessor calls V8 may not all inline.
const RECORD_BYTES = 32;
export const F64_PER_RECORD = RECORD_BYTES / 8;
export const I32_PER_RECORD = RECORD_BYTES / 4;
export const F_ADDR = 0;
export const I_SIZE16 = 2;
export const I_BIN = 3;
export const I_FD = 4;
export const I_BK = 5;
export const I_PREV = 6;
export const I_NEXT = 7;
// A mapped chunk has no links, so its request and offset take their place.
const F_REQ = 2;
const F_OFFSET = 3;
/** I_SIZE16 value of a size that is no whole number of 16-byte units below 2^31 of them (kept in `oddSizes`). */
const ODD_SIZE = -1;

/**
 * Record fields, read with `xOf(r)` and written with `setX(r, v)`:
 * - addr: chunk address (the prev_size word); the user pointer is addr + 16.
 * - size: chunk size without flag bits.
 * - state: a ChunkState.
 * - fd, bk: list links; fd points from a bin's first chunk toward its last.
 * - bin: the bin a binned chunk was filed in (1 for unsorted).
 * - prev, next: heap chunks: the chunk just below and just above in memory,
 *   NIL at a segment's start and before top or a segment's end.
 * - fdNext, bkNext: large bins: ring of the first chunk of each size, largest
 *   first (fd_nextsize / bk_nextsize); NIL when not a size leader (the bins
 *   reset them when a leader leaves, so a new record finds them NIL).
 * - req (mmapped chunks only, in place of fd and bk): bytes the program asked for.
 * - offset (mmapped chunks only, in place of prev and next): distance from the
 *   mapping start to the chunk (glibc's prev_size).
 */
export class ChunkStore {
  /** The records (see the layout above); replaced when the store grows, so hot paths reload them after `create`. */
  f64: Float64Array;
  i32: Int32Array;
  /**
   * The state of each record, a byte apiece: coalescing asks for the states of
   * both neighbours of every chunk it frees, and a small array of bytes is far
   * likelier to be in cache than the neighbours' records, which it then reads
   * only when they are free.
   */
  states: Uint8Array;
  /**
   * The large bins' size ring, 16 bytes per record: fdNext and bkNext, then
   * the leader's size, so that walking the ring reads one line per step and
   * no chunk record.
   */
  private nextSize: Int32Array;
  private leaderSizes: Float64Array;
  private capacity: number;
  /** Sizes that do not fit I_SIZE16, by record. */
  private readonly oddSizes = new Map<number, number>();

  /** Released records, reused last-in first-out (a stack apart from the records, so reuse reads no stale record; the last released is the likeliest still cached). */
  private freeSlots = new Int32Array(256);
  private freeCount = 0;
  private used = 0;
  /** Indexed heap chunks (the top chunk has no record). */
  private heapChunks = 0;
  /**
   * Anchors of the brk heap, anchor 0 at `origin`: for each ANCHOR_SPAN of
   * heap, a chunk that starts in it, or NIL when none does. Kept exact by
   * `place` and `unplace`, so a lookup never walks more than one span's chunks.
   */
  private brkAnchors = new Int32Array(INITIAL_ANCHORS).fill(NIL);
  /** Heap segments outside the brk heap (rare: only after brk failed). */
  private readonly segments: AnchoredSegment[] = [];
  /** Chunks with their own mapping, by user address. */
  private readonly mmappedByUser = new Map<number, number>();

  /** `origin`: where the brk heap starts. */
  constructor(
    private readonly origin: number,
    capacity = INITIAL_RECORDS,
  ) {
    this.capacity = capacity;
    const buf = new ArrayBuffer(capacity * RECORD_BYTES);
    this.f64 = new Float64Array(buf);
    this.i32 = new Int32Array(buf);
    this.states = new Uint8Array(capacity);
    this.nextSize = new Int32Array(4 * capacity);
    this.leaderSizes = new Float64Array(this.nextSize.buffer);
  }

  addrOf(r: number): number {
    return this.f64[r * F64_PER_RECORD + F_ADDR]!;
  }
  setAddr(r: number, v: number): void {
    this.f64[r * F64_PER_RECORD + F_ADDR] = v;
  }
  sizeOf(r: number): number {
    const units = this.i32[r * I32_PER_RECORD + I_SIZE16]!;
    return units >= 0 ? units * 16 : this.oddSizes.get(r)!;
  }
  setSize(r: number, v: number): void {
    const i = r * I32_PER_RECORD + I_SIZE16;
    if (this.i32[i] === ODD_SIZE) this.oddSizes.delete(r);
    const units = v / 16;
    if ((units | 0) === units) {
      this.i32[i] = units;
    } else {
      this.i32[i] = ODD_SIZE;
      this.oddSizes.set(r, v);
    }
  }
  reqOf(r: number): number {
    return this.f64[r * F64_PER_RECORD + F_REQ]!;
  }
  setReq(r: number, v: number): void {
    this.f64[r * F64_PER_RECORD + F_REQ] = v;
  }
  offsetOf(r: number): number {
    return this.f64[r * F64_PER_RECORD + F_OFFSET]!;
  }
  setOffset(r: number, v: number): void {
    this.f64[r * F64_PER_RECORD + F_OFFSET] = v;
  }
  stateOf(r: number): number {
    return this.states[r]!;
  }
  setState(r: number, v: number): void {
    this.states[r] = v;
  }
  fdOf(r: number): number {
    return this.i32[r * I32_PER_RECORD + I_FD]!;
  }
  setFd(r: number, v: number): void {
    this.i32[r * I32_PER_RECORD + I_FD] = v;
  }
  binOf(r: number): number {
    return this.i32[r * I32_PER_RECORD + I_BIN]!;
  }
  setBin(r: number, v: number): void {
    this.i32[r * I32_PER_RECORD + I_BIN] = v;
  }
  bkOf(r: number): number {
    return this.i32[r * I32_PER_RECORD + I_BK]!;
  }
  setBk(r: number, v: number): void {
    this.i32[r * I32_PER_RECORD + I_BK] = v;
  }
  // The ring links are stored plus one, so that the zeros of a new array read
  // as NIL: growing the store then writes nothing into the ring's new part.
  fdNextOf(r: number): number {
    return this.nextSize[4 * r]! - 1;
  }
  setFdNext(r: number, v: number): void {
    this.nextSize[4 * r] = v + 1;
  }
  bkNextOf(r: number): number {
    return this.nextSize[4 * r + 1]! - 1;
  }
  setBkNext(r: number, v: number): void {
    this.nextSize[4 * r + 1] = v + 1;
  }
  /** The size of a large-bin size leader, as set when it became one (a binned chunk's size does not change). */
  leaderSizeOf(r: number): number {
    return this.leaderSizes[2 * r + 1]!;
  }
  setLeaderSize(r: number, v: number): void {
    this.leaderSizes[2 * r + 1] = v;
  }
  prevOf(r: number): number {
    return this.i32[r * I32_PER_RECORD + I_PREV]!;
  }
  setPrev(r: number, v: number): void {
    this.i32[r * I32_PER_RECORD + I_PREV] = v;
  }
  nextOf(r: number): number {
    return this.i32[r * I32_PER_RECORD + I_NEXT]!;
  }
  setNext(r: number, v: number): void {
    this.i32[r * I32_PER_RECORD + I_NEXT] = v;
  }

  /** A new record; the caller indexes it with `place` (heap) or `placeMmapped` (and then sets req and offset). */
  create(addr: number, size: number, state: number): number {
    const r = this.takeSlot();
    this.f64[r * F64_PER_RECORD + F_ADDR] = addr;
    const i = r * I32_PER_RECORD;
    // No read of the old record (release dropped any odd size): a new record costs stores only.
    const units = size / 16;
    if ((units | 0) === units) {
      this.i32[i + I_SIZE16] = units;
    } else {
      this.i32[i + I_SIZE16] = ODD_SIZE;
      this.oddSizes.set(r, size);
    }
    this.states[r] = state;
    this.i32[i + I_FD] = NIL;
    this.i32[i + I_BK] = NIL;
    this.i32[i + I_PREV] = NIL;
    this.i32[i + I_NEXT] = NIL;
    return r;
  }

  /** A record slot for a new record: the last one released, else the next unused one. */
  private takeSlot(): number {
    if (this.freeCount > 0) return this.freeSlots[--this.freeCount]!;
    if (this.used === this.capacity) this.grow();
    return this.used++;
  }

  /** Drop a record (after `unplace`). */
  release(r: number): void {
    this.states[r] = ChunkState.none;
    if (this.i32[r * I32_PER_RECORD + I_SIZE16] === ODD_SIZE) {
      this.oddSizes.delete(r);
      this.i32[r * I32_PER_RECORD + I_SIZE16] = 0;
    }
    if (this.freeCount === this.freeSlots.length) {
      const grown = new Int32Array(2 * this.freeSlots.length);
      grown.set(this.freeSlots);
      this.freeSlots = grown;
    }
    this.freeSlots[this.freeCount++] = r;
  }

  /**
   * create + place + linkBetween(r, prev, next of prev) in one: a heap chunk
   * at addr just above `prev` (NIL: it starts its region with nothing above
   * it but top). Every split makes one, so it is written as plain array
   * operations.
   */
  createLinked(addr: number, size: number, state: number, prev: number): number {
    const r = this.takeSlot();
    const i32 = this.i32;
    const i = r * I32_PER_RECORD;
    this.f64[r * F64_PER_RECORD + F_ADDR] = addr;
    const units = size / 16;
    if ((units | 0) === units) {
      i32[i + I_SIZE16] = units;
    } else {
      i32[i + I_SIZE16] = ODD_SIZE;
      this.oddSizes.set(r, size);
    }
    this.states[r] = state;
    i32[i + I_FD] = NIL;
    i32[i + I_BK] = NIL;
    this.place(r, addr);
    if (prev === NIL) {
      i32[i + I_PREV] = NIL;
      i32[i + I_NEXT] = NIL;
    } else {
      const next = i32[prev * I32_PER_RECORD + I_NEXT]!;
      i32[i + I_PREV] = prev;
      i32[i + I_NEXT] = next;
      i32[prev * I32_PER_RECORD + I_NEXT] = r;
      if (next !== NIL) i32[next * I32_PER_RECORD + I_PREV] = r;
    }
    return r;
  }

  /** unplace + unlinkPhys + release in one: a heap chunk merged into a neighbour or into top. */
  dropLinked(r: number): void {
    const i32 = this.i32;
    const i = r * I32_PER_RECORD;
    const prev = i32[i + I_PREV]!;
    const next = i32[i + I_NEXT]!;
    if (this.segments.length === 0) {
      // unplace, for the brk heap (the common case) with the neighbours already read.
      this.heapChunks--;
      const base = this.origin;
      const anchors = this.brkAnchors;
      const span = Math.floor((this.f64[r * F64_PER_RECORD + F_ADDR]! - base) * INV_ANCHOR_SPAN);
      if (anchors[span] === r) {
        if (next !== NIL && Math.floor((this.f64[next * F64_PER_RECORD + F_ADDR]! - base) * INV_ANCHOR_SPAN) === span) anchors[span] = next;
        else anchors[span] = prev !== NIL && Math.floor((this.f64[prev * F64_PER_RECORD + F_ADDR]! - base) * INV_ANCHOR_SPAN) === span ? prev : NIL;
      }
    } else {
      this.unplace(r);
    }
    if (prev !== NIL) i32[prev * I32_PER_RECORD + I_NEXT] = next;
    if (next !== NIL) i32[next * I32_PER_RECORD + I_PREV] = prev;
    i32[i + I_PREV] = NIL;
    i32[i + I_NEXT] = NIL;
    this.release(r);
  }

  /** Register a heap segment outside the brk heap (an mmapped one), before any chunk is placed in it. */
  addSegment(start: number, length: number): void {
    this.segments.push({ start, end: start + length, anchors: new Int32Array(Math.ceil(length * INV_ANCHOR_SPAN)).fill(NIL) });
  }

  /** Index heap chunk r, which starts at addr (before it is linked or after; only its address matters). */
  place(r: number, addr: number): void {
    this.heapChunks++;
    if (this.segments.length === 0) {
      const span = Math.floor((addr - this.origin) * INV_ANCHOR_SPAN);
      if (span >= this.brkAnchors.length) this.growAnchors(span);
      if (this.brkAnchors[span] === NIL) this.brkAnchors[span] = r;
      return;
    }
    const seg = this.segments.length === 0 ? null : this.segmentOf(addr);
    let anchors: Int32Array;
    let span: number;
    if (seg === null) {
      span = Math.floor((addr - this.origin) * INV_ANCHOR_SPAN);
      if (span >= this.brkAnchors.length) this.growAnchors(span);
      anchors = this.brkAnchors;
    } else {
      span = Math.floor((addr - seg.start) * INV_ANCHOR_SPAN);
      anchors = seg.anchors;
    }
    if (anchors[span] === NIL) anchors[span] = r;
  }

  /** Forget a heap chunk's start; call while it is still linked in address order (its neighbours may take over its span). */
  unplace(r: number): void {
    this.heapChunks--;
    const addr = this.addrOf(r);
    const seg = this.segments.length === 0 ? null : this.segmentOf(addr);
    const base = seg === null ? this.origin : seg.start;
    const anchors = seg === null ? this.brkAnchors : seg.anchors;
    const span = Math.floor((addr - base) * INV_ANCHOR_SPAN);
    if (anchors[span] !== r) return;
    // The chunks starting in one span are consecutive in address order, so if
    // any other remains, one of r's neighbours is among them.
    const next = this.nextOf(r);
    if (next !== NIL && Math.floor((this.addrOf(next) - base) * INV_ANCHOR_SPAN) === span) {
      anchors[span] = next;
      return;
    }
    const prev = this.prevOf(r);
    anchors[span] = prev !== NIL && Math.floor((this.addrOf(prev) - base) * INV_ANCHOR_SPAN) === span ? prev : NIL;
  }

  /** The heap chunk starting at addr, or NIL: from its span's anchor along the address-order links. */
  at(addr: number): number {
    const seg = this.segments.length === 0 ? null : this.segmentOf(addr);
    const base = seg === null ? this.origin : seg.start;
    const anchors = seg === null ? this.brkAnchors : seg.anchors;
    if (addr < base) return NIL;
    const span = Math.floor((addr - base) * INV_ANCHOR_SPAN);
    if (span >= anchors.length) return NIL;
    let r = anchors[span]!;
    if (r === NIL) return NIL;
    let x = this.addrOf(r);
    while (x < addr) {
      r = this.nextOf(r);
      if (r === NIL) return NIL;
      x = this.addrOf(r);
    }
    while (x > addr) {
      r = this.prevOf(r);
      if (r === NIL) return NIL;
      x = this.addrOf(r);
    }
    return x === addr ? r : NIL;
  }

  /**
   * The heap chunk starting at addr found by looking at every record, without
   * trusting the links: for diagnosing a heap whose links are broken.
   */
  scanFor(addr: number): number {
    for (let r = 0; r < this.used; r++) {
      const state = this.stateOf(r);
      if (state !== ChunkState.none && state !== ChunkState.mmapped && this.addrOf(r) === addr) return r;
    }
    return NIL;
  }

  /** Link heap chunk r into the address order between prev and next (either may be NIL). */
  linkBetween(r: number, prev: number, next: number): void {
    this.setPrev(r, prev);
    this.setNext(r, next);
    if (prev !== NIL) this.setNext(prev, r);
    if (next !== NIL) this.setPrev(next, r);
  }

  /** Take heap chunk r out of the address order, joining its neighbours. */
  unlinkPhys(r: number): void {
    const prev = this.prevOf(r);
    const next = this.nextOf(r);
    if (prev !== NIL) this.setNext(prev, next);
    if (next !== NIL) this.setPrev(next, prev);
    this.setPrev(r, NIL);
    this.setNext(r, NIL);
  }

  /**
   * The binned free chunk just below heap chunk r, or NIL: what glibc finds
   * through r's clear PREV_INUSE bit and the prev_size footer.
   */
  freeBefore(r: number): number {
    const p = this.prevOf(r);
    return p !== NIL && isBinned(this.stateOf(p)) ? p : NIL;
  }

  placeMmapped(r: number): void {
    this.mmappedByUser.set(this.addrOf(r) + 16, r);
  }

  unplaceMmapped(r: number): void {
    this.mmappedByUser.delete(this.addrOf(r) + 16);
  }

  mmappedAt(user: number): number {
    return this.mmappedByUser.get(user) ?? NIL;
  }

  /** Every mmapped chunk record (for retention). */
  mmappedRecords(): IterableIterator<number> {
    return this.mmappedByUser.values();
  }

  get heapChunkCount(): number {
    return this.heapChunks;
  }

  private segmentOf(addr: number): AnchoredSegment | null {
    for (const seg of this.segments) if (addr >= seg.start && addr < seg.end) return seg;
    return null;
  }

  private growAnchors(span: number): void {
    let n = this.brkAnchors.length * 2;
    while (n <= span) n *= 2;
    const grown = new Int32Array(n).fill(NIL);
    grown.set(this.brkAnchors);
    this.brkAnchors = grown;
  }

  private grow(): void {
    const n = this.capacity * 2;
    const buf = new ArrayBuffer(n * RECORD_BYTES);
    const f64 = new Float64Array(buf);
    f64.set(this.f64);
    this.f64 = f64;
    this.i32 = new Int32Array(buf);
    const states = new Uint8Array(n);
    states.set(this.states);
    this.states = states;
    const nextSize = new Int32Array(4 * n);
    nextSize.set(this.nextSize);
    this.nextSize = nextSize;
    this.leaderSizes = new Float64Array(nextSize.buffer);
    this.capacity = n;
  }
}

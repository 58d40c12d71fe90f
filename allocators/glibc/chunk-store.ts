// Every chunk the arena knows, as records in parallel typed arrays (no object
// per chunk), found by address through an integer-keyed map. The words glibc
// keeps inside the chunks (size, fd/bk, the footer) live here instead; the
// model still touches the simulated memory where glibc writes them. Heap
// chunks are also linked in address order: what glibc finds by chunk
// arithmetic (the next chunk at p + size, the free chunk before p through its
// footer) is then one array read instead of a hash lookup.
import { IntMap } from './int-map.ts';

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

const capacityHint = 1024;

// One record is 64 bytes of one buffer, so the fields an operation reads sit
// together in memory: the float fields first, then the integer ones.
const RECORD_BYTES = 64;
const F64_PER_RECORD = RECORD_BYTES / 8;
const I32_PER_RECORD = RECORD_BYTES / 4;
const F_ADDR = 0;
const F_SIZE = 1;
const F_REQ = 2;
const F_OFFSET = 3;
const I_STATE = 8;
const I_FD = 9;
const I_BK = 10;
const I_FD_NEXT = 11;
const I_BK_NEXT = 12;
const I_PREV = 13;
const I_NEXT = 14;

/**
 * Record fields, read with `xOf(r)` and written with `setX(r, v)`:
 * - addr: chunk address (the prev_size word); the user pointer is addr + 16.
 * - size: chunk size without flag bits.
 * - req: bytes the program asked for (live and mmapped chunks).
 * - offset: mmapped chunks: distance from the mapping start to the chunk (glibc's prev_size).
 * - state: a ChunkState.
 * - fd, bk: list links; fd points from a bin's first chunk toward its last; free slots chain through fd.
 * - fdNext, bkNext: large bins: ring of the first chunk of each size, largest
 *   first (fd_nextsize / bk_nextsize); NIL when not a size leader.
 * - prev, next: heap chunks: the chunk just below and just above in memory,
 *   NIL at a segment's start and before top or a segment's end.
 */
export class ChunkStore {
  private f64: Float64Array;
  private i32: Int32Array;
  private capacity: number;

  private freeSlot = NIL;
  private used = 0;
  /** Heap chunks by start address (the top chunk has no record). */
  private readonly byStart = new IntMap(capacityHint);
  /** Chunks with their own mapping, by user address. */
  private readonly mmappedByUser = new Map<number, number>();

  /** Keys are (address − origin) / 16: small integers for the brk heap. */
  constructor(private readonly origin: number, capacity = 1024) {
    this.capacity = capacity;
    const buf = new ArrayBuffer(capacity * RECORD_BYTES);
    this.f64 = new Float64Array(buf);
    this.i32 = new Int32Array(buf);
  }

  addrOf(r: number): number {
    return this.f64[r * F64_PER_RECORD + F_ADDR]!;
  }
  setAddr(r: number, v: number): void {
    this.f64[r * F64_PER_RECORD + F_ADDR] = v;
  }
  sizeOf(r: number): number {
    return this.f64[r * F64_PER_RECORD + F_SIZE]!;
  }
  setSize(r: number, v: number): void {
    this.f64[r * F64_PER_RECORD + F_SIZE] = v;
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
    return this.i32[r * I32_PER_RECORD + I_STATE]!;
  }
  setState(r: number, v: number): void {
    this.i32[r * I32_PER_RECORD + I_STATE] = v;
  }
  fdOf(r: number): number {
    return this.i32[r * I32_PER_RECORD + I_FD]!;
  }
  setFd(r: number, v: number): void {
    this.i32[r * I32_PER_RECORD + I_FD] = v;
  }
  bkOf(r: number): number {
    return this.i32[r * I32_PER_RECORD + I_BK]!;
  }
  setBk(r: number, v: number): void {
    this.i32[r * I32_PER_RECORD + I_BK] = v;
  }
  fdNextOf(r: number): number {
    return this.i32[r * I32_PER_RECORD + I_FD_NEXT]!;
  }
  setFdNext(r: number, v: number): void {
    this.i32[r * I32_PER_RECORD + I_FD_NEXT] = v;
  }
  bkNextOf(r: number): number {
    return this.i32[r * I32_PER_RECORD + I_BK_NEXT]!;
  }
  setBkNext(r: number, v: number): void {
    this.i32[r * I32_PER_RECORD + I_BK_NEXT] = v;
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

  /** A new record; the caller indexes it with `place` (heap) or `placeMmapped`. */
  create(addr: number, size: number, state: number): number {
    let r = this.freeSlot;
    if (r !== NIL) {
      this.freeSlot = this.fdOf(r);
    } else {
      if (this.used === this.capacity) this.grow();
      r = this.used++;
    }
    const f = r * F64_PER_RECORD;
    this.f64[f + F_ADDR] = addr;
    this.f64[f + F_SIZE] = size;
    this.f64[f + F_REQ] = 0;
    this.f64[f + F_OFFSET] = 0;
    const i = r * I32_PER_RECORD;
    this.i32[i + I_STATE] = state;
    this.i32[i + I_FD] = NIL;
    this.i32[i + I_BK] = NIL;
    this.i32[i + I_FD_NEXT] = NIL;
    this.i32[i + I_BK_NEXT] = NIL;
    this.i32[i + I_PREV] = NIL;
    this.i32[i + I_NEXT] = NIL;
    return r;
  }

  /** Drop a record (after `unplace`). */
  release(r: number): void {
    this.setState(r, ChunkState.none);
    this.setFd(r, this.freeSlot);
    this.freeSlot = r;
  }

  key(addr: number): number {
    return (addr - this.origin) / 16;
  }

  /** Index a heap chunk by its start. */
  place(r: number): void {
    this.byStart.set(this.key(this.addrOf(r)), r);
  }

  unplace(r: number): void {
    this.byStart.delete(this.key(this.addrOf(r)));
  }

  /** The heap chunk starting at addr, or NIL. */
  at(addr: number): number {
    return this.byStart.get(this.key(addr));
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
    return this.byStart.size;
  }

  private grow(): void {
    const n = this.capacity * 2;
    const buf = new ArrayBuffer(n * RECORD_BYTES);
    const f64 = new Float64Array(buf);
    f64.set(this.f64);
    this.f64 = f64;
    this.i32 = new Int32Array(buf);
    this.capacity = n;
  }
}

// Every chunk the arena knows, as records in parallel typed arrays (no object
// per chunk), found by address through integer-keyed maps. The words glibc
// keeps inside the chunks (size, fd/bk, the footer) live here instead; the
// model still touches the simulated memory where glibc writes them.
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

export class ChunkStore {
  /** Chunk address (the prev_size word); user pointer is addr + 16. */
  addr: Float64Array;
  /** Chunk size without flag bits. */
  size: Float64Array;
  /** Bytes the program asked for (live and mmapped chunks). */
  req: Float64Array;
  /** mmapped chunks: distance from the mapping start to the chunk (glibc's prev_size). */
  offset: Float64Array;
  state: Uint8Array;
  /** List links: fd points from a bin's first chunk toward its last; free slots chain through fd. */
  fd: Int32Array;
  bk: Int32Array;
  /** Large bins: ring of the first chunk of each size, largest first (fd_nextsize / bk_nextsize); NIL when not a size leader. */
  fdNext: Int32Array;
  bkNext: Int32Array;

  private freeSlot = NIL;
  private used = 0;
  /** Heap chunks by start address (the top chunk has no record). */
  private readonly byStart = new IntMap(capacityHint);
  /** Binned free chunks by end address: what glibc reads from the next chunk's prev_size. */
  private readonly freeByEnd = new IntMap(capacityHint);
  /** Chunks with their own mapping, by user address. */
  private readonly mmappedByUser = new Map<number, number>();

  /** Keys are (address − origin) / 16: small integers for the brk heap, which keeps Map lookups on the fast path. */
  constructor(private readonly origin: number, capacity = 1024) {
    this.addr = new Float64Array(capacity);
    this.size = new Float64Array(capacity);
    this.req = new Float64Array(capacity);
    this.offset = new Float64Array(capacity);
    this.state = new Uint8Array(capacity);
    this.fd = new Int32Array(capacity);
    this.bk = new Int32Array(capacity);
    this.fdNext = new Int32Array(capacity);
    this.bkNext = new Int32Array(capacity);
  }

  /** A new record; the caller indexes it with `place` (heap) or `placeMmapped`. */
  create(addr: number, size: number, state: number): number {
    let r = this.freeSlot;
    if (r !== NIL) {
      this.freeSlot = this.fd[r]!;
    } else {
      if (this.used === this.addr.length) this.grow();
      r = this.used++;
    }
    this.addr[r] = addr;
    this.size[r] = size;
    this.state[r] = state;
    this.req[r] = 0;
    this.offset[r] = 0;
    this.fd[r] = NIL;
    this.bk[r] = NIL;
    this.fdNext[r] = NIL;
    this.bkNext[r] = NIL;
    return r;
  }

  /** Drop a record (after `unplace`). */
  release(r: number): void {
    this.state[r] = ChunkState.none;
    this.fd[r] = this.freeSlot;
    this.freeSlot = r;
  }

  key(addr: number): number {
    return (addr - this.origin) / 16;
  }

  /** Index a heap chunk by its start. */
  place(r: number): void {
    this.byStart.set(this.key(this.addr[r]!), r);
  }

  unplace(r: number): void {
    this.byStart.delete(this.key(this.addr[r]!));
  }

  /** The heap chunk starting at addr, or NIL. */
  at(addr: number): number {
    return this.byStart.get(this.key(addr));
  }

  /** Record a binned chunk's footer. */
  setFooter(r: number): void {
    this.freeByEnd.set(this.key(this.addr[r]! + this.size[r]!), r);
  }

  clearFooter(r: number): void {
    this.freeByEnd.delete(this.key(this.addr[r]! + this.size[r]!));
  }

  /** The binned free chunk that ends at addr (prev_inuse clear), or NIL. */
  freeEndingAt(addr: number): number {
    return this.freeByEnd.get(this.key(addr));
  }

  placeMmapped(r: number): void {
    this.mmappedByUser.set(this.addr[r]! + 16, r);
  }

  unplaceMmapped(r: number): void {
    this.mmappedByUser.delete(this.addr[r]! + 16);
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
    const n = this.addr.length * 2;
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.addr = f64(this.addr);
    this.size = f64(this.size);
    this.req = f64(this.req);
    this.offset = f64(this.offset);
    const st = new Uint8Array(n);
    st.set(this.state);
    this.state = st;
    this.fd = i32(this.fd);
    this.bk = i32(this.bk);
    this.fdNext = i32(this.fdNext);
    this.bkNext = i32(this.bkNext);
  }
}

// Arenas: the arena objects (2.5+ `struct arena_object`; for 2.4 just the
// vector of base addresses), where their memory comes from, how many pools
// each holds, and which pool a pointer belongs to.
import type { AddressSpace } from '../address-space.ts';
import type { AllocRequest, AllocatorModel } from '../types.ts';
import { PoolMap } from './pool-map.ts';
import { NO_POOL, type PoolTable } from './pools.ts';
import type { ObmallocConfig } from './versions.ts';

export const NO_ARENA = -1;
/** INITIAL_ARENA_OBJECTS, and the 2.4 vector's first size. */
const INITIAL_ARENAS = 16;

function grownInt32(a: Int32Array, n: number, fill: number): Int32Array {
  const b = new Int32Array(n).fill(fill);
  b.set(a);
  return b;
}

export class ArenaTable {
  /** Arena base as the allocator returned it; 0 = arena object not associated. */
  address: Float64Array = new Float64Array(0);
  /** First pool-aligned address in the arena. */
  firstPool: Float64Array = new Float64Array(0);
  /** Pools carved so far (pool_address = firstPool + carved × POOL_SIZE). */
  carved: Int32Array = new Int32Array(0);
  /** Free pools plus never-carved pools. */
  nfreepools: Int32Array = new Int32Array(0);
  /** Whole pools that fit after alignment: 64, or 63 when the base is not pool-aligned. */
  ntotalpools: Int32Array = new Int32Array(0);
  /** Per-arena freepools LIFO (2.5+), threaded through PoolTable.next. */
  freepools: Int32Array = new Int32Array(0);
  /** usable_arenas links (2.5+); `next` also threads unused_arena_objects. */
  next: Int32Array = new Int32Array(0);
  prev: Int32Array = new Int32Array(0);
  /** maxarenas: arena objects that exist (2.4: slots of the address vector). */
  objects = 0;
  /** 2.4 narenas: arenas allocated so far (the newest is the one with virgin pools). */
  narenas = 0;
  /** Arenas currently holding memory. */
  live = 0;
  unusedHead = NO_ARENA;
  /** The arena vector as a block of the backing allocator. */
  vectorAddr = 0;
  vectorSlots = 0;
  /** 2.4 leaks the old vector each time it grows. */
  readonly leakedVectors: number[] = [];
  /** Pool number by pool-sized address window, for every carved pool of a live arena. */
  private readonly poolAt: PoolMap;
  private readonly ppa: number;
  /** log2 of pools per arena (both sizes are powers of two), to split a pool number. */
  private readonly lgPpa: number;

  constructor(
    private readonly config: ObmallocConfig,
    private readonly space: AddressSpace,
    private readonly backing: AllocatorModel,
    private readonly pools: PoolTable,
  ) {
    this.ppa = config.poolsPerArena;
    this.lgPpa = Math.log2(config.poolsPerArena);
    this.poolAt = new PoolMap(config.poolSize);
  }

  /**
   * The pool that owns `address`, or NO_POOL. Pools are whole POOL_SIZE
   * windows inside an arena, and an arena is one block of the backing (or its
   * own mapping), so no other block can overlap a pool window: a lookup by
   * pool-aligned base decides ownership as Py_ADDRESS_IN_RANGE / the 3.10
   * radix tree do.
   */
  poolOf(address: number): number {
    // PoolMap answers −1, NO_POOL, for an address in no pool.
    return this.poolAt.get(address);
  }

  /** Pool number of slot `slot` in arena a. */
  poolNumber(a: number, slot: number): number {
    return a * this.ppa + slot;
  }

  /** Carve the next virgin pool of arena a; the caller has checked there is one. */
  carvePool(a: number): number {
    const slot = this.carved[a]!;
    this.carved[a] = slot + 1;
    this.nfreepools[a]!--;
    const p = a * this.ppa + slot;
    const base = this.firstPool[a]! + slot * this.config.poolSize;
    this.pools.carve(p, base);
    this.poolAt.set(base, p);
    return p;
  }

  /** The arena that pool p belongs to (pool numbers are arena × pools-per-arena + slot). */
  arenaOfPool(p: number): number {
    return p >>> this.lgPpa;
  }

  private ensureObjects(n: number): void {
    if (n <= this.address.length) return;
    let cap = Math.max(this.address.length, INITIAL_ARENAS);
    while (cap < n) cap *= 2;
    const grow = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.address = grow(this.address);
    this.firstPool = grow(this.firstPool);
    this.carved = grownInt32(this.carved, cap, 0);
    this.nfreepools = grownInt32(this.nfreepools, cap, 0);
    this.ntotalpools = grownInt32(this.ntotalpools, cap, 0);
    this.freepools = grownInt32(this.freepools, cap, NO_POOL);
    this.next = grownInt32(this.next, cap, NO_ARENA);
    this.prev = grownInt32(this.prev, cap, NO_ARENA);
    this.pools.ensure(cap * this.ppa);
  }

  private allocMemory(req: AllocRequest): number {
    if (this.config.arenaSource === 'mmap') return this.space.mmap(this.config.arenaSize, 'obmalloc arena');
    return this.backing.malloc(this.config.arenaSize, req);
  }

  /** The first pool sits at the next POOL_SIZE boundary; the partial pool lost to misalignment is never used. */
  private associate(a: number, address: number): void {
    const excess = address % this.config.poolSize;
    this.address[a] = address;
    this.firstPool[a] = excess === 0 ? address : address + this.config.poolSize - excess;
    this.ntotalpools[a] = excess === 0 ? this.ppa : this.ppa - 1;
    this.nfreepools[a] = this.ntotalpools[a]!;
    this.carved[a] = 0;
    this.freepools[a] = NO_POOL;
    this.next[a] = NO_ARENA;
    this.prev[a] = NO_ARENA;
    this.live++;
  }

  /**
   * 2.4 new_arena(): malloc the arena, then append its address to the vector,
   * which starts at 16 slots and doubles into a fresh malloc, the old one
   * deliberately leaked (a thread might still be reading it without the GIL).
   * Returns the arena index or NO_ARENA when memory ran out.
   */
  newArenaLeakingVector(req: AllocRequest): number {
    const address = this.allocMemory(req);
    if (address === 0) return NO_ARENA;
    const ptr = this.config.pointerSize;
    const a = this.narenas;
    if (this.vectorAddr === 0 || a === this.vectorSlots) {
      const slots = this.vectorAddr === 0 ? INITIAL_ARENAS : this.vectorSlots * 2;
      const v = this.backing.malloc(slots * ptr, req);
      if (v === 0) {
        this.freeMemory(address, req);
        return NO_ARENA;
      }
      if (this.vectorAddr !== 0) {
        this.space.touch(v, a * ptr);
        this.leakedVectors.push(this.vectorAddr);
      }
      this.vectorAddr = v;
      this.vectorSlots = slots;
    }
    this.ensureObjects(a + 1);
    this.objects = Math.max(this.objects, a + 1);
    this.associate(a, address);
    this.space.touch(this.vectorAddr + a * ptr, ptr);
    this.narenas = a + 1;
    return a;
  }

  /**
   * 2.5+ new_arena(): when no arena object is unused, realloc the vector of
   * arena objects to twice its size (16 at first) and put the new ones on the
   * unused list; then take its head and get the arena's memory.
   */
  newArenaObject(req: AllocRequest): number {
    const size = this.config.arenaObjectSize;
    if (this.unusedHead === NO_ARENA) {
      const old = this.objects;
      const num = old === 0 ? INITIAL_ARENAS : old * 2;
      const v = this.vectorAddr === 0 ? this.backing.malloc(num * size, req) : this.backing.realloc(this.vectorAddr, num * size, req);
      if (v === 0) return NO_ARENA;
      this.vectorAddr = v;
      this.vectorSlots = num;
      this.ensureObjects(num);
      for (let i = old; i < num; i++) {
        this.address[i] = 0;
        this.next[i] = i < num - 1 ? i + 1 : NO_ARENA;
      }
      this.space.touch(v + old * size, (num - old) * size);
      this.unusedHead = old;
      this.objects = num;
    }
    const a = this.unusedHead;
    this.unusedHead = this.next[a]!;
    const address = this.allocMemory(req);
    if (address === 0) {
      this.next[a] = this.unusedHead;
      this.unusedHead = a;
      return NO_ARENA;
    }
    this.associate(a, address);
    this.space.touch(this.vectorAddr + a * size, size);
    return a;
  }

  /** Give arena a's memory back and put its object on the unused list (2.5+). */
  freeArena(a: number, req: AllocRequest): void {
    const carved = this.carved[a]!;
    const first = this.firstPool[a]!;
    for (let slot = 0; slot < carved; slot++) {
      this.poolAt.delete(first + slot * this.config.poolSize);
      this.pools.release(a * this.ppa + slot);
    }
    this.freeMemory(this.address[a]!, req);
    this.address[a] = 0;
    this.carved[a] = 0;
    this.freepools[a] = NO_POOL;
    this.prev[a] = NO_ARENA;
    this.next[a] = this.unusedHead;
    this.unusedHead = a;
    this.live--;
  }

  private freeMemory(address: number, req: AllocRequest): void {
    if (this.config.arenaSource === 'mmap') this.space.munmap(address, this.config.arenaSize);
    else this.backing.free(address, req);
  }

  /** The arena whose [address, address + ARENA_SIZE) holds `address`, or NO_ARENA (for findings). */
  arenaContaining(address: number): number {
    for (let a = 0; a < this.objects; a++) {
      const base = this.address[a]!;
      if (base !== 0 && address >= base && address < base + this.config.arenaSize) return a;
    }
    return NO_ARENA;
  }
}

// The glibc model as the replayer sees it: the public malloc, free, realloc
// and memalign entry points (__libc_malloc and friends) over one main arena.
import type { AddressSpace } from '../address-space.ts';
import type { AllocRequest, AllocatorModel, ModelNote, RetentionFinding } from '../types.ts';
import { formatBytes } from '../units.ts';
import { Arena } from './arena.ts';
import { ChunkState, NIL } from './chunk-store.ts';
import { CHUNK_HDR_SZ, MALLOC_ALIGNMENT, MINSIZE, SIZE_SZ, TCACHE_MAX_BINS, csize2tidx, request2size, requestTooLarge } from './constants.ts';
import { intFree, mallocTrim } from './free.ts';
import { checkHeap } from './heap-walk.ts';
import { intMalloc } from './malloc.ts';
import type { GlibcConfig } from './params.ts';
import { intMemalign, intRealloc, remapChunk } from './resize.ts';
import { accountHeap, retentionFindings, type HeapAccount } from './retention.ts';

/** Ids beyond this (internal requests, huge id spaces) get no hint: the table stays at most 256 MiB. */
const MAX_ID_HINTS = 2 ** 26;

export class GlibcModel implements AllocatorModel {
  readonly space: AddressSpace;
  private readonly a: Arena;
  /** The last block handed out, for usableSize right after an allocation. */
  private lastUser = -1;
  private lastRecord = 0;
  /**
   * The record last handed out under each trace id (req.id), NIL when none: a
   * hint that spares free and realloc a lookup by address. Always checked against
   * the address and state (the program only gives glibc the pointer), so a
   * stale or foreign entry just falls back to the lookup.
   */
  private recordOfId = new Int32Array(1024).fill(NIL);

  constructor(space: AddressSpace, cfg: GlibcConfig) {
    this.space = space;
    this.a = new Arena(space, cfg);
    const a = this.a;
    a.freeOldTop = (r) => intFree(a, r);
  }

  malloc(size: number, req: AllocRequest): number {
    if (requestTooLarge(size)) return 0;
    const a = this.a;
    const nb = request2size(size);
    this.initTcache();
    if (a.tcacheOn) {
      const idx = csize2tidx(nb);
      if (idx < TCACHE_MAX_BINS && a.bins.tcacheCount[idx]! > 0) return this.handOut(a.tcacheGet(idx), size, req.id);
    }
    const r = intMalloc(a, nb);
    return r === NIL ? 0 : this.handOut(r, size, req.id);
  }

  memalign(alignment: number, size: number, req: AllocRequest): number {
    if (alignment <= MALLOC_ALIGNMENT) return this.malloc(size, req);
    let align = Math.max(alignment, MINSIZE);
    if (!Number.isInteger(Math.log2(align))) align = 2 ** Math.ceil(Math.log2(align));
    if (requestTooLarge(size) || requestTooLarge(size + align)) return 0;
    // _mid_memalign goes straight to the arena: no tcache lookup and no tcache_init.
    const r = intMemalign(this.a, align, size);
    return r === NIL ? 0 : this.handOut(r, size, req.id);
  }

  /**
   * glibc 2.35 frees on realloc(p, 0) and returns NULL. Trace format v1 keeps
   * the id live until its own free row, so a resize to 0 here shrinks the
   * block to a minimum chunk in place, as _int_realloc does for a 1-byte request.
   */
  realloc(addr: number, size: number, req: AllocRequest): number {
    if (requestTooLarge(size)) return 0;
    const a = this.a;
    const c = a.c;
    const nb = request2size(size);
    const r = this.heapChunkOf(addr, req.id);
    if (r !== NIL) {
      this.initTcache();
      const v = intRealloc(a, r, nb);
      return v === NIL ? 0 : this.handOut(v, size, req.id);
    }
    const m = c.mmappedAt(addr);
    if (m === NIL) throw new Error(`glibc model: realloc of 0x${addr.toString(16)}, which is not a live block`);
    if (remapChunk(a, m, nb)) return this.handOut(m, size, req.id);
    if (c.sizeOf(m) - SIZE_SZ >= nb) {
      c.setReq(m, size);
      return addr;
    }
    const moved = this.malloc(size, req);
    if (moved === 0) return 0;
    a.w(moved, Math.min(c.sizeOf(m) - CHUNK_HDR_SZ, this.usableSize(moved)));
    a.unmapChunk(m);
    return moved;
  }

  free(addr: number, req: AllocRequest): void {
    const a = this.a;
    // Heap chunks first: the common case, and usually found through the id hint.
    const r = this.heapChunkOf(addr, req.id);
    if (r !== NIL) {
      this.initTcache();
      intFree(a, r);
      return;
    }
    const m = a.c.mmappedAt(addr);
    if (m === NIL) throw new Error(`glibc model: free of 0x${addr.toString(16)}, which is not a live block`);
    a.raiseThresholds(a.c.sizeOf(m));
    a.unmapChunk(m);
  }

  usableSize(addr: number): number {
    const c = this.a.c;
    // The replayer asks right after each allocation: answer that from the record just handed out.
    const last = this.lastRecord;
    if (addr === this.lastUser && c.stateOf(last) === ChunkState.inUse && c.addrOf(last) + CHUNK_HDR_SZ === addr) return c.sizeOf(last) - CHUNK_HDR_SZ + SIZE_SZ;
    const r = this.heapChunk(addr);
    if (r !== NIL) return c.sizeOf(r) - CHUNK_HDR_SZ + SIZE_SZ;
    const m = c.mmappedAt(addr);
    return m === NIL ? 0 : c.sizeOf(m) - CHUNK_HDR_SZ;
  }

  advanceTime(_nowNs: number): void {
    // ptmalloc2 does nothing on a clock.
  }

  retention(): RetentionFinding[] {
    return retentionFindings(this.a);
  }

  trim(): void {
    mallocTrim(this.a, 0);
  }

  describe(): ModelNote {
    const cfg = this.a.cfg;
    const tcache = cfg.tcacheStructChunk === 0 ? 'no tcache' : `tcache ${cfg.tcacheCount} per bin (a ${cfg.tcacheStructChunk}-byte struct chunk first in the heap)`;
    return {
      title: `glibc ${cfg.preset} ptmalloc2, main arena`,
      text:
        `Simulates the main arena chunk by chunk: ${tcache}, fastbins up to ${cfg.maxFast}-byte chunks, the unsorted bin with last-remainder splitting, ` +
        `sorted large bins with best fit, coalescing, top grown by sbrk with top_pad ${formatBytes(cfg.topPad)}, trim at the top only ` +
        `(trim_threshold ${formatBytes(cfg.trimThreshold)}), mmapped chunks from ${formatBytes(cfg.mmapThreshold)}` +
        `${cfg.dynamicThreshold ? ' with the dynamic threshold rule' : ' (thresholds fixed, as after mallopt)'}. ` +
        'Simplified: one thread and one arena (no per-thread arenas or heap_trim), 64-bit chunk layout even in 32-bit mode, calloc served as malloc ' +
        '(real calloc skips the tcache), and realloc to 0 bytes shrinks the block instead of freeing it.',
    };
  }

  // ---- for tests and diagnostics ------------------------------------------

  /** The arena's resident bytes split by what they hold. */
  account(): HeapAccount {
    return accountHeap(this.a);
  }

  /** Heap invariant violations (empty when sound). */
  check(): string[] {
    return checkHeap(this.a);
  }

  /** The arena, for white-box tests. */
  get arena(): Arena {
    return this.a;
  }

  /** The in-use heap chunk whose user pointer is addr, or NIL. */
  private heapChunk(addr: number): number {
    const c = this.a.c;
    const r = c.at(addr - CHUNK_HDR_SZ);
    return r !== NIL && c.stateOf(r) === ChunkState.inUse ? r : NIL;
  }

  /** heapChunk, trying the record last handed out under trace id `id` first. */
  private heapChunkOf(addr: number, id: number): number {
    const hint = id < this.recordOfId.length ? this.recordOfId[id]! : NIL;
    if (hint !== NIL) {
      const c = this.a.c;
      if (c.stateOf(hint) === ChunkState.inUse && c.addrOf(hint) + CHUNK_HDR_SZ === addr) return hint;
    }
    return this.heapChunk(addr);
  }

  private handOut(r: number, size: number, id: number): number {
    if (id < this.recordOfId.length) this.recordOfId[id] = r;
    else if (id < MAX_ID_HINTS) {
      this.growIdHints(id);
      this.recordOfId[id] = r;
    }
    const c = this.a.c;
    // Only mmapped chunks need the request (their used pages are live in retention).
    if (c.stateOf(r) === ChunkState.mmapped) c.setReq(r, size);
    const user = c.addrOf(r) + CHUNK_HDR_SZ;
    this.lastUser = user;
    this.lastRecord = r;
    return user;
  }

  private growIdHints(id: number): void {
    let n = this.recordOfId.length;
    while (n <= id) n *= 2;
    const grown = new Int32Array(n).fill(NIL);
    grown.set(this.recordOfId);
    this.recordOfId = grown;
  }

  /** tcache_init: the first malloc, free or realloc allocates and clears the tcache_perthread_struct. */
  private initTcache(): void {
    const a = this.a;
    if (!a.hasTcache || a.tcacheStruct !== NIL) return;
    const r = intMalloc(a, a.cfg.tcacheStructChunk);
    if (r === NIL) return;
    if (a.c.stateOf(r) === ChunkState.inUse) a.c.setState(r, ChunkState.meta);
    a.tcacheStruct = r;
    a.w(a.c.addrOf(r) + CHUNK_HDR_SZ, a.cfg.tcacheStructBytes);
  }
}

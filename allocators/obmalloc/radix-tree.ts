// 3.10+ address_in_range(): a radix tree over arena-sized address chunks
// (bpo-37448). The root is static (BSS); the mid and bottom nodes are
// PyMem_RawCalloc'd from the C heap the first time an arena lands under them
// and are never freed. On 64-bit (IGNORE_BITS 0) with 1 MiB arenas that is a
// 256 KiB mid node and a 128 KiB bottom node: mostly untouched zero pages,
// but real blocks of the backing allocator, and the entries written make
// their pages resident.
import type { AddressSpace } from '../address-space.ts';
import type { AllocRequest, AllocatorModel } from '../types.ts';

const POINTER_BITS = 64;

export class ArenaRadixTree {
  private readonly arenaBits: number;
  private readonly interiorBits: number;
  private readonly botBits: number;
  private readonly midNodeBytes: number;
  private readonly botNodeBytes: number;
  /** Mid node address per top index, bottom node address per (top, mid) key. */
  private readonly mids = new Map<number, number>();
  private readonly bots = new Map<number, number>();

  constructor(
    private readonly space: AddressSpace,
    private readonly backing: AllocatorModel,
    arenaSize: number,
  ) {
    this.arenaBits = Math.log2(arenaSize);
    this.interiorBits = Math.floor((POINTER_BITS - this.arenaBits + 2) / 3);
    this.botBits = POINTER_BITS - this.arenaBits - 2 * this.interiorBits;
    this.midNodeBytes = 2 ** this.interiorBits * 8;
    // arena_coverage_t: int32 tail_hi + int32 tail_lo per arena-sized chunk.
    this.botNodeBytes = 2 ** this.botBits * 8;
  }

  /** Heap blocks the tree holds (mid and bottom nodes). */
  get nodes(): number {
    return this.mids.size + this.bots.size;
  }

  /** Resident bytes of the pages the nodes cover (only the entries written make them resident). */
  residentBytes(): number {
    let pages = 0;
    for (const mid of this.mids.values()) pages += this.space.residentPagesIn(mid, this.midNodeBytes);
    for (const bot of this.bots.values()) pages += this.space.residentPagesIn(bot, this.botNodeBytes);
    return pages * this.space.pageSize;
  }

  /**
   * arena_map_mark_used(base, 1): record the arena in the entry of the chunk it
   * starts in and, when it is not arena-aligned, of the next chunk too.
   * Returns false when a node could not be allocated (new_arena then fails).
   */
  markUsed(base: number, req: AllocRequest): boolean {
    const arenaSize = 2 ** this.arenaBits;
    if (!this.writeEntry(base, 0, req)) return false;
    if (base % arenaSize !== 0 && !this.writeEntry(base + arenaSize, 4, req)) return false;
    return true;
  }

  /** Touch the 4-byte coverage word (tail_hi at +0, tail_lo at +4) for address p, allocating nodes on the way. */
  private writeEntry(p: number, field: number, req: AllocRequest): boolean {
    const topKey = Math.floor(p / 2 ** (this.arenaBits + this.botBits + this.interiorBits));
    const midKey = Math.floor(p / 2 ** (this.arenaBits + this.botBits));
    let mid = this.mids.get(topKey);
    if (mid === undefined) {
      mid = this.backing.malloc(this.midNodeBytes, req);
      if (mid === 0) return false;
      this.mids.set(topKey, mid);
    }
    let bot = this.bots.get(midKey);
    if (bot === undefined) {
      bot = this.backing.malloc(this.botNodeBytes, req);
      if (bot === 0) return false;
      this.bots.set(midKey, bot);
      this.space.touch(mid + (midKey % 2 ** this.interiorBits) * 8, 8);
    }
    const i3 = Math.floor(p / 2 ** this.arenaBits) % 2 ** this.botBits;
    this.space.touch(bot + i3 * 8 + field, 4);
    return true;
  }
}

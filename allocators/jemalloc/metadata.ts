// jemalloc's own memory: base blocks (arena structs, extent structs, thread
// cache stacks) and, in jemalloc 5, the radix tree that maps pages to extents.
// Both are real mappings in the AddressSpace, touched only where written, so
// their resident pages are counted like any other.
import type { AddressSpace } from '../address-space.ts';

/** Bytes of one extent struct (edata_t, 5.x) or extent node (3.x); an estimate, see describe(). */
export const EXTENT_STRUCT_BYTES = 128;
/** rtree: 2^18 leaf entries of 8 bytes (RTREE_LEAF_COMPACT on x86-64), each leaf covers 1 GiB of address space. */
const RTREE_LEAF_BITS = 18;
const RTREE_ENTRY_BYTES = 8;
const LEAF_ENTRIES = 2 ** RTREE_LEAF_BITS;

export class Metadata {
  private readonly blocks: { start: number; length: number }[] = [];
  private cursor = 0;
  /** Page-rounded end of what has been written of the current base block. */
  private writtenEnd = 0;
  private blockEnd = 0;
  private structsCounted = 0;
  private readonly leaves = new Map<number, number>();
  /** Per rtree leaf, 1 for each of its pages already written. */
  private readonly written = new Map<number, Uint8Array>();
  private lastLeafKey = -1;
  private lastLeafAddr = 0;
  private lastLeafWritten: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly space: AddressSpace,
    private readonly baseBlockBytes: number,
    private readonly useRtree: boolean,
  ) {}

  /** base_alloc: bump-allocate from the current base block, mapping a new one when full; the bytes are written. */
  alloc(bytes: number, align = 64): number {
    let at = Math.ceil(this.cursor / align) * align;
    if (this.blocks.length === 0 || at + bytes > this.blockEnd) {
      const length = Math.max(this.baseBlockBytes, Math.ceil(bytes / this.space.pageSize) * this.space.pageSize);
      const start = this.space.mmap(length, 'jemalloc base');
      if (start === 0) return 0;
      this.blocks.push({ start, length });
      at = start;
      this.writtenEnd = start;
      this.blockEnd = start + length;
    }
    this.cursor = at + bytes;
    // Base memory is never purged and is handed out upwards, so a range that
    // ends within the pages already written needs no AddressSpace call.
    if (at + bytes > this.writtenEnd) {
      this.space.touch(at, bytes);
      const page = this.space.pageSize;
      this.writtenEnd = Math.ceil((at + bytes) / page) * page;
    }
    return at;
  }

  /** Extent structs are recycled (edata_cache), so only a new high-water mark costs base memory. */
  noteExtentStructs(highWater: number): void {
    if (highWater <= this.structsCounted) return;
    this.alloc((highWater - this.structsCounted) * EXTENT_STRUCT_BYTES);
    this.structsCounted = highWater;
  }

  /** Write the rtree entries of `count` consecutive pages from `firstPage`. */
  registerPages(firstPage: number, count: number): void {
    if (!this.useRtree) return;
    // One registration per leaf page the entries fall on: the others would
    // find that page already written. Leaves hold a whole number of leaf
    // pages, so leaf-page boundaries are multiples of entriesPerLeafPage.
    const perLeafPage = this.space.pageSize / RTREE_ENTRY_BYTES;
    const end = firstPage + count;
    for (let p = firstPage; p < end; p = (Math.floor(p / perLeafPage) + 1) * perLeafPage) this.registerPage(p);
  }

  /** Write the rtree entry of one page (emap registration): its leaf page becomes resident. */
  registerPage(pageNumber: number): void {
    if (!this.useRtree) return;
    const leafKey = Math.floor(pageNumber / LEAF_ENTRIES);
    if (leafKey !== this.lastLeafKey) this.selectLeaf(leafKey);
    const leaf = this.lastLeafAddr;
    if (leaf === 0) return;
    const offset = (pageNumber - leafKey * LEAF_ENTRIES) * RTREE_ENTRY_BYTES;
    // Leaves are never unmapped or purged, so a leaf page written once stays
    // resident: only the first write of each page needs the AddressSpace.
    const leafPage = Math.floor(offset / this.space.pageSize);
    if (this.lastLeafWritten[leafPage] === 1) return;
    this.lastLeafWritten[leafPage] = 1;
    this.space.touch(leaf + offset, RTREE_ENTRY_BYTES);
  }

  private selectLeaf(leafKey: number): void {
    let leaf = this.leaves.get(leafKey);
    if (leaf === undefined) {
      leaf = this.space.mmap(LEAF_ENTRIES * RTREE_ENTRY_BYTES, 'jemalloc rtree leaf');
      this.leaves.set(leafKey, leaf);
      this.written.set(leafKey, new Uint8Array(Math.ceil((LEAF_ENTRIES * RTREE_ENTRY_BYTES) / this.space.pageSize)));
    }
    this.lastLeafKey = leafKey;
    this.lastLeafAddr = leaf;
    this.lastLeafWritten = this.written.get(leafKey)!;
  }

  /** Resident bytes of every base block and rtree leaf. */
  residentBytes(): number {
    let pages = 0;
    for (const b of this.blocks) pages += this.space.residentPagesIn(b.start, b.length);
    for (const leaf of this.leaves.values()) if (leaf !== 0) pages += this.space.residentPagesIn(leaf, LEAF_ENTRIES * RTREE_ENTRY_BYTES);
    return pages * this.space.pageSize;
  }
}

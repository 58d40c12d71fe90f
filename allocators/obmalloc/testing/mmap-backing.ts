// A stand-in system allocator for obmalloc tests: every request gets its own
// mapping with a 16-byte header, as glibc gives large requests (so a 256 KiB
// arena pointer is base + 16, not pool-aligned). Freed blocks are unmapped at
// once, so whatever stays mapped is held by the model under test.
import type { AddressSpace } from '../../address-space.ts';
import type { AllocRequest, AllocatorModel, ModelNote, RetentionFinding } from '../../types.ts';

const HEADER = 16;

export class MmapBacking implements AllocatorModel {
  /** user address → mapping start and length */
  private readonly blocks = new Map<number, { base: number; length: number }>();
  /** Every request served, in order: [size, address] (for tests to look at what obmalloc asked for). */
  readonly requests: [number, number][] = [];

  constructor(readonly space: AddressSpace) {}

  get liveBlocks(): number {
    return this.blocks.size;
  }

  owns(addr: number): boolean {
    return this.blocks.has(addr);
  }

  malloc(size: number, _req: AllocRequest): number {
    return this.memalign(16, size, _req);
  }

  memalign(alignment: number, size: number, _req: AllocRequest): number {
    const pad = alignment > HEADER ? alignment : 0;
    const length = Math.ceil((size + HEADER + pad) / this.space.pageSize) * this.space.pageSize;
    const base = this.space.mmap(length, 'test backing');
    if (base === 0) return 0;
    let addr = base + HEADER;
    if (addr % alignment !== 0) addr += alignment - (addr % alignment);
    this.space.touch(addr - HEADER, HEADER);
    this.blocks.set(addr, { base, length });
    this.requests.push([size, addr]);
    return addr;
  }

  realloc(addr: number, size: number, req: AllocRequest): number {
    const old = this.usableSize(addr);
    const moved = this.malloc(size, req);
    if (moved === 0) return 0;
    this.space.touch(moved, Math.min(old, size));
    this.free(addr, req);
    return moved;
  }

  free(addr: number, _req: AllocRequest): void {
    const b = this.blocks.get(addr);
    if (!b) throw new Error(`test backing: free of 0x${addr.toString(16)}, which it did not allocate`);
    this.blocks.delete(addr);
    this.space.munmap(b.base, b.length);
  }

  usableSize(addr: number): number {
    const b = this.blocks.get(addr);
    if (!b) throw new Error(`test backing: usableSize of unknown 0x${addr.toString(16)}`);
    return b.base + b.length - addr;
  }

  advanceTime(_nowNs: number): void {}
  trim(): void {}
  retention(): RetentionFinding[] {
    return [];
  }
  describe(): ModelNote {
    return { title: 'test mmap backing', text: 'one mapping per request' };
  }
}

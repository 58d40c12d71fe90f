// A small deterministic allocator for testing the harness without the real
// models: requests up to `mmapThreshold` are bumped from the brk heap (16-byte
// granules, a page of heap at a time, never reused), larger ones get their own
// mapping. Its retention finding names the highest live heap block by the
// address of a 16-byte header below it, as glibc names a chunk.
import { AddressSpace, type AddressSpaceOptions } from '../../allocators/address-space.ts';
import type { ModelInstance } from '../../allocators/registry.ts';
import type { AllocRequest, AllocatorModel, ModelNote, RetentionFinding } from '../../allocators/types.ts';

export const GRANULE = 16;

export class TinyModel implements AllocatorModel {
  readonly blocks = new Map<number, { size: number; usable: number; mmapped: boolean }>();
  readonly clockCalls: number[] = [];
  readonly requests: { op: string; id: number; event: number; nowNs: number }[] = [];
  private bump: number;

  constructor(
    readonly space: AddressSpace,
    private readonly mmapThreshold = 64 * 1024,
  ) {
    this.bump = space.heapStart;
  }

  private place(size: number, align: number): number {
    const usable = Math.max(GRANULE, Math.ceil(size / GRANULE) * GRANULE);
    if (size > this.mmapThreshold) {
      const addr = this.space.mmap(usable, 'tiny');
      if (addr !== 0) this.blocks.set(addr, { size, usable: Math.ceil(usable / this.space.pageSize) * this.space.pageSize, mmapped: true });
      return addr;
    }
    const addr = Math.ceil(this.bump / align) * align;
    const end = addr + usable;
    if (end > this.space.brk) {
      const grow = Math.ceil((end - this.space.brk) / this.space.pageSize) * this.space.pageSize;
      if (this.space.sbrk(grow) < 0) return 0;
    }
    this.bump = end;
    this.blocks.set(addr, { size, usable, mmapped: false });
    return addr;
  }

  malloc(size: number, req: AllocRequest): number {
    this.requests.push({ op: 'malloc', id: req.id, event: req.event, nowNs: req.nowNs });
    return this.place(size, GRANULE);
  }
  memalign(alignment: number, size: number, req: AllocRequest): number {
    this.requests.push({ op: 'memalign', id: req.id, event: req.event, nowNs: req.nowNs });
    return this.place(size, Math.max(alignment, GRANULE));
  }
  realloc(addr: number, size: number, req: AllocRequest): number {
    this.requests.push({ op: 'realloc', id: req.id, event: req.event, nowNs: req.nowNs });
    const old = this.blocks.get(addr)!;
    const moved = this.place(size, GRANULE);
    if (moved === 0) return 0;
    this.space.touch(moved, Math.min(old.size, size));
    this.release(addr);
    return moved;
  }
  free(addr: number, req: AllocRequest): void {
    this.requests.push({ op: 'free', id: req.id, event: req.event, nowNs: req.nowNs });
    this.release(addr);
  }
  private release(addr: number): void {
    const b = this.blocks.get(addr)!;
    if (b.mmapped) this.space.munmap(addr, b.usable);
    this.blocks.delete(addr);
  }
  usableSize(addr: number): number {
    return this.blocks.get(addr)!.usable;
  }
  advanceTime(nowNs: number): void {
    this.clockCalls.push(nowNs);
  }
  retention(): RetentionFinding[] {
    let top = 0;
    for (const [addr, b] of this.blocks) if (!b.mmapped && addr > top) top = addr;
    if (top === 0) return [];
    return [{ kind: 'trim-blocked', bytes: 4096, text: 'the highest live block keeps the heap', blockAddr: top - 16 }];
  }
  trim(): void {}
  describe(): ModelNote {
    return { title: 'tiny bump allocator', text: 'for tests' };
  }
}

export function tinyInstance(spaceOptions: AddressSpaceOptions = {}, mmapThreshold?: number): ModelInstance & { model: TinyModel } {
  const space = new AddressSpace(spaceOptions);
  const model = new TinyModel(space, mmapThreshold);
  return { spec: { name: 'tiny', preset: 'test', backing: null }, model, space, params: { mmap_threshold: mmapThreshold ?? 65536 }, backingParams: null };
}

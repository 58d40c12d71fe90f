// The cheapest valid model: 16-byte-granule bump allocation from the brk heap,
// never reused. Replayed through it, a trace measures the replayer alone: every
// event still goes through the id table, the user-byte touch (always on fresh
// addresses, the dearer case), the probe and the timeline, and the model adds
// next to nothing. The bench prints that figure beside the models' (what a
// model's own work has left of an event's time budget); bench-replay.ts calls it "bare".
import type { AddressSpaceOptions } from '../../allocators/address-space.ts';
import { AddressSpace } from '../../allocators/address-space.ts';
import type { ModelInstance } from '../../allocators/registry.ts';
import type { AllocRequest, AllocatorModel, ModelNote, RetentionFinding } from '../../allocators/types.ts';

/** The model name that stands for the bump model in the bench tools. */
export const HARNESS_ONLY = 'bare';

export class BumpModel implements AllocatorModel {
  private bump: number;
  private lastUsable = 0;
  constructor(readonly space: AddressSpace) {
    this.bump = space.heapStart;
  }
  private place(size: number, align: number): number {
    // Rounding by division and Math.ceil, not `%`: on numbers that are not
    // known small integers V8 computes `%` with a call to fmod, which would
    // bill the harness for the bump allocator's own arithmetic.
    const usable = size <= 16 ? 16 : Math.ceil(size / 16) * 16;
    const addr = Math.ceil(this.bump / align) * align;
    const end = addr + usable;
    if (end > this.space.brk) {
      const grow = end - this.space.brk;
      if (this.space.sbrk(Math.ceil((grow + 1) / 1048576) * 1048576) < 0) return 0;
    }
    this.bump = end;
    this.lastUsable = usable;
    return addr;
  }
  malloc(size: number, _req: AllocRequest): number {
    return this.place(size, 16);
  }
  memalign(alignment: number, size: number, _req: AllocRequest): number {
    return this.place(size, Math.max(16, alignment));
  }
  realloc(_addr: number, size: number, _req: AllocRequest): number {
    return this.place(size, 16);
  }
  free(_addr: number, _req: AllocRequest): void {}
  usableSize(_addr: number): number {
    return this.lastUsable;
  }
  advanceTime(_nowNs: number): void {}
  retention(): RetentionFinding[] {
    return [];
  }
  trim(): void {}
  describe(): ModelNote {
    return { title: 'bump', text: 'bench only: measures the replayer alone' };
  }
}

/** The bump model on a fresh address space, shaped like a registry instance. */
export function harnessOnlyInstance(spaceOptions: AddressSpaceOptions = { bits: 64 }): ModelInstance {
  const space = new AddressSpace(spaceOptions);
  return { spec: { name: HARNESS_ONLY, preset: 'bench', backing: null } as ModelInstance['spec'], model: new BumpModel(space), space, params: {}, backingParams: null };
}

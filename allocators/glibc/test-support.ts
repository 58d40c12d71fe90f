// Shared setup for the glibc model's tests: a model on a fresh address space,
// driven the way the replayer drives it (touch policy `full`).
import { mulberry32 } from '../prng.ts';
import { AddressSpace, type AddressSpaceOptions } from '../address-space.ts';
import type { AllocRequest, ParamValues } from '../types.ts';
import { GlibcModel } from './model.ts';
import { GLIBC_PRESETS, resolveGlibcConfig } from './params.ts';

export const PAGE = 4096;

const REQ: AllocRequest = { id: 0, event: 0, thread: 0, domain: 0, nowNs: 0 };

/** A program using the model: writes every byte it asks for, as the replayer's `full` touch policy does. */
export class Program {
  readonly space: AddressSpace;
  readonly m: GlibcModel;
  /** Where the brk heap starts. */
  readonly hs: number;

  constructor(preset = '2.35', params: ParamValues = {}, spaceOptions: AddressSpaceOptions = {}) {
    const base = GLIBC_PRESETS.find((p) => p.name === preset);
    if (!base) throw new Error(`no preset ${preset}`);
    this.space = new AddressSpace(spaceOptions);
    this.m = new GlibcModel(this.space, resolveGlibcConfig(preset, { ...base.params, ...params }));
    this.hs = this.space.heapStart;
  }

  malloc(n: number): number {
    const p = this.m.malloc(n, REQ);
    if (p !== 0) this.space.touch(p, n);
    return p;
  }

  memalign(align: number, n: number): number {
    const p = this.m.memalign(align, n, REQ);
    if (p !== 0) this.space.touch(p, n);
    return p;
  }

  realloc(p: number, n: number): number {
    const q = this.m.realloc(p, n, REQ);
    if (q !== 0) this.space.touch(q, n);
    return q;
  }

  free(p: number): void {
    this.m.free(p, REQ);
  }

  get rss(): number {
    return this.space.residentBytes;
  }

  get arena() {
    return this.m.arena;
  }
}

/** A small seeded PRNG (mulberry32) so random traces repeat exactly. */
export const prng = mulberry32;

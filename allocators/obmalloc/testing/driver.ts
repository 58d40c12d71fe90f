// A tiny replayer for obmalloc tests: ids to addresses, the `full` touch
// policy, a seeded PRNG and invariant checks on the live blocks.
import type { AddressSpace } from '../../address-space.ts';
import type { AllocRequest, AllocatorModel } from '../../types.ts';

/** The seeded PRNG of allocators/prng.ts, so random traces are reproducible. */
export { mulberry32 as seededRandom } from '../../prng.ts';

export interface LiveBlock {
  addr: number;
  size: number;
  domain: number;
}

export class Driver {
  readonly live = new Map<number, LiveBlock>();
  private readonly req: AllocRequest = { id: 0, event: 0, thread: 0, domain: 0, nowNs: 0 };

  constructor(
    readonly model: AllocatorModel,
    readonly space: AddressSpace,
    private readonly touch = true,
  ) {}

  private next(id: number, domain: number): AllocRequest {
    this.req.id = id;
    this.req.event++;
    this.req.domain = domain;
    return this.req;
  }

  malloc(id: number, size: number, domain = 0): number {
    if (this.live.has(id)) throw new Error(`id ${id} is live`);
    const addr = this.model.malloc(size, this.next(id, domain));
    if (addr === 0) throw new Error(`malloc(${size}) failed`);
    if (this.touch) this.space.touch(addr, size);
    this.live.set(id, { addr, size, domain });
    return addr;
  }

  free(id: number): void {
    const b = this.live.get(id);
    if (!b) throw new Error(`id ${id} is not live`);
    this.model.free(b.addr, this.next(id, b.domain));
    this.live.delete(id);
  }

  realloc(id: number, size: number): number {
    const b = this.live.get(id);
    if (!b) throw new Error(`id ${id} is not live`);
    const addr = this.model.realloc(b.addr, size, this.next(id, b.domain));
    if (addr === 0) throw new Error(`realloc(${size}) failed`);
    if (this.touch && size > b.size) this.space.touch(addr + b.size, size - b.size);
    b.addr = addr;
    b.size = size;
    return addr;
  }

  freeAll(): void {
    for (const id of [...this.live.keys()]) this.free(id);
  }

  /** Problems with the live blocks: overlap, usable < requested, misalignment. Empty when all is well. */
  check(alignmentOf: (addr: number) => number): string[] {
    const problems: string[] = [];
    const blocks = [...this.live.values()].map((b) => ({ ...b, usable: this.model.usableSize(b.addr) }));
    blocks.sort((x, y) => x.addr - y.addr);
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!;
      if (b.usable < b.size) problems.push(`0x${b.addr.toString(16)}: usable ${b.usable} < requested ${b.size}`);
      const alignment = alignmentOf(b.addr);
      if (b.addr % alignment !== 0) problems.push(`0x${b.addr.toString(16)} is not ${alignment}-aligned`);
      const n = blocks[i + 1];
      if (n && b.addr + Math.max(b.usable, 1) > n.addr) problems.push(`0x${b.addr.toString(16)}+${b.usable} overlaps 0x${n.addr.toString(16)}`);
    }
    return problems;
  }

  /** Distinct pages that hold live bytes (what the touch policy made resident at least). */
  livePages(): number {
    const pages = new Set<number>();
    const ps = this.space.pageSize;
    for (const b of this.live.values()) {
      if (b.size === 0) continue;
      for (let p = Math.floor(b.addr / ps); p <= Math.floor((b.addr + b.size - 1) / ps); p++) pages.add(p);
    }
    return pages.size;
  }
}

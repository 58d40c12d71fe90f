// Emits trace events for a simulated program: hands out short integer ids
// (reusing freed ones, so ids stay small and the CSV stays compact), keeps the
// program clock, and tracks what is live so generators can place marks by
// live bytes. Each method is a one-event generator used with `yield*`, so a
// generator reads like the program it models: `const s = yield* b.malloc(5037)`.
import type { DomainName, TraceEvent } from '../types.ts';

/**
 * Rough costs of allocator calls as a CPython program sees them, in ns.
 * Small-object operations take ~100-300 ns with interpreter overhead;
 * writing fresh memory (page faults included) runs at ~4 GB/s; a realloc
 * that moves copies the old bytes at ~8 GB/s.
 */
export const COST = {
  mallocNs: 110,
  freeNs: 60,
  reallocNs: 150,
  /** ns per byte written into a new block. */
  writeNsPerByte: 0.25,
  /** ns per byte copied by a realloc. */
  copyNsPerByte: 0.125,
} as const;

const NOT_LIVE = -1;

export class TraceBuilder {
  private clockNs = 0;
  private nextFreshId = 1;
  /** Freed ids, reused last-in first-out. */
  private readonly freeIds: number[] = [];
  /** Requested size per id, NOT_LIVE when the id is free. */
  private sizes = new Float64Array(1024).fill(NOT_LIVE);
  private domains = new Uint8Array(1024);
  private live = 0;
  private liveCount = 0;
  private emitted = 0;

  /** The program clock in ns. */
  get nowNs(): number {
    return this.clockNs;
  }

  /** Requested bytes of every live block. */
  get liveBytes(): number {
    return this.live;
  }

  get liveBlocks(): number {
    return this.liveCount;
  }

  /** Events emitted so far. */
  get eventCount(): number {
    return this.emitted;
  }

  /** Time the program spends without allocating (interpreting, I/O, waiting). */
  idle(ns: number): void {
    if (!(ns >= 0)) throw new Error(`idle time must be >= 0, not ${ns}`);
    this.clockNs += Math.round(ns);
  }

  /** Requested size of a live id. */
  sizeOf(id: number): number {
    const size = this.sizes[id];
    if (size === undefined || size === NOT_LIVE) throw new Error(`id ${id} is not live`);
    return size;
  }

  isLive(id: number): boolean {
    const size = this.sizes[id];
    return size !== undefined && size !== NOT_LIVE;
  }

  /** Allocate `size` bytes; `written` bytes of it are filled right away (default: all). */
  *malloc(size: number, domain: DomainName = 'obj', written: number = size): Generator<TraceEvent, number, unknown> {
    checkSize(size);
    const id = this.freeIds.length > 0 ? this.freeIds.pop()! : this.nextFreshId++;
    this.ensureCapacity(id);
    this.sizes[id] = size;
    this.domains[id] = domain === 'raw' ? 1 : 0;
    this.live += size;
    this.liveCount++;
    this.clockNs += Math.round(COST.mallocNs + written * COST.writeNsPerByte);
    yield this.event('malloc', id, size, domain);
    return id;
  }

  /** Resize a live block; the id stays the same (the model decides whether it moves). */
  *realloc(id: number, size: number): Generator<TraceEvent, number, unknown> {
    checkSize(size);
    const old = this.sizeOf(id);
    this.sizes[id] = size;
    this.live += size - old;
    this.clockNs += Math.round(COST.reallocNs + Math.min(old, size) * COST.copyNsPerByte);
    yield this.event('realloc', id, size, this.domainOf(id));
    return id;
  }

  *free(id: number): Generator<TraceEvent, void, unknown> {
    const old = this.sizeOf(id);
    const domain = this.domainOf(id);
    this.sizes[id] = NOT_LIVE;
    this.live -= old;
    this.liveCount--;
    this.freeIds.push(id);
    this.clockNs += COST.freeNs;
    yield this.event('free', id, 0, domain);
  }

  /** A named point in the program where reports show RSS. */
  *mark(label: string): Generator<TraceEvent, void, unknown> {
    this.emitted++;
    yield { op: 'mark', id: null, size: 0, align: 0, thread: 0, timeNs: this.clockNs, domain: 'obj', label, line: 0 };
  }

  private domainOf(id: number): DomainName {
    return this.domains[id] === 1 ? 'raw' : 'obj';
  }

  private event(op: 'malloc' | 'realloc' | 'free', id: number, size: number, domain: DomainName): TraceEvent {
    this.emitted++;
    return { op, id: String(id), size, align: 0, thread: 0, timeNs: this.clockNs, domain, label: null, line: 0 };
  }

  private ensureCapacity(id: number): void {
    if (id < this.sizes.length) return;
    let n = this.sizes.length;
    while (n <= id) n *= 2;
    const sizes = new Float64Array(n).fill(NOT_LIVE);
    sizes.set(this.sizes);
    this.sizes = sizes;
    const domains = new Uint8Array(n);
    domains.set(this.domains);
    this.domains = domains;
  }
}

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`allocation size must be a non-negative integer, not ${size}`);
}

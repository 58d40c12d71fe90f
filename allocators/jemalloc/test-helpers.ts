// Shared by the jemalloc tests: a model on a fresh address space, a request
// object, and a client that writes what it allocates (as the replayer's
// `full` touch policy does).
import { AddressSpace } from '../address-space.ts';
import type { AllocRequest, ParamValues } from '../types.ts';
import { buildConfig, JEMALLOC_PRESETS } from './config.ts';
import { JemallocModel } from './model.ts';

export const MiB = 1024 * 1024;

export function makeModel(preset = '5.3', params: ParamValues = {}): { space: AddressSpace; m: JemallocModel; req: AllocRequest } {
  const space = new AddressSpace();
  const p = JEMALLOC_PRESETS.find((x) => x.name === preset)!;
  const m = new JemallocModel(space, buildConfig(preset, { ...p.params, ...params }));
  return { space, m, req: { id: 0, event: 0, thread: 0, domain: 0, nowNs: 0 } };
}

/** malloc and write the block. */
export function alloc(t: ReturnType<typeof makeModel>, size: number, nowNs = t.req.nowNs): number {
  t.req.nowNs = nowNs;
  const a = t.m.malloc(size, t.req);
  if (a === 0) throw new Error('allocation failed');
  t.space.touch(a, size);
  return a;
}

export function release(t: ReturnType<typeof makeModel>, addr: number, nowNs = t.req.nowNs): void {
  t.req.nowNs = nowNs;
  t.m.free(addr, t.req);
}

/**
 * Allocator activity over trace time: every `stepNs` one malloc+free of 64 KiB
 * (above tcache_max, so both reach the arena and tick the decay ticker twice).
 */
export function activity(t: ReturnType<typeof makeModel>, fromNs: number, toNs: number, stepNs = 100_000): void {
  for (let now = fromNs; now <= toNs; now += stepNs) {
    const a = alloc(t, 65536, now);
    release(t, a, now);
  }
  t.m.advanceTime(toNs);
}

import { describe, expect, it } from 'vitest';
import { COST, TraceBuilder } from './trace-builder.ts';
import type { TraceEvent } from '../types.ts';

function drain<T>(gen: Generator<TraceEvent, T, unknown>, into: TraceEvent[]): T {
  let step = gen.next();
  while (!step.done) {
    into.push(step.value);
    step = gen.next();
  }
  return step.value;
}

describe('TraceBuilder', () => {
  it('hands out 1, 2, 3 ... and reuses the most recently freed id first', () => {
    const b = new TraceBuilder();
    const out: TraceEvent[] = [];
    const ids = [drain(b.malloc(10), out), drain(b.malloc(20), out), drain(b.malloc(30), out)];
    expect(ids).toEqual([1, 2, 3]);
    drain(b.free(1), out);
    drain(b.free(3), out);
    expect(drain(b.malloc(5), out)).toBe(3);
    expect(drain(b.malloc(5), out)).toBe(1);
    expect(drain(b.malloc(5), out)).toBe(4);
    expect(out.map((e) => `${e.op} ${e.id}`)).toEqual(['malloc 1', 'malloc 2', 'malloc 3', 'free 1', 'free 3', 'malloc 3', 'malloc 1', 'malloc 4']);
  });

  it('tracks live bytes through malloc, realloc and free, and keeps the domain on later events', () => {
    const b = new TraceBuilder();
    const out: TraceEvent[] = [];
    const id = drain(b.malloc(100, 'raw'), out);
    drain(b.realloc(id, 300), out);
    expect(b.liveBytes).toBe(300);
    drain(b.free(id), out);
    expect(b.liveBytes).toBe(0);
    expect(out.map((e) => e.domain)).toEqual(['raw', 'raw', 'raw']);
    expect(() => drain(b.free(id), out)).toThrow(/not live/);
  });

  it('advances the clock by the cost of each call and by idle time', () => {
    const b = new TraceBuilder();
    const out: TraceEvent[] = [];
    // A 4000-byte malloc writes its bytes: 110 + 4000 × 0.25 = 1110 ns.
    drain(b.malloc(4000), out);
    expect(out[0]!.timeNs).toBe(COST.mallocNs + 1000);
    b.idle(890);
    drain(b.mark('here'), out);
    expect(out[1]).toMatchObject({ op: 'mark', label: 'here', timeNs: 2000, id: null });
    // A realloc to 8000 copies the old 4000 bytes: 150 + 500 ns.
    drain(b.realloc(1, 8000), out);
    expect(out[2]!.timeNs).toBe(2000 + COST.reallocNs + 500);
    expect(b.eventCount).toBe(3);
  });

  it('rejects sizes that are not non-negative integers', () => {
    const b = new TraceBuilder();
    expect(() => drain(b.malloc(-1), [])).toThrow(/size/);
    expect(() => drain(b.malloc(1.5), [])).toThrow(/size/);
  });
});

import { describe, expect, it } from 'vitest';
import { IntMap } from './int-map.ts';
import { prng } from './test-support.ts';

describe('IntMap', () => {
  it('agrees with a Map under heavy churn, including keys beyond 32 bits and negative keys', () => {
    const m = new IntMap(4);
    const ref = new Map<number, number>();
    const rand = prng(3);
    const pool = [0, -1, 2 ** 33 + 5, -(2 ** 40), 2 ** 31, 2 ** 32];
    for (let i = 0; i < 5000; i++) pool.push(Math.floor(rand() * 3000) * 316);
    for (let i = 0; i < 100000; i++) {
      const k = pool[Math.floor(rand() * pool.length)]!;
      const r = rand();
      if (r < 0.5) {
        m.set(k, i);
        ref.set(k, i);
      } else if (r < 0.8) {
        m.delete(k);
        ref.delete(k);
      } else {
        expect(m.get(k)).toBe(ref.get(k) ?? -1);
      }
    }
    expect(m.size).toBe(ref.size);
    for (const k of pool) expect(m.get(k)).toBe(ref.get(k) ?? -1);
  });
});

describe('IntMap deletion', () => {
  it('keeps every key findable when deletions shift runs that wrap past the end of the table', () => {
    // Keys of one 64-key run land in one run of slots; 40 runs' worth of keys
    // in a 128-slot table (it grows at half full) force long probe runs that
    // wrap around, and deleting from their middle must move the rest back.
    const m = new IntMap(4);
    const keys: number[] = [];
    for (let run = 0; run < 40; run++) for (let k = 0; k < 3; k++) keys.push(run * 64 + k);
    keys.forEach((k, i) => m.set(k, i));
    for (let i = 0; i < keys.length; i += 3) m.delete(keys[i]!);
    keys.forEach((k, i) => expect(m.get(k)).toBe(i % 3 === 0 ? -1 : i));
    expect(m.size).toBe(80);
    m.delete(123456); // absent: nothing changes
    expect(m.size).toBe(80);
  });
});

import { describe, expect, it } from 'vitest';
import { Prng } from './prng.ts';

describe('Prng (xoshiro128**)', () => {
  it('matches the reference algorithm from the state (1, 2, 3, 4)', () => {
    // Vectors from an independent Python transcription of xoshiro128**:
    // result = rotl(s1 * 5, 7) * 9; the first is rotl(10, 7) * 9 = 1280 * 9 = 11520.
    const prng = Prng.fromState(1, 2, 3, 4);
    expect([prng.nextU32(), prng.nextU32(), prng.nextU32(), prng.nextU32()]).toEqual([11520, 0, 5927040, 70819200]);
  });

  it('repeats for the same seed and differs for another', () => {
    const draw = (seed: number) => {
      const p = new Prng(seed);
      return Array.from({ length: 8 }, () => p.nextU32());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(0)).not.toEqual(draw(2 ** 32)); // high bits of large seeds count
  });

  it('keeps int, octaveInt and next inside their ranges and reaches both ends', () => {
    const p = new Prng(3);
    const ints = new Set<number>();
    let octaveMin = Infinity;
    let octaveMax = -Infinity;
    let floatMin = Infinity;
    let floatMax = -Infinity;
    for (let i = 0; i < 20000; i++) {
      ints.add(p.int(5, 9));
      const o = p.octaveInt(1024, 16 * 1024);
      octaveMin = Math.min(octaveMin, o);
      octaveMax = Math.max(octaveMax, o);
      const f = p.next();
      floatMin = Math.min(floatMin, f);
      floatMax = Math.max(floatMax, f);
    }
    expect([...ints].sort()).toEqual([5, 6, 7, 8, 9]);
    expect(octaveMin).toBeGreaterThanOrEqual(1024);
    expect(octaveMax).toBeLessThanOrEqual(16 * 1024);
    expect(octaveMax).toBeGreaterThan(15 * 1024);
    expect(floatMin).toBeGreaterThanOrEqual(0);
    expect(floatMax).toBeLessThan(1);
  });

  it('spreads octaveInt evenly over octaves (each of 4 octaves gets about a quarter)', () => {
    const p = new Prng(11);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40000; i++) {
      const v = p.octaveInt(8, 127); // octaves 8-15, 16-31, 32-63, 64-127
      counts[Math.floor(Math.log2(v)) - 3]!++;
    }
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(600);
  });

  it('weighted picks in proportion to the weights', () => {
    const p = new Prng(5);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30000; i++) counts[p.weighted([1, 2, 3])]!++;
    expect(Math.abs(counts[0]! - 5000)).toBeLessThan(400);
    expect(Math.abs(counts[2]! - 15000)).toBeLessThan(500);
  });

  it('rejects a negative or fractional seed', () => {
    expect(() => new Prng(-1)).toThrow(/seed/);
    expect(() => new Prng(1.5)).toThrow(/seed/);
  });
});

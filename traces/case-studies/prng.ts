// A small seeded PRNG for the case-study generators. Traces must be
// byte-identical for the same seed on every machine, so everything here is
// integer arithmetic (Math.imul, >>> 0): no Math.random, and no
// transcendental functions (Math.log/exp/pow) whose last bits may differ
// between engines.

const TWO_POW_32 = 4294967296;

/** splitmix32: spreads a small user seed (0, 1, 2 ...) over the whole state. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) >>> 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** xoshiro128** (Blackman & Vigna): 128-bit state, fast, good equidistribution. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer, not ${seed}`);
    // Fold the high bits in too, so seeds above 2^32 do not collide with small ones.
    const st = { s: (seed >>> 0) ^ Math.floor(seed / TWO_POW_32) };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1;
  }

  /** A generator with an exact 128-bit state (reference vectors in tests). */
  static fromState(a: number, b: number, c: number, d: number): Prng {
    const prng = new Prng(0);
    prng.a = a >>> 0;
    prng.b = b >>> 0;
    prng.c = c >>> 0;
    prng.d = d >>> 0;
    return prng;
  }

  /** Next 32 random bits as an unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1), 53 bits. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    if (hi < lo) throw new Error(`empty range [${lo}, ${hi}]`);
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /**
   * An integer spread evenly over octaves between lo and hi: first a power of
   * two, then a uniform value inside it. This gives the long-tailed, roughly
   * log-uniform sizes real programs show, with integer arithmetic only.
   */
  octaveInt(lo: number, hi: number): number {
    if (hi < lo || lo < 1) throw new Error(`octaveInt needs 1 <= lo <= hi, not [${lo}, ${hi}]`);
    // An octave counts only if it starts below hi, so that a range such as
    // [16 KiB, 128 KiB] is three octaves, not three and a single point.
    let octaves = 1;
    while (lo * 2 ** octaves < hi) octaves++;
    const from = lo * 2 ** this.int(0, octaves - 1);
    return this.int(from, Math.min(hi, from * 2 - 1));
  }

  /** Index into `weights` chosen with probability proportional to its weight. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

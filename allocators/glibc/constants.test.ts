import { describe, expect, it } from 'vitest';
import { binIndex, csize2tidx, fastbinIndex, largebinIndex, maxFastFor, request2size } from './constants.ts';

describe('glibc size arithmetic', () => {
  it('request2size pads by SIZE_SZ, aligns to 16 and never goes below MINSIZE', () => {
    // n + 8 < 32 → 32; otherwise (n + 8 + 15) & ~15.
    expect(request2size(0)).toBe(32);
    expect(request2size(1)).toBe(32);
    expect(request2size(23)).toBe(32); // 31 < 32
    expect(request2size(24)).toBe(32); // (24+23)&~15 = 47&~15 = 32
    expect(request2size(25)).toBe(48); // 48&~15 = 48
    expect(request2size(40)).toBe(48); // 63&~15 = 48
    expect(request2size(120)).toBe(128); // largest fastbin request
    expect(request2size(121)).toBe(144);
    expect(request2size(1032)).toBe(1040); // largest tcache request
    expect(request2size(5037)).toBe(5056); // 5060&~15
    expect(request2size(200000)).toBe(200016);
    expect(request2size(2 ** 40)).toBe(2 ** 40 + 16); // no 32-bit truncation
    // Either side of 2^31, where the rounding switches from a mask to a remainder.
    expect(request2size(2147483624)).toBe(2147483632); // padded 2^31 − 1 → rounded down to a multiple of 16
    expect(request2size(2147483625)).toBe(2147483648); // padded 2^31 exactly
    expect(request2size(2147483641)).toBe(2147483664); // padded 2^31 + 16
  });

  it('bins: small bins by 16, large bins by the 64/512/4096/... ladder', () => {
    expect(binIndex(32)).toBe(2);
    expect(binIndex(1008)).toBe(63);
    expect(binIndex(1024)).toBe(64); // 48 + 1024/64
    expect(largebinIndex(3072)).toBe(96); // 3072>>6 = 48 ≤ 48 → 48 + 48
    expect(largebinIndex(3136)).toBe(97); // 3136>>6 = 49 > 48 → 91 + (3136>>9 = 6) = 97
    expect(largebinIndex(4096)).toBe(99); // 91 + 8
    expect(largebinIndex(2 ** 30)).toBe(126);
  });

  it('fastbin and tcache indexes', () => {
    expect(fastbinIndex(32)).toBe(0);
    expect(fastbinIndex(128)).toBe(6);
    expect(csize2tidx(32)).toBe(0); // (32-32+15)/16
    expect(csize2tidx(48)).toBe(1);
    expect(csize2tidx(1040)).toBe(63);
    expect(csize2tidx(1056)).toBe(64); // beyond the 64 bins
    expect(csize2tidx(2 ** 31 + 16)).toBe(134217727); // floor((2^31 − 1) / 16)
    expect(csize2tidx(2 ** 31 + 32)).toBe(134217728); // floor((2^31 + 15) / 16)
    expect(csize2tidx(2 ** 40)).toBe(2 ** 36 - 2); // floor((2^40 − 17) / 16) = floor(2^36 − 1.0625)
  });

  it('mxfast maps to global_max_fast as set_max_fast does', () => {
    expect(maxFastFor(128)).toBe(128); // (128+8)&~15
    expect(maxFastFor(160)).toBe(160); // (168)&~15
    expect(maxFastFor(0)).toBe(16); // MIN_CHUNK_SIZE/2: no chunk is that small, fastbins off
    expect(maxFastFor(100)).toBe(96); // (108)&~15
  });
});

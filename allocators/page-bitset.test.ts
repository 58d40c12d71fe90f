import { describe, expect, it } from 'vitest';
import { PageBitset } from './page-bitset.ts';

describe('PageBitset', () => {
  it('counts newly set pages across word boundaries', () => {
    const b = new PageBitset(10);
    // 30..70 spans three 32-bit words: 2 + 32 + 6 = 40 pages.
    expect(b.setRange(30, 70)).toBe(40);
    expect(b.setRange(60, 80)).toBe(10); // 70..79 are new
    expect(b.countRange(0, 200)).toBe(50);
    expect(b.clearRange(31, 33)).toBe(2);
    expect(b.get(30)).toBe(true);
    expect(b.get(31)).toBe(false);
    expect(b.countRange(0, 200)).toBe(48);
  });

  it('grows and keeps bits', () => {
    const b = new PageBitset(1);
    b.setRange(0, 1);
    b.setRange(1000, 1001);
    expect(b.capacity).toBeGreaterThanOrEqual(1001);
    expect(b.get(0)).toBe(true);
    expect(b.countRange(0, 2000)).toBe(2);
  });

  it('slices and copies', () => {
    const b = new PageBitset(64);
    b.setRange(5, 9);
    const s = b.slice(4, 10);
    expect(s.countRange(0, 6)).toBe(4);
    expect(s.get(0)).toBe(false);
    expect(s.get(1)).toBe(true);
    const c = new PageBitset(1);
    c.copyFrom(s, 6, 100);
    expect(c.countRange(100, 106)).toBe(4);
    expect(c.get(101)).toBe(true);
  });
});

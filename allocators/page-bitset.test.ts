import { describe, expect, it } from 'vitest';
import { PageBitset } from './page-bitset.ts';
import { mulberry32 } from './prng.ts';

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

  it('slices and copies a word at a time exactly as page by page', () => {
    const rand = mulberry32(5);
    for (let round = 0; round < 200; round++) {
      const pages = 1 + Math.floor(rand() * 300);
      const b = new PageBitset(pages);
      const set = new Set<number>();
      for (let k = 0; k < pages / 3; k++) {
        const p = Math.floor(rand() * pages);
        b.setRange(p, p + 1);
        set.add(p);
      }
      // Slices may run past the capacity: those pages read as clear.
      const from = Math.floor(rand() * pages);
      const to = from + Math.floor(rand() * (pages + 40 - from));
      const s = b.slice(from, to);
      for (let p = 0; p < s.capacity; p++) expect(s.get(p), `slice ${from}..${to} page ${p}`).toBe(p < to - from && set.has(from + p));
      // Copies OR into what the target holds, at any offset.
      const target = new PageBitset(8);
      const held = new Set<number>();
      for (let k = 0; k < 5; k++) {
        const p = Math.floor(rand() * 100);
        target.setRange(p, p + 1);
        held.add(p);
      }
      const count = Math.floor(rand() * pages);
      const at = Math.floor(rand() * 70);
      target.copyFrom(b, count, at);
      for (let p = 0; p < count; p++) if (set.has(p)) held.add(at + p);
      for (let p = 0; p < target.capacity; p++) expect(target.get(p), `copy of ${count} at ${at}, page ${p}`).toBe(held.has(p));
    }
  });

  it('sets, clears and counts ranges within a word and across words exactly as a page set does', () => {
    const rand = mulberry32(11);
    const b = new PageBitset(64);
    const set = new Set<number>();
    for (let step = 0; step < 3000; step++) {
      const from = Math.floor(rand() * 200);
      // Mostly short ranges (inside one word or across one boundary), some long ones, some empty.
      const to = from + Math.floor(rand() * (rand() < 0.8 ? 5 : 90));
      let expected = 0;
      if (rand() < 0.7) {
        for (let p = from; p < to; p++) if (!set.has(p)) (set.add(p), expected++);
        expect(b.setRange(from, to), `set ${from}..${to}`).toBe(expected);
      } else {
        for (let p = from; p < to; p++) if (set.delete(p)) expected++;
        expect(b.clearRange(from, to), `clear ${from}..${to}`).toBe(expected);
      }
      expect(b.countRange(0, 400)).toBe(set.size);
    }
  });
});

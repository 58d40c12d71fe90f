// The page table must agree, page by page, with the plainest reference: a map
// of page number → mapped / resident, through random maps, unmaps, writes,
// madvises and copies, on ranges that cross 32-page groups and the 4 GiB
// boundary between leaves.
import { describe, expect, it } from 'vitest';
import { PageTable } from './page-table.ts';
import { mulberry32 } from './prng.ts';

const PAGE = 4096;
/** Pages per leaf with 4 KiB pages: a leaf spans 2^32 bytes. */
const LEAF_PAGES = 2 ** 20;

class Reference {
  /** page → true when resident, false when mapped only. */
  readonly pages = new Map<number, boolean>();
  map(p: number, n: number): void {
    for (let k = p; k < p + n; k++) this.pages.set(k, false);
  }
  unmap(p: number, n: number): number {
    let r = 0;
    for (let k = p; k < p + n; k++) {
      if (this.pages.get(k) === true) r++;
      this.pages.delete(k);
    }
    return r;
  }
  /** null when a page is unmapped (the table must throw). */
  set(p: number, n: number): number | null {
    for (let k = p; k < p + n; k++) if (!this.pages.has(k)) return null;
    let fresh = 0;
    for (let k = p; k < p + n; k++) {
      if (this.pages.get(k) === false) fresh++;
      this.pages.set(k, true);
    }
    return fresh;
  }
  clear(p: number, n: number): number | null {
    for (let k = p; k < p + n; k++) if (!this.pages.has(k)) return null;
    let gone = 0;
    for (let k = p; k < p + n; k++) {
      if (this.pages.get(k) === true) gone++;
      this.pages.set(k, false);
    }
    return gone;
  }
  count(p: number, n: number): number {
    let c = 0;
    for (let k = p; k < p + n; k++) if (this.pages.get(k) === true) c++;
    return c;
  }
}

describe('PageTable', () => {
  it('writes one page by a bit, a few by one mask, and refuses unmapped pages', () => {
    const t = new PageTable(PAGE);
    const base = 0x7f0000000000 / PAGE;
    t.map(base, 40);
    expect(t.setResident(base * PAGE + 5, 1)).toBe(1);
    expect(t.setResident(base * PAGE + 100, 8)).toBe(0); // same page
    // Bytes 3·PAGE−1 .. 6·PAGE: pages 2..6 (page 2 by its last byte), all new.
    expect(t.setResident(base * PAGE + 3 * PAGE - 1, 3 * PAGE + 2)).toBe(5);
    // Pages 30..33 cross a 32-page group.
    expect(t.setResident((base + 30) * PAGE, 4 * PAGE)).toBe(4);
    expect(t.countResident(base, 40)).toBe(10);
    expect(() => t.setResident((base + 39) * PAGE, 2 * PAGE)).toThrow('access to unmapped address 0x7f0000028000');
    expect(() => t.setResident(0x1000, 1)).toThrow('access to unmapped address 0x1000');
    expect(() => t.clearResident(base + 38, 4)).toThrow('access to unmapped address');
    expect(t.unmap(base, 40)).toBe(10);
    expect(() => t.setResident(base * PAGE, 1)).toThrow('access to unmapped address');
  });

  it('moves residency between ranges and snapshots it as a bitset', () => {
    const t = new PageTable(PAGE);
    const from = 0x555555a00000 / PAGE;
    const to = 0x7ffff0000000 / PAGE + 3; // another leaf, another bit offset
    t.map(from, 70);
    t.map(to, 100);
    for (const p of [0, 1, 31, 32, 33, 64, 69]) t.setResident((from + p) * PAGE, 1);
    t.copyResident(from, to, 70);
    expect(t.countResident(to, 100)).toBe(7);
    const snap = t.snapshot(to, 100);
    expect([0, 1, 2, 31, 32, 33, 34, 64, 69, 70].map((p) => snap.get(p))).toEqual([true, true, false, true, true, true, false, true, true, false]);
    expect(snap.countRange(0, 100)).toBe(7);
  });

  it('keeps counting right while writes hop among more leaves than its cache holds, some sharing a slot', () => {
    const t = new PageTable(PAGE);
    // Leaves 3, 67, 131 and 195 share cache slot 3 (64 slots); 4..66 fill the others: 67 leaves.
    const keys = [3, 67, 131, 195, ...Array.from({ length: 63 }, (_, k) => 4 + k)];
    for (const k of keys) t.map(k * LEAF_PAGES + 7, 2);
    let fresh = 0;
    for (let round = 0; round < 3; round++) {
      for (const k of keys) {
        // Round 0 writes page 7 (new), round 1 page 7 again (nothing), round 2 both pages (page 8 new).
        fresh += t.setResident((k * LEAF_PAGES + 7) * PAGE + 100, round === 2 ? PAGE : 8);
      }
    }
    expect(fresh).toBe(2 * keys.length);
    for (const k of keys) expect(t.countResident(k * LEAF_PAGES, LEAF_PAGES)).toBe(2);
    expect(() => t.setResident((67 * LEAF_PAGES + 9) * PAGE, 1)).toThrow('access to unmapped address');
  });

  it('agrees with a per-page reference through random operations across leaves', () => {
    const rand = mulberry32(7);
    const t = new PageTable(PAGE);
    const ref = new Reference();
    // A window of 3000 pages around the boundary between two leaves.
    const lo = 5 * LEAF_PAGES - 1500;
    const pick = (max: number): number => Math.floor(rand() * max);
    for (let step = 0; step < 4000; step++) {
      const p = lo + pick(3000);
      const n = 1 + (rand() < 0.7 ? pick(4) : pick(200));
      const what = pick(6);
      if (what === 0) {
        ref.map(p, n);
        t.map(p, n);
      } else if (what === 1) {
        expect(t.unmap(p, n)).toBe(ref.unmap(p, n));
      } else if (what === 2 || what === 3) {
        // A write of `len` bytes from an unaligned address inside page p.
        const off = pick(PAGE);
        const len = Math.max(1, n * PAGE - off - pick(64));
        const first = p;
        const last = Math.floor((p * PAGE + off + len - 1) / PAGE);
        const want = ref.set(first, last - first + 1);
        if (want === null) expect(() => t.setResident(p * PAGE + off, len)).toThrow('access to unmapped address');
        else expect(t.setResident(p * PAGE + off, len)).toBe(want);
      } else if (what === 4) {
        const want = ref.clear(p, n);
        if (want === null) expect(() => t.clearResident(p, n)).toThrow('access to unmapped address');
        else expect(t.clearResident(p, n)).toBe(want);
      } else {
        expect(t.countResident(p, n)).toBe(ref.count(p, n));
      }
    }
    expect(t.countResident(lo, 3000)).toBe(ref.count(lo, 3000));
  });
});

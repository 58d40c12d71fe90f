import { describe, expect, it } from 'vitest';
import { KnownResident } from './known-resident.ts';
import { PAGE, Program } from './test-support.ts';

const BASE = 0x555555a00000;

describe('glibc known-resident pages', () => {
  it('knows a range only when it lies in one page that was noted and not forgotten since', () => {
    const k = new KnownResident(BASE, 1 / PAGE);
    expect(k.has(BASE + 16, 8)).toBe(false);
    k.note(BASE + 16, 8);
    expect(k.has(BASE, PAGE)).toBe(true); // the whole of page 0
    expect(k.has(BASE + PAGE - 8, 16)).toBe(false); // runs into page 1, never noted
    expect(k.has(BASE - 8, 8)).toBe(false); // below the heap
    // A write across pages 1..3 notes all three.
    k.note(BASE + PAGE + 100, 2 * PAGE);
    expect([1, 2, 3].map((p) => k.has(BASE + p * PAGE, 8))).toEqual([true, true, true]);
    expect(k.has(BASE + 4 * PAGE, 8)).toBe(false);
    // Forgetting [page 2, page 3) leaves pages 0, 1 and 3.
    k.forget(BASE + 2 * PAGE, PAGE);
    expect([0, 1, 2, 3].map((p) => k.has(BASE + p * PAGE, 8))).toEqual([true, true, false, true]);
  });

  it('grows to far pages and forgets whole words as well as single bits', () => {
    const k = new KnownResident(BASE, 1 / PAGE);
    const far = 100000; // beyond the initial 2048 pages
    for (let p = far - 40; p < far + 40; p++) k.note(BASE + p * PAGE, 8);
    expect(k.has(BASE + far * PAGE, 8)).toBe(true);
    // Pages far−35 .. far+34: a partial word, a whole word, partial words again.
    k.forget(BASE + (far - 35) * PAGE, 70 * PAGE);
    const known = (p: number) => k.has(BASE + p * PAGE, 8);
    expect([far - 40, far - 36, far - 35, far, far + 34, far + 35, far + 39].map(known)).toEqual([true, true, false, false, false, true, true]);
    // A write of more than 64 pages is not remembered (it is still touched by the arena).
    k.note(BASE + 10 * PAGE, 65 * PAGE);
    expect(k.has(BASE + 10 * PAGE, 8)).toBe(false);
  });
});

describe('glibc writes after pages leave RSS', () => {
  it('touches a header again in a page systrim gave back once the heap regrows over it', () => {
    const p = new Program('2.35', { trim_threshold: 64 * PAGE });
    const blocks = Array.from({ length: 200 }, () => p.malloc(2000)); // ~400 KiB of heap, all written
    const brk0 = p.space.brk;
    for (let i = blocks.length - 1; i >= 0; i--) p.free(blocks[i]!);
    expect(p.space.brk).toBeLessThan(brk0); // systrim shrank the heap
    // Grow again without writing the user bytes: only the model's header writes make pages resident.
    const before = p.space.residentPages;
    const again: number[] = [];
    for (let i = 0; i < 200; i++) again.push(p.m.malloc(2000, { id: 0, event: 0, thread: 0, domain: 0, nowNs: 0 }));
    // Each 2016-byte chunk's size word lands in the pages above the old break: every page the
    // regrown heap spans below the last chunk holds a header, so each must be resident again.
    const last = again[again.length - 1]!;
    for (let a = p.space.heapStart; a < last; a += PAGE) expect(p.space.isResident(a)).toBe(true);
    expect(p.space.residentPages).toBeGreaterThan(before);
  });

  it('touches a free chunk header again after malloc_trim madvised its page away', () => {
    const p = new Program();
    const REQ = { id: 0, event: 0, thread: 0, domain: 0, nowNs: 0 };
    // 64 chunks of 2 KiB: the model writes a header into every page they span.
    const small = Array.from({ length: 64 }, () => p.malloc(2000));
    const guard = p.malloc(100); // keeps them off top
    for (const q of small) p.free(q); // they coalesce into one free chunk of ~126 KiB
    p.m.trim(); // madvise drops its inner pages
    const inner = Math.ceil((small[0]! + 48) / PAGE) * PAGE;
    expect(p.space.isResident(inner + PAGE)).toBe(false);
    // Carving it again writes headers into those pages: they must be resident again.
    const again = Array.from({ length: 20 }, () => p.m.malloc(2000, REQ));
    expect(again[0]).toBe(small[0]);
    for (const q of again) expect(p.space.isResident(q - 8)).toBe(true);
    expect(guard).toBeGreaterThan(small[63]!);
  });
});

import { describe, expect, it } from 'vitest';
import { Bins } from './bins.ts';
import { ChunkState, ChunkStore, NIL } from './chunk-store.ts';

const ORIGIN = 0x555555a00000;

/** The bin's chunks from first (most recent) to last, checking that the back links agree. */
function listOf(b: Bins, s: ChunkStore, bin: number): number[] {
  const out: number[] = [];
  let prev = NIL;
  for (let r = b.first[bin]!; r !== NIL; r = s.fdOf(r)) {
    expect(s.bkOf(r)).toBe(prev);
    out.push(r);
    prev = r;
  }
  expect(b.last[bin]).toBe(prev);
  return out;
}

describe('glibc bins: the fused list operations', () => {
  it('popLast takes chunks oldest first, as unlink of the last chunk does, and clears the binmap when empty', () => {
    const s = new ChunkStore(ORIGIN, 4);
    const b = new Bins(s);
    const bin = 10;
    const recs = [0, 1, 2].map((i) => s.create(ORIGIN + i * 160, 160, ChunkState.small));
    for (const r of recs) b.pushFront(bin, r);
    expect(listOf(b, s, bin)).toEqual([recs[2], recs[1], recs[0]]);
    expect(b.nextNonEmpty(bin - 1)).toBe(bin);
    expect(b.popLast(bin)).toBe(recs[0]);
    expect([s.fdOf(recs[0]!), s.bkOf(recs[0]!)]).toEqual([NIL, NIL]);
    expect(listOf(b, s, bin)).toEqual([recs[2], recs[1]]);
    expect(b.popLast(bin)).toBe(recs[1]);
    expect(b.popLast(bin)).toBe(recs[2]);
    expect([s.fdOf(recs[2]!), s.bkOf(recs[2]!)]).toEqual([NIL, NIL]);
    expect(listOf(b, s, bin)).toEqual([]);
    expect(b.popLast(bin)).toBe(NIL);
    expect(b.isEmpty(bin)).toBe(true);
    expect(b.nextNonEmpty(bin - 1)).toBe(-1);
  });

  it('replaceOnly leaves the remainder as the only chunk of a bin that held just the split one', () => {
    const s = new ChunkStore(ORIGIN, 4);
    const b = new Bins(s);
    const v = s.create(ORIGIN, 4096, ChunkState.unsorted);
    b.pushFront(1, v);
    const rem = s.create(ORIGIN + 64, 4032, ChunkState.unsorted);
    b.replaceOnly(1, rem);
    expect(listOf(b, s, 1)).toEqual([rem]);
    expect(s.binOf(rem)).toBe(1);
    expect(b.nextNonEmpty(0)).toBe(1);
    // The bin behaves as before: a push goes in front of the remainder.
    const w = s.create(ORIGIN + 8192, 64, ChunkState.unsorted);
    b.pushFront(1, w);
    expect(listOf(b, s, 1)).toEqual([w, rem]);
  });
});

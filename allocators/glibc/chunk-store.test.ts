import { describe, expect, it } from 'vitest';
import { ChunkState, ChunkStore, NIL } from './chunk-store.ts';

const ORIGIN = 0x555555a00000;

/** A store holding chunks of the given sizes laid end to end from `start`, linked and indexed as the arena does. */
function heapOf(sizes: number[], start = ORIGIN): { s: ChunkStore; recs: number[]; addrs: number[] } {
  const s = new ChunkStore(ORIGIN, 4);
  const recs: number[] = [];
  const addrs: number[] = [];
  let addr = start;
  for (const size of sizes) {
    const r = s.create(addr, size, ChunkState.inUse);
    s.place(r, addr);
    s.linkBetween(r, recs.length === 0 ? NIL : recs[recs.length - 1]!, NIL);
    recs.push(r);
    addrs.push(addr);
    addr += size;
  }
  return { s, recs, addrs };
}

describe('glibc chunk store', () => {
  it('keeps sizes exactly, including ones that are no whole number of 16-byte units below 2^31 units', () => {
    const s = new ChunkStore(ORIGIN, 2);
    const a = s.create(ORIGIN, 48, ChunkState.inUse);
    const b = s.create(ORIGIN + 48, 2 ** 40 + 16, ChunkState.inUse); // 2^36 + 1 units: past an Int32
    const c = s.create(ORIGIN + 96, 24, ChunkState.fence); // not a multiple of 16
    expect([s.sizeOf(a), s.sizeOf(b), s.sizeOf(c)]).toEqual([48, 2 ** 40 + 16, 24]);
    s.setSize(b, 2 ** 31 * 16); // 2^31 units: one past the Int32 range
    expect(s.sizeOf(b)).toBe(2 ** 35);
    s.setSize(b, (2 ** 31 - 1) * 16); // the largest size kept in the record itself
    expect(s.sizeOf(b)).toBe((2 ** 31 - 1) * 16);
    // A released record comes back (last in, first out) with only its new size.
    s.release(c);
    const d = s.create(ORIGIN + 200, 64, ChunkState.inUse);
    expect(d).toBe(c);
    expect(s.sizeOf(d)).toBe(64);
    expect(s.fdNextOf(d)).toBe(NIL);
  });

  it('finds every chunk by its address from the anchors, and nothing at other addresses', () => {
    // 300 chunks of 1000 to 1900 bytes: about 4 to 7 per 4 KiB, 35 to 65 per 64 KiB anchor span.
    const sizes = Array.from({ length: 300 }, (_, i) => 1008 + (i % 10) * 96);
    const { s, recs, addrs } = heapOf(sizes);
    for (let i = 0; i < recs.length; i++) {
      expect(s.at(addrs[i]!)).toBe(recs[i]);
      expect(s.at(addrs[i]! + 16)).toBe(NIL);
    }
    expect(s.at(ORIGIN - 16)).toBe(NIL);
    expect(s.at(addrs[299]! + sizes[299]!)).toBe(NIL); // past the last chunk
    expect(s.heapChunkCount).toBe(300);
  });

  it('keeps the anchors exact as chunks merge away, span by span', () => {
    const sizes = Array.from({ length: 300 }, (_, i) => 1008 + (i % 10) * 96);
    const { s, recs, addrs } = heapOf(sizes);
    // Merge every chunk but the first into its predecessor's place, in an
    // order that drops anchors from the front, middle and end of spans.
    const gone = new Set<number>();
    const order = recs.slice(1).sort((x, y) => ((x * 7919) % 300) - ((y * 7919) % 300));
    for (const r of order) {
      s.unplace(r);
      s.unlinkPhys(r);
      s.release(r);
      gone.add(r);
      if (gone.size % 37 === 0 || gone.size === order.length) {
        for (let i = 0; i < recs.length; i++) expect(s.at(addrs[i]!)).toBe(gone.has(recs[i]!) ? NIL : recs[i]);
      }
    }
    expect(s.heapChunkCount).toBe(1);
  });

  it('indexes chunks of a heap segment outside the brk heap on their own', () => {
    const seg = 0x7ffff0000000;
    const s = new ChunkStore(ORIGIN, 4);
    s.addSegment(seg, 1 << 20);
    const r = s.create(seg, 4096, ChunkState.inUse);
    s.place(r, seg);
    const q = s.create(seg + 4096, 64, ChunkState.inUse);
    s.place(q, seg + 4096);
    s.linkBetween(q, r, NIL);
    expect(s.at(seg)).toBe(r);
    expect(s.at(seg + 4096)).toBe(q);
    expect(s.at(ORIGIN)).toBe(NIL);
  });
  it('createLinked and dropLinked keep links and anchors as create/place/linkBetween and unplace/unlinkPhys/release do', () => {
    // The same heap built both ways, then the same chunks dropped both ways, in the brk heap and in a segment.
    for (const seg of [0, 0x7ffff0000000]) {
      const start = seg === 0 ? ORIGIN : seg;
      const sizes = Array.from({ length: 200 }, (_, i) => 1008 + (i % 10) * 96);
      const slow = new ChunkStore(ORIGIN, 4);
      const fast = new ChunkStore(ORIGIN, 4);
      if (seg !== 0) {
        fast.addSegment(seg, 1 << 20);
        slow.addSegment(seg, 1 << 20);
      }
      const recs: number[] = [];
      const fr: number[] = [];
      const addrs: number[] = [];
      let addr = start;
      for (let i = 0; i < sizes.length; i++) {
        const r = slow.create(addr, sizes[i]!, ChunkState.inUse);
        slow.place(r, addr);
        slow.linkBetween(r, i === 0 ? NIL : recs[i - 1]!, NIL);
        recs.push(r);
        fr.push(fast.createLinked(addr, sizes[i]!, ChunkState.inUse, i === 0 ? NIL : fr[i - 1]!));
        addrs.push(addr);
        addr += sizes[i]!;
      }
      expect(fr).toEqual(recs);
      // One more inside chunk 50 (as a split makes): it goes between chunks 50 and 51.
      const mid = fast.createLinked(addrs[50]! + 512, 64, ChunkState.inUse, fr[50]!);
      expect([fast.nextOf(fr[50]!), fast.prevOf(fr[51]!), fast.prevOf(mid), fast.nextOf(mid), fast.at(addrs[50]! + 512)]).toEqual([mid, mid, fr[50], fr[51], mid]);
      fast.dropLinked(mid);
      expect([fast.nextOf(fr[50]!), fast.prevOf(fr[51]!), fast.at(addrs[50]! + 512)]).toEqual([fr[51], fr[50], NIL]);
      const order = recs.slice(1).sort((x, y) => ((x * 7919) % 200) - ((y * 7919) % 200));
      for (const r of order) {
        slow.unplace(r);
        slow.unlinkPhys(r);
        slow.release(r);
        fast.dropLinked(r);
        if (r % 29 === 0) {
          for (let i = 0; i < recs.length; i++) expect(fast.at(addrs[i]!)).toBe(slow.at(addrs[i]!));
        }
      }
      expect(fast.heapChunkCount).toBe(1);
      expect([fast.prevOf(fr[0]!), fast.nextOf(fr[0]!), fast.at(addrs[0]!), fast.at(addrs[100]!)]).toEqual([NIL, NIL, fr[0], NIL]);
      // Released records come back last in, first out, with fresh links.
      const again = fast.createLinked(addrs[1]!, 64, ChunkState.inUse, fr[0]!);
      expect(again).toBe(order[order.length - 1]);
      expect([fast.nextOf(fr[0]!), fast.prevOf(again), fast.nextOf(again), fast.fdOf(again), fast.bkOf(again)]).toEqual([again, fr[0], NIL, NIL, NIL]);
    }
  });
});

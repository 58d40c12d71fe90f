// The chunk store's address-order links stand in for glibc's chunk
// arithmetic (next chunk at p + size, the free chunk before p through its
// footer), and the per-id record hint stands in for nothing at all: both must
// give the same heap as the address lookups they replace.
import { describe, expect, it } from 'vitest';
import type { AllocRequest } from '../types.ts';
import { NIL } from './chunk-store.ts';
import { CHUNK_HDR_SZ } from './constants.ts';
import { Program, prng } from './test-support.ts';

const req = (id: number): AllocRequest => ({ id, event: 0, thread: 0, domain: 0, nowNs: 0 });

describe('glibc address-order links', () => {
  it('link every heap chunk to its neighbours, top last, as the heap check verifies', () => {
    const p = new Program();
    const a = p.malloc(2000);
    const b = p.malloc(3000);
    const c = p.malloc(4000);
    p.free(b); // a binned chunk between two live ones
    const s = p.arena.c;
    const ra = s.at(a - CHUNK_HDR_SZ);
    const rb = s.at(b - CHUNK_HDR_SZ);
    const rc = s.at(c - CHUNK_HDR_SZ);
    expect(s.nextOf(ra)).toBe(rb);
    expect(s.nextOf(rb)).toBe(rc);
    expect(s.prevOf(rc)).toBe(rb);
    expect(s.freeBefore(rc)).toBe(rb); // what c's clear PREV_INUSE bit would say
    expect(s.freeBefore(rb)).toBe(NIL); // a is in use
    expect(p.arena.topPrev).toBe(rc);
    expect(s.nextOf(rc)).toBe(NIL);
    expect(p.m.check()).toEqual([]);
    p.free(c); // merges with b and then with top
    expect(p.arena.topPrev).toBe(ra);
    expect(p.m.check()).toEqual([]);
  });

  it('are caught by the heap check when they disagree with the chunks', () => {
    const p = new Program();
    const a = p.malloc(100);
    p.malloc(100);
    const s = p.arena.c;
    s.setNext(s.at(a - CHUNK_HDR_SZ), NIL);
    expect(p.m.check().join('\n')).toContain('is not linked to it');
  });
});

describe('glibc record hints by trace id', () => {
  it('free the right chunk whatever id the request carries', () => {
    // Random traffic with each block freed under its own id, a wrong id, or
    // an id whose hint another block took since: all three must give the
    // heap the plain address lookups give (the ids all 0, as in Program).
    const hinted = new Program();
    const plain = new Program();
    const rand = prng(11);
    const live: [number, number, number][] = []; // [hinted addr, plain addr, id]
    for (let i = 0; i < 4000; i++) {
      if (live.length > 0 && rand() < 0.45) {
        const [h, q, id] = live.splice(Math.floor(rand() * live.length), 1)[0]!;
        const r = rand();
        const freeId = r < 0.6 ? id : r < 0.8 ? id + 1 : 999_999;
        hinted.m.free(h, req(freeId));
        plain.free(q);
      } else {
        const n = 1 + Math.floor(rand() * (rand() < 0.1 ? 200_000 : 2000));
        const id = Math.floor(rand() * 50); // ids are reused while other blocks hold the hint
        const h = hinted.m.malloc(n, req(id));
        hinted.space.touch(h, n);
        const q = plain.malloc(n);
        expect(h - hinted.hs).toBe(q - plain.hs);
        live.push([h, q, id]);
      }
    }
    expect(hinted.rss).toBe(plain.rss);
    expect(hinted.m.check()).toEqual([]);
  });
});

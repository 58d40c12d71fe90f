// The 2.4 model on the test backing (one mapping per request, header 16 B,
// so a 256 KiB arena pointer is mapping base + 16).
import { describe, expect, it } from 'vitest';
import { NO_POOL } from './pools.ts';
import { build } from './testing/build.ts';

const KiB = 1024;

describe('obmalloc 2.4 arenas and pools', () => {
  it('mallocs the arena before the 16-slot vector and loses a pool to misalignment: 63 pools', () => {
    const { model, backing, driver } = build('obmalloc', '2.4');
    const first = driver.malloc(1, 1);
    const [[arenaSize, arena], [vectorSize]] = backing.requests as [[number, number], [number, number]];
    expect(arenaSize).toBe(256 * KiB);
    expect(vectorSize).toBe(16 * 8); // malloc(16 * sizeof(uptr))
    expect(arena % 4096).toBe(16); // the mapping base + 16
    // first pool at the next 4 KiB boundary; the first block after the 48-byte header
    expect(first).toBe(arena - 16 + 4096 + 48);
    expect(model.arenas.ntotalpools[0]).toBe(63);
  });

  it('carves 63 pools of 15 256-byte blocks from one arena, then asks for the next arena', () => {
    const { model, backing, driver } = build('obmalloc', '2.4');
    const addrs: number[] = [];
    for (let i = 0; i < 63 * 15; i++) addrs.push(driver.malloc(i, 256));
    const arena = backing.requests[0]![1];
    const base = arena - 16;
    // block 14 of pool 63: base + 63*4096 + 48 + 14*256 = base + 261680, ending at base + 261936 ≤ arena + 256 KiB
    expect(addrs[63 * 15 - 1]).toBe(base + 63 * 4096 + 48 + 14 * 256);
    expect(addrs[63 * 15 - 1]! + 256).toBeLessThanOrEqual(arena + 256 * KiB);
    expect(backing.requests.length).toBe(2); // arena + vector
    driver.malloc(10_000, 256);
    expect(backing.requests.length).toBe(3);
    expect(backing.requests[2]![0]).toBe(256 * KiB);
    expect(model.arenas.narenas).toBe(2);
  });

  it('free lists are LIFO and blocks are carved in address order', () => {
    const { driver } = build('obmalloc', '2.4');
    const a = driver.malloc(1, 32);
    const b = driver.malloc(2, 32);
    const c = driver.malloc(3, 32);
    expect([b - a, c - b]).toEqual([32, 32]);
    driver.free(1);
    driver.free(2);
    expect(driver.malloc(4, 30)).toBe(b);
    expect(driver.malloc(5, 30)).toBe(a);
    expect(driver.malloc(6, 30)).toBe(c + 32);
  });

  it('a pool that was full is front-linked when a block of it is freed', () => {
    const { model, driver } = build('obmalloc', '2.4');
    for (let i = 0; i < 15; i++) driver.malloc(i, 256); // pool 0 full
    const inSecond = driver.malloc(100, 256); // pool 1, now the head of usedpools[31]
    expect(model.arenas.poolOf(inSecond)).toBe(1);
    const freed = driver.live.get(7)!.addr;
    driver.free(7);
    expect(model.pools.usedHead[31]).toBe(0);
    expect(driver.malloc(200, 256)).toBe(freed);
  });

  it('empty pools go to one global LIFO; a pool reused for its old class keeps its free list, another class reinitialises it', () => {
    const { model, driver } = build('obmalloc', '2.4');
    const a0 = driver.malloc(1, 8); // pool 0, class 0
    const a1 = driver.malloc(2, 8);
    const b0 = driver.malloc(3, 16); // pool 1, class 1
    driver.free(1);
    driver.free(2); // pool 0 empty: free list a1 → a0 → (pre-carved block 2)
    driver.free(3); // pool 1 empty, pushed after pool 0
    expect(model.globalFreePools()).toEqual([1, 0]);
    // class 1 has no used pool: the head of freepools is pool 1, same class: its list is kept
    expect(driver.malloc(4, 16)).toBe(b0);
    // class 0 next takes pool 0, same class: the most recently freed block comes back first
    expect(driver.malloc(5, 8)).toBe(a1);
    expect(model.globalFreePools()).toEqual([]);
    driver.free(5);
    // pool 0 is empty again; a class-2 request reinitialises it: block 0 at the pool start + 48
    expect(driver.malloc(6, 24)).toBe(a0);
    expect(model.pools.szidx(0)).toBe(2);
  });

  it('RSS never drops, whatever is freed', () => {
    const { space, driver } = build('obmalloc', '2.4');
    for (let i = 0; i < 3000; i++) driver.malloc(i, 8 + (i % 32) * 8);
    const rss = space.residentBytes;
    const mapped = space.mappedBytes;
    for (let i = 0; i < 3000; i++) driver.free(i);
    expect(space.residentBytes).toBe(rss);
    expect(space.mappedBytes).toBe(mapped);
  });

  it('grows the arena vector into a fresh malloc of twice the size and leaks the old one', () => {
    const { model, backing, driver } = build('obmalloc', '2.4');
    // one 256-byte pool per 15 blocks, 63 pools per arena: 16 arenas hold 15120 blocks
    let id = 0;
    for (; id < 16 * 63 * 15; id++) driver.malloc(id, 256);
    expect(model.arenas.narenas).toBe(16);
    const vector = model.arenas.vectorAddr;
    driver.malloc(id, 256); // the 17th arena
    expect(model.arenas.narenas).toBe(17);
    const sizes = backing.requests.map(([s]) => s);
    expect(sizes.filter((s) => s === 256 * KiB).length).toBe(17);
    expect(sizes.filter((s) => s !== 256 * KiB)).toEqual([128, 256]);
    expect(model.arenas.leakedVectors).toEqual([vector]);
    expect(backing.owns(vector)).toBe(true); // leaked, never freed
    expect(backing.liveBlocks).toBe(17 + 2);
  });
});

describe('obmalloc 2.4 requests it does not serve, and realloc', () => {
  it('0 bytes becomes malloc(1); above 256 bytes and the raw domain go to the backing', () => {
    const { model, backing, driver } = build('obmalloc', '2.4');
    const zero = driver.malloc(1, 0);
    expect(backing.requests.at(-1)).toEqual([1, zero]);
    const big = driver.malloc(2, 257);
    expect(backing.requests.at(-1)).toEqual([257, big]);
    const raw = driver.malloc(3, 16, 1);
    expect(backing.requests.at(-1)).toEqual([16, raw]);
    for (const a of [zero, big, raw]) expect(model.arenas.poolOf(a)).toBe(NO_POOL);
    expect(model.arenas.live).toBe(0);
    expect(model.usableSize(big)).toBe(backing.usableSize(big));
  });

  it('realloc keeps a pool block unless the new size is at most 3/4 of it', () => {
    const { model, driver } = build('obmalloc', '2.4');
    const a = driver.malloc(1, 256);
    expect(driver.realloc(1, 200)).toBe(a); // 4*200 = 800 > 3*256 = 768: stays
    const moved = driver.realloc(1, 192); // 4*192 = 768, not > 768: moves to the 192 class
    expect(moved).not.toBe(a);
    expect(model.usableSize(moved)).toBe(192);
    const big = driver.realloc(1, 300); // beyond the threshold: to the backing
    expect(model.arenas.poolOf(big)).toBe(NO_POOL);
  });

  it('2.4 takes a C-heap block over into a pool when the new size fits; raw blocks stay with the C library', () => {
    const { model, backing, driver } = build('obmalloc', '2.4');
    const big = driver.malloc(1, 1000);
    const small = driver.realloc(1, 100);
    expect(model.arenas.poolOf(small)).not.toBe(NO_POOL);
    expect(backing.owns(big)).toBe(false);
    driver.malloc(2, 1000, 1);
    const raw = driver.realloc(2, 100);
    expect(model.arenas.poolOf(raw)).toBe(NO_POOL);
  });
});

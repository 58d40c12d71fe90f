import { describe, expect, it } from 'vitest';
import { LiveBlocks } from './live-blocks.ts';

describe('LiveBlocks', () => {
  it('keeps per-id records and the live and slack sums through add, remove and growth', () => {
    const b = new LiveBlocks(16);
    b.add(3, 0x1000, 100, 7, 12);
    expect(b.capacity).toBe(16);
    b.ensure(41); // doubles to 64, keeping id 3
    expect(b.capacity).toBe(64);
    b.add(40, 0x2000, 50, 9, 14);
    expect([b.addrOf(3), b.sizeOf(3), b.eventOf(3), b.slackOf(3)]).toEqual([0x1000, 100, 7, 12]);
    expect([b.liveBytes, b.slackBytes, b.count]).toEqual([150, 26, 2]);
    b.remove(3);
    expect([b.liveBytes, b.slackBytes, b.count]).toEqual([50, 14, 1]);
    expect(b.isLive(3)).toBe(false);
    expect(b.isLive(40)).toBe(true);
    expect(b.addrOf(1_000_000)).toBe(0); // beyond the table: not live
  });

  it('finds the block a model names by header address, exact address or an inner address', () => {
    const b = new LiveBlocks();
    b.add(1, 0x1010, 100, 0, 8); // block [0x1010, 0x107c)
    b.add(2, 0x2010, 16, 1, 8);
    expect(b.find(0x1010)).toBe(1);
    expect(b.find(0x1000)).toBe(1); // glibc's chunk header, 16 below
    expect(b.find(0x1050)).toBe(1); // inside
    expect(b.find(0x3000)).toBe(-1);
  });
});

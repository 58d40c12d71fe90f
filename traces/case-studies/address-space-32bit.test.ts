import { describe, expect, it } from 'vitest';
import { AddressSpace } from '../../allocators/address-space.ts';
import { addressSpace32bit, BIG_REQUEST, IMAGE_MAX, IMAGE_MIN, RELEASED_RESIDUES, USABLE_SPACE } from './address-space-32bit.ts';
import { traceFacts } from './trace-facts.ts';

const MiB = 1024 * 1024;
/** glibc's mmap threshold before any free: requests at or above it are mmapped. */
const MMAP_THRESHOLD = 128 * 1024;

describe('address-space-32bit (seed 000)', () => {
  const images: { size: number; index: number; freed: boolean }[] = [];
  const imageById = new Map<string, number>();
  const mediumAfterFree: number[] = [];
  let afterFree = Infinity;
  let last = { op: '', size: 0 };
  const facts = traceFacts(addressSpace32bit.events({ scale: 1, seed: 1 }), (e, index) => {
    if (e.op === 'mark' && e.label === 'After free') afterFree = index;
    if (e.op === 'malloc' && e.size >= IMAGE_MIN && index < afterFree) {
      imageById.set(e.id!, images.length);
      images.push({ size: e.size, index, freed: false });
    } else if (e.op === 'malloc' && e.size >= MMAP_THRESHOLD && index > afterFree && e.size < BIG_REQUEST) {
      mediumAfterFree.push(e.size);
    }
    if (e.op === 'free' && index < afterFree && imageById.has(e.id!)) images[imageById.get(e.id!)!]!.freed = true;
    last = { op: e.op, size: e.size };
  });
  const mark = (label: string) => facts.marks.find((m) => m.label === label)!;

  it('asks the harness for a 32-bit address space', () => {
    expect(addressSpace32bit.hints).toEqual({ 'address-space': '32' });
  });

  it("plans for the harness's 32-bit layout: heap start to mmap base", () => {
    const space = new AddressSpace({ bits: 32 });
    expect(space.mmapBase - space.heapStart).toBe(USABLE_SPACE);
  });

  it('fills the space with 4-40 MiB images to within less than the big request', () => {
    expect(images.length).toBeGreaterThan(80);
    for (const img of images) expect(img.size >= IMAGE_MIN && img.size <= IMAGE_MAX + 21).toBe(true);
    const left = USABLE_SPACE - mark('After fill').liveBytes;
    expect(left).toBeGreaterThan(64 * MiB);
    expect(left).toBeLessThan(BIG_REQUEST);
  });

  it('frees two images in five, never two neighbours, about 1 GB in holes of tens of MB', () => {
    const freed = images.filter((img) => img.freed);
    images.forEach((img, i) => expect(img.freed).toBe(RELEASED_RESIDUES.includes(i % 5)));
    for (let i = 1; i < images.length; i++) expect(images[i]!.freed && images[i - 1]!.freed).toBe(false);
    const total = freed.reduce((sum, img) => sum + img.size, 0);
    expect(total).toBeGreaterThan(850 * MiB);
    expect(total).toBeLessThan(1200 * MiB);
    expect(Math.max(...freed.map((img) => img.size))).toBeLessThanOrEqual(IMAGE_MAX + 21);
    // Free memory (holes plus the gap) is far more than the request that will fail.
    expect(total + USABLE_SPACE - mark('After fill').liveBytes).toBeGreaterThan(3 * BIG_REQUEST);
  });

  it('later medium buffers are below the raised dynamic mmap threshold (the largest freed image up to 32 MiB)', () => {
    const raised = Math.max(...images.filter((img) => img.freed && img.size <= 32 * MiB).map((img) => img.size));
    expect(mediumAfterFree.length).toBeGreaterThan(0);
    for (const size of mediumAfterFree) expect(size).toBeLessThan(raised);
  });

  it('ends with the 256 MiB request after Before big request', () => {
    expect(last).toEqual({ op: 'malloc', size: BIG_REQUEST });
    expect(mark('Before big request').index).toBe(facts.events - 2);
  });
});

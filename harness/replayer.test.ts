import { describe, expect, it } from 'vitest';
import { replay, END_MARK, type ReplayOptions } from './replayer.ts';
import { memorySource, type MemoryEvent } from './testing/memory-source.ts';
import { tinyInstance } from './testing/tiny-model.ts';

const PAGE = 4096;
const H = 0x555555a00000; // AddressSpace's default 64-bit heap start
const MMAP_BASE = 0x7ffff7fc3000; // and its default mmap base

function opts(over: Partial<ReplayOptions> = {}): ReplayOptions {
  return { touch: 'full', tickNs: 1000, memoryLimitBytes: null, addressSpaceBits: 64, lenient: false, ...over };
}

// The tiny model bumps 16-byte granules from the heap and mmaps requests above 64 KiB.
const basic: MemoryEvent[] = [
  { op: 'malloc', id: 'a', size: 100 }, // 0: H, usable 112, heap grows to 1 page, page 0 touched
  { op: 'malloc', id: 'b', size: 5000 }, // 1: H+112, usable 5008, heap grows to 2 pages, pages 0-1 touched
  { op: 'mark', label: 'two' }, // 2
  { op: 'free', id: 'a' }, // 3: the tiny model never reuses heap memory
  { op: 'malloc', id: 'c', size: 100000 }, // 4: mmap of 25 pages at MMAP_BASE - 102400, all 25 touched
  { op: 'mark', label: 'three' }, // 5
  { op: 'free', id: 'c' }, // 6: munmap
];

describe('replay', () => {
  it('gives the model the events and tracks RSS, live and mapped bytes at marks', async () => {
    const inst = tinyInstance();
    const r = await replay(memorySource(basic), inst, opts());
    expect(r.status).toBe('ok');
    expect(r.marks.map((m) => [m.label, m.event, m.rssBytes, m.liveBytes, m.mappedBytes, m.freeResidentBytes])).toEqual([
      ['two', 2, 2 * PAGE, 5100, 2 * PAGE, 2 * PAGE - 5100],
      ['three', 5, 27 * PAGE, 105000, 27 * PAGE, 27 * PAGE - 105000],
    ]);
    // The model saw the malloc of c at event 4 with its interned id (a=0, b=1, c=2) and the tick clock.
    expect(inst.model.requests[1]).toEqual({ op: 'malloc', id: 1, event: 1, nowNs: 1000 });
    expect(inst.model.requests.find((q) => q.event === 4)).toEqual({ op: 'malloc', id: 2, event: 4, nowNs: 4000 });
    expect(r.peakRssBytes).toBe(27 * PAGE);
    expect(r.peakLiveBytes).toBe(105000);
    expect(r.peakMappedBytes).toBe(27 * PAGE);
    expect(r.finalRssBytes).toBe(2 * PAGE);
    expect(r.finalLiveBytes).toBe(5000);
    expect(r.freeResidentBytes).toBe(2 * PAGE - 5000);
    // At peak live (event 4) b (5008 usable for 5000) and c (25 pages for 100000) are live: 8 + 2400.
    expect(r.internalFragmentationBytes).toBe(2408);
    expect(r.replay.events).toBe(7);
    expect(r.trace.events).toBe(7);
    expect(r.options).toEqual({ touch: 'full', tickNs: 1000, memoryLimitBytes: null, addressSpaceBits: 64, lenient: false });
  });

  it('computes Johnstone & Wilson from the tick clock', async () => {
    const r = await replay(memorySource(basic), tinyInstance(), opts());
    // States after events 0..6, each holding 1000 ns until the next (the last holds for no time):
    // rss  = 1,2,2,2,27,27 pages; live = 100, 5100, 5100, 5000, 105000, 105000.
    const rssSum = (1 + 2 + 2 + 2 + 27 + 27) * PAGE;
    const liveSum = 100 + 5100 + 5100 + 5000 + 105000 + 105000;
    expect(r.fragmentation.jw1).toBeCloseTo((rssSum - liveSum) / liveSum, 12);
    expect(r.fragmentation.jw2).toBeCloseTo((27 * PAGE - 105000) / 105000, 12);
    expect(r.fragmentation.jw3).toBeCloseTo((27 * PAGE - 105000) / 105000, 12);
    expect(r.fragmentation.jw4).toBeCloseTo((27 * PAGE - 105000) / 105000, 12);
  });

  it('touches nothing under touch policy none', async () => {
    const r = await replay(memorySource(basic), tinyInstance(), opts({ touch: 'none' }));
    expect(r.peakRssBytes).toBe(0);
    expect(r.marks[1]!.mappedBytes).toBe(27 * PAGE);
  });

  it('does not touch calloc memory, and touches the whole new block after realloc', async () => {
    const events: MemoryEvent[] = [
      { op: 'calloc', id: 'z', size: 3 * PAGE }, // heap [H, H+12288): mapped, not touched
      { op: 'mark', label: 'calloc' },
      { op: 'malloc', id: 'm', size: 2 * PAGE }, // H+12288 .. H+20480: pages 3-4 touched
      { op: 'mark', label: 'malloc' },
      { op: 'realloc', id: 'm', size: 3 * PAGE }, // moves to H+20480: pages 5-7 touched
      { op: 'mark', label: 'realloc' },
    ];
    const r = await replay(memorySource(events), tinyInstance(), opts());
    expect(r.marks.map((m) => m.rssBytes)).toEqual([0, 2 * PAGE, 5 * PAGE]);
    expect(r.marks.map((m) => m.liveBytes)).toEqual([3 * PAGE, 5 * PAGE, 6 * PAGE]);
    expect(r.marks[0]!.mappedBytes).toBe(3 * PAGE);
  });

  it('stops with an OOM at the exact event that pushes RSS past the limit', async () => {
    const events: MemoryEvent[] = [];
    for (let i = 0; i < 10; i++) events.push({ op: 'malloc', id: `x${i}`, size: PAGE });
    // Each malloc touches one new page; the limit is 3 pages, so the 4th malloc (event 3, line 6) passes it.
    const r = await replay(memorySource(events), tinyInstance(), opts({ memoryLimitBytes: 3 * PAGE }));
    expect(r.status).toBe('oom');
    expect(r.failure).toMatchObject({ event: 3, line: 6, rssBytes: 4 * PAGE, largestFreeRangeBytes: null });
    expect(r.replay.events).toBe(4);
    expect(r.trace.events).toBe(10);
    expect(r.finalRssBytes).toBe(4 * PAGE);
    expect(r.retention.at(-1)!.mark).toBe(END_MARK);
  });

  it('records the largest free range when a 32-bit malloc fails', async () => {
    const inst = tinyInstance({ bits: 32 });
    const events: MemoryEvent[] = [
      { op: 'malloc', id: 'a', size: 512 * 1024 * 1024 },
      { op: 'malloc', id: 'b', size: 1024 * 1024 * 1024 },
      { op: 'malloc', id: 'c', size: 2048 * 1024 * 1024 }, // cannot fit: the user space is 3 GiB
      { op: 'malloc', id: 'd', size: 16 },
    ];
    const r = await replay(memorySource(events), inst, opts({ addressSpaceBits: 32, userSpaceBytes: 3 * 1024 ** 3 }));
    expect(r.status).toBe('alloc-failed');
    expect(r.failure!.event).toBe(2);
    expect(r.failure!.requestBytes).toBe(2048 * 1024 * 1024);
    expect(r.failure!.largestFreeRangeBytes).toBe(inst.space.largestFreeRange());
    expect(r.failure!.largestFreeRangeBytes!).toBeLessThan(2048 * 1024 * 1024);
    // Free address space: the user space minus reserved ranges and the two mappings, counted independently here.
    const reserved = inst.space.reserved.reduce((s, x) => s + x.length, 0);
    expect(r.failure!.freeAddressBytes).toBe(3 * 1024 ** 3 - reserved - 1536 * 1024 * 1024);
    expect(r.replay.events).toBe(3);
    expect(r.timeline.largestFreeBytes).toBeDefined();
    expect(r.timeline.largestFreeBytes!.at(-1)).toBe(inst.space.largestFreeRange());
  });

  it('stops as alloc-failed when realloc returns 0, with the old block still live', async () => {
    const events: MemoryEvent[] = [
      { op: 'malloc', id: 'a', size: 100 },
      { op: 'memalign', id: 'b', size: 64, align: 4096 }, // H+4096: the tiny model aligns the bump pointer
      { op: 'realloc', id: 'a', size: 4 * 1024 ** 3 }, // larger than the whole 32-bit space
    ];
    const inst = tinyInstance({ bits: 32 });
    const r = await replay(memorySource(events), inst, opts({ addressSpaceBits: 32 }));
    expect(r.status).toBe('alloc-failed');
    expect(r.failure).toMatchObject({ event: 2, line: 5, requestBytes: 4 * 1024 ** 3 });
    expect(r.failure!.reason).toContain('realloc of 4294967296 bytes');
    expect(r.finalLiveBytes).toBe(164);
    expect([...inst.model.blocks.keys()]).toEqual([inst.space.heapStart, inst.space.heapStart + 4096]);
  });

  it('resolves the retention block to its trace id, size and allocating event', async () => {
    const events: MemoryEvent[] = [
      { op: 'malloc', id: 'low', size: 4000 },
      { op: 'malloc', id: 'tmp', size: 300 },
      { op: 'malloc', id: '0xdeadbeef', size: 32 }, // event 2: the highest heap block; the model names its header
      { op: 'free', id: 'tmp' },
      { op: 'mark', label: 'After del' },
    ];
    const r = await replay(memorySource(events), tinyInstance(), opts());
    expect(r.retention).toEqual([
      { mark: 'After del', kind: 'trim-blocked', bytes: 4096, text: 'the highest live block keeps the heap', blockId: '0xdeadbeef', blockSize: 32, blockEvent: 2 },
      { mark: END_MARK, kind: 'trim-blocked', bytes: 4096, text: 'the highest live block keeps the heap', blockId: '0xdeadbeef', blockSize: 32, blockEvent: 2 },
    ]);
  });

  it('drives the model clock from time_ns when the trace has it', async () => {
    const inst = tinyInstance();
    const events: MemoryEvent[] = [
      { op: 'malloc', id: 'a', size: 10, timeNs: 0 },
      { op: 'malloc', id: 'b', size: 10, timeNs: 500 },
      { op: 'free', id: 'a', timeNs: 500 },
      { op: 'free', id: 'b', timeNs: 2_000_000 },
    ];
    const r = await replay(memorySource(events), inst, opts({ tickNs: 7 }));
    // advanceTime only when time moves; the clock never goes back to the tick.
    expect(inst.model.clockCalls).toEqual([500, 2_000_000]);
    expect(r.timeline.timeNs.at(-1)).toBe(2_000_000);
  });

  it('weighs every event the same for J&W #1 when the clock stands still', async () => {
    const events: MemoryEvent[] = [
      { op: 'malloc', id: 'a', size: 4096 }, // rss 1 page, live 4096
      { op: 'malloc', id: 'b', size: 10 }, // rss 2 pages (b starts a new page), live 4106
    ];
    const r = await replay(memorySource(events), tinyInstance(), opts({ tickNs: 0 }));
    const avgRss = (4096 + 8192) / 2;
    const avgLive = (4096 + 4106) / 2;
    expect(r.fragmentation.jw1).toBeCloseTo((avgRss - avgLive) / avgLive, 12);
  });

  it('draws an address map at each mark', async () => {
    const r = await replay(memorySource(basic), tinyInstance(), opts());
    const map = r.marks[1]!.map!;
    expect(map.rows.length).toBeGreaterThan(0);
    const cells = map.rows.map((row) => row.cells).join('');
    // The heap (2 pages) and the mmap (25 pages) are resident.
    expect(cells).toContain('#');
    expect(map.rows[0]!.start).toBeLessThanOrEqual(H);
    expect(map.rows.at(-1)!.start + map.cellBytes * 64).toBeGreaterThanOrEqual(MMAP_BASE);
  });

  it('rejects a free of an id that is not live with a located error', async () => {
    await expect(replay(memorySource([{ op: 'free', id: 'ghost' }]), tinyInstance(), opts())).rejects.toThrow(
      'memory.csv:3 (column id): found "ghost", expected an id that is live',
    );
  });
});

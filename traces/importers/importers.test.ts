// The importers on real captures of fixtures/tiny.c (see fixtures/README.md):
// the expected events follow from that program's calls.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPath, requireNative } from '../../harness/real/native-test-support.ts';
import { openTrace, traceEvents } from '../open.ts';
import { TraceError, type TraceEvent } from '../types.ts';
import { AddressIds } from './address-ids.ts';
import { importHeaptrack } from './heaptrack.ts';
import { importValgrind } from './valgrind.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

async function readAll(path: string): Promise<{ events: TraceEvent[]; meta: Record<string, string> }> {
  const source = await openTrace(path); // validates every row as it streams
  const events: TraceEvent[] = [];
  for await (const e of traceEvents(source)) events.push(e);
  return { events, meta: source.meta };
}

/** Peak of live requested bytes over the trace. */
function peakLive(events: TraceEvent[]): number {
  const sizes = new Map<string, number>();
  let live = 0;
  let peak = 0;
  for (const e of events) {
    if (e.op === 'free') {
      live -= sizes.get(e.id!)!;
      sizes.delete(e.id!);
    } else if (e.op !== 'mark') {
      live += e.size - (sizes.get(e.id!) ?? 0);
      sizes.set(e.id!, e.size);
    }
    peak = Math.max(peak, live);
  }
  return peak;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heapreplay-import-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('address ids', () => {
  it('keeps the id across a move and never reuses a live id', () => {
    const ids = new AddressIds();
    expect(ids.allocate('0xa')).toEqual({ id: '0xa', closed: null });
    expect(ids.move('0xa', '0xb')).toEqual({ id: '0xa', closed: null });
    // A new block at 0xa while id 0xa lives on at 0xb: a suffixed id.
    expect(ids.allocate('0xa')).toEqual({ id: '0xa.1', closed: null });
    expect(ids.release('0xb')).toBe('0xa');
    expect(ids.allocate('0xb')).toEqual({ id: '0xb', closed: null });
    // An allocation over a block never freed closes it.
    expect(ids.allocate('0xb')).toEqual({ id: '0xb', closed: '0xb' });
    expect(ids.release('0xc')).toBeNull();
  });
});

describe('valgrind --trace-malloc importer', () => {
  it('imports the real capture of tiny.c: every call, sizes, alignments, realloc ids', async () => {
    const out = join(dir, 'vg.csv.gz');
    const { counts, trace } = await importValgrind(join(FIXTURES, 'tiny.valgrind.log'), out);
    // tiny.c: 10 mallocs, calloc, malloc + 2 reallocs, memalign, posix_memalign, 1 MiB malloc = 17 allocating calls,
    // 15 frees of its blocks (the realloc'd block once); valgrind's free(0x0) lines at exit are not events.
    expect(counts).toEqual({ events: 32, droppedFrees: 0, skippedLines: 0 });
    expect(trace.events).toBe(32);
    const { events, meta } = await readAll(out);
    expect(meta.source).toBe('valgrind --trace-malloc=yes log tiny.valgrind.log');
    const allocs = events.filter((e) => e.op !== 'free');
    expect(allocs.map((e) => [e.op, e.size, e.align])).toEqual([
      ...Array.from({ length: 10 }, (_, i) => ['malloc', 100 + i, 0]),
      ['calloc', 1000, 0],
      ['malloc', 16, 0],
      ['realloc', 5000, 0],
      ['realloc', 70000, 0],
      ['memalign', 300, 64],
      ['memalign', 2000, 256],
      ['malloc', 1 << 20, 0],
    ]);
    // realloc keeps the id of the malloc(16) although valgrind moved the block twice.
    expect(allocs[12]!.id).toBe(allocs[11]!.id);
    expect(allocs[13]!.id).toBe(allocs[11]!.id);
    expect(events.filter((e) => e.op === 'free')).toHaveLength(15);
    // Peak live: all blocks at once = 1045 + 1000 + 70000 + 300 + 2000 + 1048576.
    expect(peakLive(events)).toBe(1045 + 1000 + 70000 + 300 + 2000 + 1048576);
  });

  it('drops frees of unknown blocks, skips other processes and unknown calls, and locates bad lines', async () => {
    const log = join(dir, 'mixed.log');
    await writeFile(
      log,
      [
        '==7== Memcheck',
        '--7-- malloc(10) = 0x100',
        'program output',
        '--8-- malloc(20) = 0x200', // a child process: skipped
        '--7-- malloc_usable_size(0x100) = 16', // not modelled: skipped
        '--7-- free(0x999)', // unknown: dropped
        '--7-- _Znwm(24) = 0x300',
        '--7-- _ZdlPvm(0x300, 24)',
        '--7-- realloc(0x0,40) = 0x400',
        '--7-- realloc(0x400,0) = (nil)',
        '--7-- malloc(99) = (nil)', // failed: not an event
        '--7-- free(0x100)',
      ].join('\n'),
    );
    const out = join(dir, 'mixed.csv');
    const { counts } = await importValgrind(log, out);
    expect(counts).toEqual({ events: 6, droppedFrees: 1, skippedLines: 2 });
    const { events, meta } = await readAll(out);
    expect(events.map((e) => [e.op, e.id, e.size])).toEqual([
      ['malloc', '0x100', 10],
      ['malloc', '0x300', 24],
      ['free', '0x300', 0],
      ['malloc', '0x400', 40],
      ['free', '0x400', 0],
      ['free', '0x100', 0],
    ]);
    expect(meta['dropped-frees']).toBe('1');

    const bad = join(dir, 'bad.log');
    await writeFile(bad, '--7-- malloc(10) = 0x100\n--7-- calloc(5) = 0x200\n');
    const err = await importValgrind(bad, join(dir, 'bad.csv')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceError);
    expect((err as TraceError).message).toBe(`${bad}:2: found "5", expected calloc(count,size)`);
  });
});

describe('heaptrack importer', () => {
  // The .zst capture is read through the zstd program; the .gz copy needs nothing.
  const zstd = requireNative(onPath('zstd'), 'zstd (to read heaptrack .zst files)', 'zstd');
  for (const file of zstd ? ['tiny.heaptrack.zst', 'tiny.heaptrack.gz'] : ['tiny.heaptrack.gz']) {
    it(`imports the real capture of tiny.c (${file})`, async () => {
      const out = join(dir, `${file}.csv.gz`);
      const { counts, info } = await importHeaptrack(join(FIXTURES, file), out);
      expect(info).toEqual({ version: '1.4.0', fileVersion: 3, command: '/tmp/scratch/tiny' });
      // heaptrack sees 17 allocations: libstdc++'s 72704-byte emergency pool (heaptrack's preload
      // loads libstdc++), the 10 mallocs, calloc, malloc(16), posix_memalign, malloc(1 MiB), and each
      // realloc as a free + an allocation (2 more). memalign is not hooked by heaptrack 1.4.
      expect(counts).toEqual({ events: 34, droppedFrees: 0, skippedLines: 0 });
      const { events, meta } = await readAll(out);
      expect(meta.source).toBe(`heaptrack 1.4.0 data file ${file} (format 3)`);
      const sizes = events.filter((e) => e.op === 'malloc').map((e) => e.size);
      expect(sizes).toEqual([72704, ...Array.from({ length: 10 }, (_, i) => 100 + i), 1000, 16, 5000, 70000, 2000, 1 << 20]);
      expect(events.filter((e) => e.op === 'free')).toHaveLength(17);
      // Peak: the pool, the ten blocks, calloc, the 70000 realloc, posix_memalign and 1 MiB.
      expect(peakLive(events)).toBe(72704 + 1045 + 1000 + 70000 + 2000 + 1048576);
      // heaptrack's clock (ms) becomes time_ns; it never goes backwards.
      for (let i = 1; i < events.length; i++) expect(events[i]!.timeNs!).toBeGreaterThanOrEqual(events[i - 1]!.timeNs!);
    });
  }

  it('pairs frees with the latest live block of the same allocation info, and rejects undefined infos', async () => {
    const data = join(dir, 'h.txt');
    await writeFile(data, ['v 10400 3', 'a 10 1', '+ 0', '+ 0', 'c 5', '- 0', '- 0', '- 0', 'a 20 1', '+ 1'].join('\n'));
    const out = join(dir, 'h.csv');
    const { counts } = await importHeaptrack(data, out);
    expect(counts).toEqual({ events: 5, droppedFrees: 1, skippedLines: 0 });
    const { events } = await readAll(out);
    expect(events.map((e) => [e.op, e.id, e.size, e.timeNs])).toEqual([
      ['malloc', 'h0', 16, 0],
      ['malloc', 'h1', 16, 0],
      ['free', 'h1', 0, 5e6],
      ['free', 'h0', 0, 5e6],
      ['malloc', 'h2', 32, 5e6],
    ]);
    await writeFile(data, ['v 10400 3', '+ 0'].join('\n'));
    await expect(importHeaptrack(data, out)).rejects.toThrow(/h\.txt:2: found "\+ 0", expected an allocation info index below 0/);
    await writeFile(data, 'hello\n');
    await expect(importHeaptrack(data, out)).rejects.toThrow(/expected a heaptrack data file starting with "v <version> <file version>"/);
  });
});

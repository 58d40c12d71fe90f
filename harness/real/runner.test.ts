import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../cli-errors.ts';
import { buildReplayer } from './build.ts';
import { parseReplayOutput } from './real-result.ts';
import { writeReplayStream } from './stream.ts';
import { parseLdconfig, resolveAllocator, systemLibraries } from './libraries.ts';
import { memoryTraceSource, type SimpleEvent } from './memory-source.ts';
import { onPath, requireNative } from './native-test-support.ts';
import { runRealTrace } from './runner.ts';

const MiB = 1 << 20;

/** 200 blocks of 1 MiB (above glibc's 128 KiB mmap threshold), a mark, all freed, a mark. */
function bigBlocksTrace(): SimpleEvent[] {
  const ev: SimpleEvent[] = [];
  for (let i = 0; i < 200; i++) ev.push({ op: 'malloc', id: `b${i}`, size: MiB });
  ev.push({ op: 'mark', label: 'After alloc, "200 MiB"\n<b>' });
  for (let i = 0; i < 200; i++) ev.push({ op: 'free', id: `b${i}` });
  ev.push({ op: 'mark', label: 'After free' });
  return ev;
}

describe('allocator libraries', () => {
  it('parses ldconfig -p, 64-bit entries only', () => {
    const text = [
      '1234 libs found in cache `/etc/ld.so.cache\'',
      '\tlibjemalloc.so.2 (libc6,x86-64) => /lib/x86_64-linux-gnu/libjemalloc.so.2',
      '\tlibjemalloc.so.2 (libc6) => /lib/i386-linux-gnu/libjemalloc.so.2',
    ].join('\n');
    const libs = parseLdconfig(text);
    if (process.arch === 'x64') expect(libs.get('libjemalloc.so.2')).toBe('/lib/x86_64-linux-gnu/libjemalloc.so.2');
    expect(libs.size).toBe(1);
  });

  it('names the Debian package when a library is missing', async () => {
    const err = await resolveAllocator('jemalloc', new Map()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/libjemalloc\.so\.2.*not installed.*libjemalloc2/);
    await expect(resolveAllocator('mimalloc', new Map())).rejects.toThrow(/libmimalloc2\.0/);
    await expect(resolveAllocator('tcmalloc', new Map())).rejects.toThrow(/libtcmalloc-minimal4/);
    await expect(resolveAllocator('hoard', new Map())).rejects.toThrow(/unknown allocator "hoard"; expected glibc, jemalloc/);
    await expect(resolveAllocator('./no/such/lib.so', new Map())).rejects.toThrow(UsageError);
  });

  it('glibc needs no preload', async () => {
    expect(await resolveAllocator('glibc', new Map())).toEqual({ name: 'glibc', modelName: 'glibc (real)', preload: null });
  });
});

describe('real runs', async () => {
  if (!requireNative(onPath('cc'), 'a C compiler (cc)', 'gcc')) return;

  it('glibc: 200 MiB in mmapped chunks is resident, then leaves RSS when freed', async () => {
    const [r] = await runRealTrace(memoryTraceSource('big.csv', { name: 'big' }, bigBlocksTrace()), { allocators: ['glibc'], touch: 'full', idleMs: 0, tickNs: 1000 });
    expect(r!.model.name).toBe('glibc (real)');
    expect(r!.model.preset).toMatch(/^2\.\d+$/); // the C library's version
    expect(r!.trace).toMatchObject({ name: 'big', events: 402 });
    const [after, freed] = r!.marks;
    // Labels with quotes, commas, newlines and markup come back intact through the JSON lines.
    expect(after!.label).toBe('After alloc, "200 MiB"\n<b>');
    expect(after!.event).toBe(200);
    expect(after!.liveBytes).toBe(200 * MiB);
    // Every page was touched: at least the 200 MiB, plus a page of header per block at most.
    expect(after!.rssBytes).toBeGreaterThanOrEqual(200 * MiB);
    expect(after!.rssBytes).toBeLessThan(205 * MiB);
    // munmap on free: under a few MiB remain.
    expect(freed!.liveBytes).toBe(0);
    expect(freed!.rssBytes).toBeLessThan(4 * MiB);
    expect(r!.peakRssBytes).toBeGreaterThanOrEqual(200 * MiB);
    expect(r!.status).toBe('ok');
    expect(r!.replay.events).toBe(402);
    // The replay's own CPU, split as getrusage splits it: writing and faulting in 200 MiB takes some.
    const { userSeconds, systemSeconds } = r!.replay;
    expect(userSeconds).toBeGreaterThanOrEqual(0);
    expect(systemSeconds).toBeGreaterThanOrEqual(0);
    expect(userSeconds! + systemSeconds!).toBeGreaterThan(0);
  });

  it('counts only what the allocator adds: the replayer and the C library are in the baseline', async () => {
    // A mark before any event, 20,000 live blocks (a 160 KiB pointer table), then 600 marks with
    // 4000-byte labels: 2.4 MB of output through the 64 KiB output buffer and every byte of the label
    // buffer, plus the 2000 samples. Everything the replayer owns is written before the baseline and
    // the measure is anonymous memory only, so the first mark is exactly 0 (the old replayer showed
    // its output buffer and the code pages it faulted in) and the label marks add nothing to the
    // blocks' memory.
    const ev: SimpleEvent[] = [{ op: 'mark', label: 'empty' }];
    for (let i = 0; i < 20_000; i++) ev.push({ op: 'malloc', id: `s${i}`, size: 16 });
    ev.push({ op: 'mark', label: 'blocks' });
    for (let i = 0; i < 600; i++) ev.push({ op: 'mark', label: `${i}`.padEnd(4000, 'x') });
    const [r] = await runRealTrace(memoryTraceSource('own.csv', {}, ev), { allocators: ['glibc'], touch: 'full', idleMs: 0, tickNs: 1000 });
    expect(r!.model.params.rss_measure).toBe('anon');
    expect(r!.model.note?.text).toContain('anonymous resident memory');
    expect(r!.marks[0]!.rssBytes).toBe(0);
    const blocks = r!.marks[1]!.rssBytes;
    // 20,000 chunks of 32 bytes = 625 KiB of heap, plus glibc's tcache and top: well under 1 MiB.
    expect(blocks).toBeGreaterThanOrEqual(20_000 * 32);
    expect(blocks).toBeLessThan(MiB);
    expect(r!.marks).toHaveLength(602);
    for (const m of r!.marks.slice(2)) expect(m.rssBytes).toBe(blocks);
    // VmHWM, less the shared pages, cannot see more than the anonymous peak.
    expect(r!.peakRssBytes).toBe(blocks);
    expect(r!.finalRssBytes).toBe(blocks);
  });

  it('the replayer reads the stream from stdin as well as from a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'heapreplay-stdin-'));
    try {
      const stream = join(dir, 's.bin');
      const ev: SimpleEvent[] = [{ op: 'malloc', id: 'a', size: 3 * MiB }, { op: 'mark', label: 'one' }, { op: 'free', id: 'a' }, { op: 'mark', label: 'two' }];
      await writeReplayStream(memoryTraceSource('s.csv', {}, ev), stream, { tickNs: 10 });
      const { path } = await buildReplayer();
      const fromStdin = parseReplayOutput((await execa(path, ['--samples', '0', '-'], { input: await readFile(stream) })).stdout);
      const fromFile = parseReplayOutput((await execa(path, ['--samples', '0', stream])).stdout);
      for (const out of [fromStdin, fromFile]) {
        expect(out.points.map((p) => [p.type, p.label, p.event, p.time_ns, p.live])).toEqual([
          ['peak-live', undefined, 0, 0, 3 * MiB],
          ['mark', 'one', 1, 10, 3 * MiB],
          ['mark', 'two', 3, 30, 0],
        ]);
        expect(out.end.events).toBe(4);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('touch none leaves the pages untouched', async () => {
    const [r] = await runRealTrace(memoryTraceSource('big.csv', {}, bigBlocksTrace()), { allocators: ['glibc'], touch: 'none', idleMs: 0, tickNs: 1000 });
    expect(r!.marks[0]!.rssBytes).toBeLessThan(4 * MiB);
  });

  it('calloc is not written: fresh zero pages do not become resident', async () => {
    const ev: SimpleEvent[] = [{ op: 'calloc', id: 'c', size: 64 * MiB }, { op: 'mark', label: 'calloc' }];
    const [r] = await runRealTrace(memoryTraceSource('c.csv', {}, ev), { allocators: ['glibc'], touch: 'full', idleMs: 0, tickNs: 1000 });
    expect(r!.marks[0]!.liveBytes).toBe(64 * MiB);
    expect(r!.marks[0]!.rssBytes).toBeLessThan(4 * MiB);
  });

  it('a failed allocation stops the run with status alloc-failed', async () => {
    const ev: SimpleEvent[] = [{ op: 'malloc', id: 'a', size: 2 ** 52 }, { op: 'mark', label: 'never' }];
    const [r] = await runRealTrace(memoryTraceSource('f.csv', {}, ev), { allocators: ['glibc'], touch: 'full', idleMs: 0, tickNs: 1000 });
    expect(r!.status).toBe('alloc-failed');
    expect(r!.failure).toMatchObject({ event: 0, requestBytes: 2 ** 52 });
    expect(r!.marks).toEqual([]);
  });

  const libs = await systemLibraries();
  if (requireNative(libs.has('libjemalloc.so.2'), 'libjemalloc.so.2', 'libjemalloc2')) {
    it('jemalloc keeps freed 1 MiB extents resident as dirty pages (decay), unlike glibc', async () => {
      const runs = await runRealTrace(memoryTraceSource('big.csv', {}, bigBlocksTrace()), { allocators: ['glibc', 'jemalloc'], touch: 'full', idleMs: 0, tickNs: 1000 });
      expect(runs.map((r) => r.model.name)).toEqual(['glibc (real)', 'jemalloc (real)']);
      const je = runs[1]!;
      expect(je.model.params.library).toMatch(/libjemalloc\.so\.2$/);
      expect(je.model.preset).toMatch(/^5\.\d+\.\d+$/); // jemalloc's own version, from mallctl

      expect(je.marks[0]!.rssBytes).toBeGreaterThanOrEqual(200 * MiB);
      // jemalloc purges dirty pages only as its decay clock advances (dirty_decay_ms 10 s):
      // right after the frees, a good part of the 200 MiB is still resident.
      expect(je.marks[1]!.rssBytes).toBeGreaterThan(32 * MiB);
      expect(je.marks[1]!.rssBytes).toBeGreaterThan(runs[0]!.marks[1]!.rssBytes + 28 * MiB);
    });

    it("counts jemalloc's start-up memory in the replay, as the model does", async () => {
      // The baseline is taken before jemalloc's constructor runs (and the version is asked for after
      // the replay), so a mark before the first event already shows jemalloc's base block and arena 0,
      // where glibc, which initialises on the first malloc, shows nothing.
      const ev: SimpleEvent[] = [{ op: 'mark', label: 'before any event' }, { op: 'malloc', id: 'a', size: 16 }, { op: 'mark', label: 'one block' }];
      const [glibc, je] = await runRealTrace(memoryTraceSource('startup.csv', {}, ev), { allocators: ['glibc', 'jemalloc'], touch: 'full', idleMs: 0, tickNs: 1000 });
      // glibc: nothing, then one page at the start of the heap (its tcache struct and the 32-byte chunk).
      expect(glibc!.marks.map((m) => m.rssBytes)).toEqual([0, 4096]);
      expect(je!.marks[0]!.rssBytes).toBeGreaterThanOrEqual(32 * 1024);
      expect(je!.marks[0]!.rssBytes).toBeLessThan(4 * MiB);
      expect(je!.model.preset).toMatch(/^5\.\d+\.\d+$/);
    });
  }
});

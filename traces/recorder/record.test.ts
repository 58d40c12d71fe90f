import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPath, requireNative } from '../../harness/real/native-test-support.ts';
import { openTrace, traceEvents } from '../open.ts';
import type { TraceEvent } from '../types.ts';
import { convertRawTrace, parseShimComment, pickRawFile, recordTrace, type RawConversionCounts } from './record.ts';

async function readAll(path: string): Promise<{ events: TraceEvent[]; meta: Record<string, string> }> {
  const source = await openTrace(path);
  const events: TraceEvent[] = [];
  for await (const e of traceEvents(source)) events.push(e);
  return { events, meta: source.meta };
}

const zero = (): RawConversionCounts => ({ events: 0, marks: 0, droppedFrees: 0, reallocsAsMalloc: 0, missedFrees: 0 });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heapreplay-record-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('raw recorder output → trace', () => {
  it('drops unknown frees, turns unknown reallocs into mallocs, closes missed frees, keeps quoted labels', async () => {
    const raw = join(dir, 'raw.csv');
    await writeFile(
      raw,
      [
        '# heapreplay-trace v1',
        '# exe: /usr/bin/prog',
        'op,id,size,align,thread,time_ns,label',
        'free,0x10,,,,5,', // never allocated: dropped
        'malloc,0x20,100,,,6,',
        'realloc,0x30,50,,1,7,', // unknown block: becomes a malloc
        'malloc,0x20,10,,,8,', // 0x20 still live: a missed free closes it first
        'mark,,,,,4,"a, ""b""', // time going back is clamped to 8
        'c"',
        'mark,,,,,9,',
        'memalign,0x40,64,4096,,10,',
        '# recorder: unknown-frees=3 unknown-reallocs=0 missed-frees=1',
      ].join('\n') + '\n',
    );
    const counts = zero();
    const events: TraceEvent[] = [];
    for await (const e of convertRawTrace(raw, counts)) events.push(e);
    expect(events.map((e) => [e.op, e.id, e.size, e.thread, e.timeNs])).toEqual([
      ['malloc', '0x20', 100, 0, 6],
      ['malloc', '0x30', 50, 1, 7],
      ['free', '0x20', 0, 0, 8],
      ['malloc', '0x20', 10, 0, 8],
      ['mark', null, 0, 0, 8],
      ['mark', null, 0, 0, 9],
      ['memalign', '0x40', 64, 0, 10],
    ]);
    expect(events[4]!.label).toBe('a, "b"\nc');
    expect(events[5]!.label).toBe('(unnamed mark)');
    expect(events[6]!.align).toBe(4096);
    expect(counts).toEqual({ events: 7, marks: 2, droppedFrees: 1, reallocsAsMalloc: 1, missedFrees: 1 });
    expect(parseShimComment('# exe: /usr/bin/prog')).toEqual({ program: '/usr/bin/prog' });
    expect(parseShimComment('# recorder: unknown-frees=3 unknown-reallocs=0 missed-frees=1')).toEqual({
      'recorder-unknown-frees': '3',
      'recorder-unknown-reallocs': '0',
      'recorder-missed-frees': '1',
    });
    expect(parseShimComment('# pid: 12')).toEqual({});
  });

  it('keeps the last process image of the command pid', async () => {
    const d = join(dir, 'pick');
    await mkdir(d);
    for (const name of ['raw-42-100.csv', 'raw-42-20000000000.csv', 'raw-43-999999999999.csv', 'other.txt']) await writeFile(join(d, name), '');
    expect(await pickRawFile(d, 42)).toEqual({ file: join(d, 'raw-42-20000000000.csv'), others: 1 });
    expect(await pickRawFile(d, 7)).toEqual({ file: null, others: 3 });
  });
});

const PROGRAM = `
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
void heapreplay_mark(const char *label) __attribute__((weak));
static void *worker(void *arg) {
  (void)arg;
  for (int i = 0; i < 50; i++) { void *p = malloc(48); free(p); }
  return NULL;
}
int main(void) {
  char *a = malloc(100);
  char *b = calloc(10, 30);
  void *c = NULL;
  if (posix_memalign(&c, 64, 1000)) return 1;
  void *d = aligned_alloc(256, 512);
  a = realloc(a, 100000);
  free(NULL);
  heapreplay_mark("after setup, \\"quoted\\"");
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  pthread_join(t, NULL);
  free(a); free(b); free(c); free(d);
  heapreplay_mark("end");
  return 3;
}
`;

describe('recording real programs', async () => {
  if (!requireNative(onPath('cc'), 'a C compiler (cc)', 'gcc')) return;

  it('records a C program: every call, threads, marks, a trace that validates', async () => {
    const src = join(dir, 'prog.c');
    const exe = join(dir, 'prog');
    await writeFile(src, PROGRAM);
    // -O0 -fno-builtin: the compiler must not drop malloc/free pairs it can see through.
    await execa('cc', ['-O0', '-fno-builtin', '-o', exe, src, '-lpthread']);
    const out = join(dir, 'prog.csv.gz');
    const s = await recordTrace({ output: out, command: [exe], stdio: 'pipe' });
    expect(s.exitCode).toBe(3);
    expect(s.marks).toBe(2);
    const { events, meta } = await readAll(out); // openTrace validates every row
    expect(meta['exit-code']).toBe('3');
    expect(meta.program).toBe(exe);
    expect(meta['dropped-frees']).toBe('0');
    const mine = events.filter((e) => e.op !== 'mark');
    const first = mine.slice(0, 5).map((e) => [e.op, e.size, e.align]);
    expect(first).toEqual([
      ['malloc', 100, 0],
      ['calloc', 300, 0],
      ['memalign', 1000, 64],
      ['memalign', 512, 256],
      ['realloc', 100000, 0],
    ]);
    // realloc keeps the id of the malloc even though the block moved.
    expect(mine[4]!.id).toBe(mine[0]!.id);
    const marks = events.filter((e) => e.op === 'mark').map((e) => e.label);
    expect(marks).toEqual(['after setup, "quoted"', 'end']);
    // The worker thread is thread 1, with its 50 malloc/free pairs.
    const t1 = events.filter((e) => e.thread === 1);
    expect(t1.filter((e) => e.op === 'malloc' && e.size === 48)).toHaveLength(50);
    expect(t1.filter((e) => e.op === 'free')).toHaveLength(50);
    // Time never goes back, and the program's four blocks are freed before the mark "end".
    for (let i = 1; i < events.length; i++) expect(events[i]!.timeNs!).toBeGreaterThanOrEqual(events[i - 1]!.timeNs!);
    const endMark = events.findIndex((e) => e.label === 'end');
    const freedBeforeEnd = new Set(events.slice(0, endMark).filter((e) => e.op === 'free').map((e) => e.id));
    for (const e of mine.slice(0, 4)) expect(freedBeforeEnd.has(e.id)).toBe(true);
  });

  it('says so when the command does not exist', async () => {
    await expect(recordTrace({ output: join(dir, 'x.csv'), command: [join(dir, 'no-such-program')], stdio: 'pipe' })).rejects.toThrow(/command not found/);
  });

  if (requireNative(onPath('python3'), 'python3', 'python3')) {
    it('records a Python program through a launcher that execs, with marks from ctypes', async () => {
      const script = join(dir, 'marks.py');
      await writeFile(
        script,
        [
          'import ctypes',
          'mark = ctypes.CDLL(None).heapreplay_mark',
          'mark.argtypes = [ctypes.c_char_p]',
          'x = [bytes(5000) for _ in range(300)]',
          'mark(b"After alloc, 300 x 5000")',
          'del x',
          'mark(b"After del")',
        ].join('\n'),
      );
      const out = join(dir, 'py.csv.gz');
      const s = await recordTrace({ output: out, command: ['python3', script], env: { PYTHONMALLOC: 'malloc' }, stdio: 'pipe' });
      expect(s.exitCode).toBe(0);
      const { events, meta } = await readAll(out);
      expect(meta['env-PYTHONMALLOC']).toBe('malloc');
      const labels = events.filter((e) => e.op === 'mark').map((e) => e.label);
      expect(labels).toEqual(['After alloc, 300 x 5000', 'After del']);
      const a = events.findIndex((e) => e.label === 'After alloc, 300 x 5000');
      const b = events.findIndex((e) => e.label === 'After del');
      // bytes(5000) is one malloc of 5000 + the object header (33 bytes on 64-bit CPython).
      const bigBefore = events.slice(0, a).filter((e) => (e.op === 'malloc' || e.op === 'calloc') && e.size >= 5000 && e.size < 5100);
      expect(bigBefore.length).toBeGreaterThanOrEqual(300);
      const bigIds = new Set(bigBefore.map((e) => e.id));
      const freedBetween = events.slice(a, b).filter((e) => e.op === 'free' && bigIds.has(e.id));
      expect(freedBetween.length).toBeGreaterThanOrEqual(300);
    });
  }
});

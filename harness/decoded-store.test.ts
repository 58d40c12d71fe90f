import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTrace } from '../traces/open.ts';
import type { TraceEvent } from '../traces/types.ts';
import { writeTrace } from '../traces/writer.ts';
import { DecodedStore, runStore, sourceClosureKey } from './decoded-store.ts';
import type { RunJob } from './matrix.ts';
import { DEFAULT_KEEP_BYTES, ReplayableTrace, TraceCache } from './replayable-trace.ts';
import type { RunResult } from './result.ts';
import { runJob } from './run-job.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hr-decoded-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sourceClosureKey', () => {
  it('changes with any module the entry imports, directly or not, and with nothing else', async () => {
    const src = join(dir, 'src');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'entry.ts'), "import { a } from './a.ts';\nexport { b } from './b.ts';\nexport const e = a;\n");
    await writeFile(join(src, 'a.ts'), "import type {\n  C,\n} from './c.ts';\nexport const a = 1;\nexport const ext = '.hrt';\n");
    await writeFile(join(src, 'b.ts'), "import 'node:fs';\nexport const b = 2;\n");
    await writeFile(join(src, 'c.ts'), 'export type C = number;\n');
    await writeFile(join(src, 'other.ts'), 'export const o = 3;\n');
    const entry = join(src, 'entry.ts');
    const first = await sourceClosureKey(entry);
    expect(await sourceClosureKey(entry)).toBe(first);
    await writeFile(join(src, 'other.ts'), 'export const o = 4;\n');
    expect(await sourceClosureKey(entry)).toBe(first);
    // c.ts is reached through a multi-line type import in a.ts.
    await writeFile(join(src, 'c.ts'), 'export type C = string;\n');
    const second = await sourceClosureKey(entry);
    expect(second).not.toBe(first);
    await writeFile(join(src, 'b.ts'), "import 'node:fs';\nexport const b = 3;\n");
    expect(await sourceClosureKey(entry)).not.toBe(second);
  });
});

function ev(op: TraceEvent['op'], id: string | null, size = 0, label: string | null = null, timeNs: number | null = null): TraceEvent {
  return { op, id, size, align: 0, thread: 0, timeNs, domain: 'obj', label, line: 0 };
}

/** Blocks of two sizes, a mark, half of them freed, a mark, with time: enough for every column to matter. */
function* events(): Generator<TraceEvent> {
  let t = 0;
  for (let i = 0; i < 3000; i++) yield ev(i % 3 ? 'malloc' : 'calloc', `blk${i}`, i % 2 ? 64 : 9000, null, (t += 100));
  yield ev('mark', null, 0, 'After alloc, "quoted"', (t += 100));
  for (let i = 0; i < 3000; i += 2) yield ev('free', `blk${i}`, 0, null, (t += 50));
  yield ev('mark', null, 0, 'After del', (t += 100));
}

const strip = (r: RunResult): string => JSON.stringify({ ...r, replay: null });

describe('DecodedStore', () => {
  it('stores a decoded CSV trace and replays the copy with the results of the CSV', async () => {
    const csv = join(dir, 'trace.csv.gz');
    await writeTrace(csv, { name: 'stored' }, events());
    const storeDir = join(dir, 'store');
    const store = new DecodedStore(storeDir, 1000);
    const jobs: RunJob[] = ['glibc', 'jemalloc', 'obmalloc'].map((model, index) => ({ index, tracePath: csv, model, overrides: {} }));

    // First run: parses the CSV, then writes the copy once.
    const first = new TraceCache(DEFAULT_KEEP_BYTES, store);
    const a = [];
    for (const job of jobs) a.push(await runJob(job, {}, {}, first));
    expect((await readdir(storeDir)).filter((n) => n.endsWith('.hrt'))).toHaveLength(1);

    // A later run finds the copy: its source is not the CSV reader, yet every figure is the same.
    const copy = await store.lookup(await openTrace(csv));
    expect(copy).not.toBeNull();
    expect(copy!.path).toBe(csv);
    const second = new TraceCache(DEFAULT_KEEP_BYTES, store);
    const b = [];
    for (const job of jobs) b.push(await runJob(job, {}, {}, second));
    const plain = [];
    for (const job of jobs) plain.push(await runJob(job, {}));
    expect(b.map(strip)).toEqual(plain.map(strip));
    expect(a.map(strip)).toEqual(plain.map(strip));
    expect(b[0]!.trace.events).toBe(3000 + 1 + 1500 + 1);
    expect(b[0]!.marks.map((m) => m.label)).toEqual(['After alloc, "quoted"', 'After del']);
  });

  it('stores nothing for a small trace, a lenient run or a trace not yet read in full', async () => {
    const csv = join(dir, 'small.csv');
    await writeTrace(csv, {}, events());
    const storeDir = join(dir, 'store-small');
    const big = new DecodedStore(storeDir, 1_000_000);
    const cache = new TraceCache(DEFAULT_KEEP_BYTES, big);
    await runJob({ index: 0, tracePath: csv, model: 'glibc', overrides: {} }, {}, {}, cache);
    const lenient = new TraceCache(DEFAULT_KEEP_BYTES, new DecodedStore(storeDir, 1));
    await runJob({ index: 0, tracePath: csv, model: 'glibc', overrides: {} }, { lenient: true }, {}, lenient);
    const unread = new TraceCache(DEFAULT_KEEP_BYTES, new DecodedStore(storeDir, 1));
    await unread.persist(await unread.open(csv, false), 4502);
    expect(await readdir(storeDir).catch(() => [])).toEqual([]);
    // Read in full, the same trace is stored by a store that takes small ones.
    const trace = await unread.open(csv, false);
    for await (const _ of trace.batches()) continue;
    await unread.persist(trace, 4502);
    expect((await readdir(storeDir)).length).toBe(1);
  });

  it('treats a damaged copy as none', async () => {
    const csv = join(dir, 'damaged.csv');
    await writeTrace(csv, {}, events());
    const storeDir = join(dir, 'store-damaged');
    const store = new DecodedStore(storeDir, 1);
    const inner = await openTrace(csv);
    const kept = new ReplayableTrace(inner);
    for await (const _ of kept.batches()) continue;
    expect(await store.save(inner, kept, 4502)).toBe(true);
    const [name] = await readdir(storeDir);
    const file = join(storeDir, name!);
    expect(await store.lookup(await openTrace(csv))).not.toBeNull();
    // Cut short (its END block gone), then not a compiled trace at all.
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length - 10));
    expect(await store.lookup(await openTrace(csv))).toBeNull();
    await writeFile(file, 'not a compiled trace, and long enough to hold an END block');
    expect(await store.lookup(await openTrace(csv))).toBeNull();
  });

  it('is off with HEAPREPLAY_DECODED_CACHE=0', () => {
    expect(runStore({ HEAPREPLAY_DECODED_CACHE: '0' })).toBeNull();
    expect(runStore({})).toBeInstanceOf(DecodedStore);
  });
});

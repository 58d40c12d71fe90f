import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BATCH_EVENTS } from './batcher.ts';
import { CompiledTraceSource, compileTrace } from './compiled.ts';
import { openTrace, traceEvents, traceForm } from './open.ts';
import { readTraceEvents } from './reader.ts';
import { TraceError, type EventBatch, type TraceEvent, type TraceSource } from './types.ts';
import { writeTrace } from './writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'heapreplay-compiled-'));
const fixture = join(import.meta.dirname, 'fixtures', 'tiny.csv');

async function events(path: string): Promise<TraceEvent[]> {
  const out: TraceEvent[] = [];
  for await (const e of traceEvents(await openTrace(path))) out.push(e);
  return out;
}

async function csvEvents(path: string): Promise<TraceEvent[]> {
  const out: TraceEvent[] = [];
  for await (const e of readTraceEvents(path)) out.push(e);
  return out;
}

/** The bytes behind a typed array: an exact comparison that is fast on 64K-element columns. */
function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

async function batchesOf(source: TraceSource): Promise<EventBatch[]> {
  const out: EventBatch[] = [];
  for await (const b of source.batches()) out.push(b);
  return out;
}

/** A trace of `n` events crossing batch boundaries: allocations of reused ids, frees, marks with awkward labels, aligned blocks. */
function* bigTrace(n: number): Generator<TraceEvent> {
  const base = { id: null, size: 0, align: 0, thread: 0, timeNs: 0, domain: 'obj' as const, label: null, line: 0 };
  let x = 1;
  for (let i = 0; i < n; ) {
    x = (x * 48271) % 2147483647;
    const id = `i${x % 5000}`;
    const t = i * 3;
    yield { ...base, op: i % 7 === 0 ? 'memalign' : 'malloc', id: `${id}:${i}`, size: x % 70000, align: i % 7 === 0 ? 2 ** (x % 13) : 0, thread: x % 9, timeNs: t, domain: x % 2 ? 'raw' : 'obj' };
    yield { ...base, op: 'realloc', id: `${id}:${i}`, size: (x % 50) * 2 ** 33, timeNs: t + 1 };
    yield { ...base, op: 'free', id: `${id}:${i}`, timeNs: t + 2 };
    i += 3;
    if (i % 9999 === 0) {
      yield { ...base, op: 'mark', label: `step ${i}, "quoted"\nand a new line`, timeNs: t + 2 };
      i++;
    }
  }
}

describe('CSV → compiled → events equals CSV → events', () => {
  it('for the fixture: labels with commas, quotes and new lines, threads, domains, times, lines', async () => {
    const out = join(dir, 'tiny.hrt');
    const summary = await compileTrace(fixture, out);
    expect(summary.events).toBe(8);
    expect(summary.bytes).toBe(readFileSync(out).length);
    expect(await traceForm(out)).toBe('compiled');
    const fromCsv = await csvEvents(fixture);
    expect(await events(out)).toEqual(fromCsv);
    expect(fromCsv.some((e) => e.label === 'After del, "really"')).toBe(true);
    const source = await openTrace(out);
    expect(source.meta).toEqual({ name: 'tiny', source: 'hand-written, "quoted", with a comma' });
    expect(source.hasTime).toBe(true);
  });

  describe('for a trace of several batches', () => {
    const csv = join(dir, 'big.csv');
    const hrt = join(dir, 'big.hrt');
    beforeAll(async () => {
      await writeTrace(csv, { name: 'big', seed: '1' }, bigTrace(150_000));
      await compileTrace(csv, hrt);
    });

    it('yields the same events, batch for batch', async () => {
      const csvSource = await openTrace(csv);
      const hrtSource = await openTrace(hrt);
      expect(hrtSource).toBeInstanceOf(CompiledTraceSource);
      const a = await batchesOf(csvSource);
      const b = await batchesOf(hrtSource);
      const total = [...bigTrace(150_000)].length;
      expect(a.map((x) => x.length)).toEqual([BATCH_EVENTS, BATCH_EVENTS, total - 2 * BATCH_EVENTS]);
      expect(b.map((x) => x.length)).toEqual(a.map((x) => x.length));
      for (let k = 0; k < a.length; k++) {
        for (const column of ['op', 'id', 'size', 'align', 'thread', 'timeNs', 'domain', 'line'] as const) {
          expect(bytesOf(b[k]![column]).equals(bytesOf(a[k]![column])), `${column} of batch ${k}`).toBe(true);
        }
        expect(b[k]!.labels).toEqual(a[k]!.labels);
      }
      expect(hrtSource.idCount).toBe(csvSource.idCount);
      // Known before the first pass, from the END block at the end of the file.
      expect((await CompiledTraceSource.open(hrt)).finalIdCount).toBe(csvSource.idCount);
      for (let id = 0; id < csvSource.idCount; id += 997) expect(hrtSource.idName(id)).toBe(csvSource.idName(id));
    });

    it('streams again from the start on a second pass, with the same ids', async () => {
      const source = await openTrace(hrt);
      const first = await batchesOf(source);
      const idCount = source.idCount;
      const second = await batchesOf(source);
      expect(source.idCount).toBe(idCount);
      expect(second.length).toBe(first.length);
      second.forEach((b, k) => expect(bytesOf(b.id).equals(bytesOf(first[k]!.id))).toBe(true));
    });

    it('compiles deterministically, and compiling a compiled trace gives the same bytes', async () => {
      const again = join(dir, 'big-again.hrt');
      await compileTrace(csv, again);
      expect(readFileSync(again).equals(readFileSync(hrt))).toBe(true);
      const recompiled = join(dir, 'big-recompiled.hrt');
      await compileTrace(hrt, recompiled);
      expect(readFileSync(recompiled).equals(readFileSync(hrt))).toBe(true);
    });

    it('reusing its buffers, yields the same columns, each batch valid until the next is asked for', async () => {
      const source = (await openTrace(hrt)) as CompiledTraceSource;
      const fresh = await batchesOf(source);
      const buffers = new Set<ArrayBufferLike>();
      let k = 0;
      for await (const b of source.batches({ reuseBuffers: true })) {
        buffers.add(b.size.buffer);
        for (const column of ['op', 'id', 'size', 'align', 'thread', 'timeNs', 'domain', 'line'] as const) {
          expect(bytesOf(b[column]).equals(bytesOf(fresh[k]![column])), `${column} of batch ${k}`).toBe(true);
        }
        expect(b.labels).toEqual(fresh[k]!.labels);
        k++;
      }
      expect(k).toBe(fresh.length);
      expect(buffers.size).toBe(1); // one buffer served every block
      // A pass that keeps its batches still gets arrays of their own.
      const kept = await batchesOf(source);
      expect(new Set(kept.map((b) => b.size.buffer)).size).toBe(kept.length);
    });

    it('hashes the file while a pass reads it, and the hash is the stored bytes', async () => {
      const expected = createHash('sha256').update(readFileSync(hrt)).digest('hex');
      const copy = join(dir, 'big-copy.hrt');
      writeFileSync(copy, readFileSync(hrt));
      const source = await openTrace(copy);
      for await (const _ of source.batches({ reuseBuffers: true })) {
        // read every block
      }
      unlinkSync(copy); // the hash must come from the pass, not from reading the file again
      expect(await source.sha256()).toBe(expected);
      // A pass cut short leaves the hash to a pass of its own.
      const cut = await openTrace(hrt);
      for await (const _ of cut.batches()) break;
      expect(await cut.sha256()).toBe(expected);
      // Bytes after the END block are part of the file and of its hash.
      const tailed = join(dir, 'big-tailed.hrt');
      writeFileSync(tailed, Buffer.concat([readFileSync(hrt), Buffer.from('trailing bytes')]));
      const withTail = (await openTrace(tailed)) as CompiledTraceSource;
      expect(withTail.finalIdCount).toBeNull(); // the last bytes are no END block: no hint
      let events = 0;
      for await (const b of withTail.batches()) events += b.length;
      expect(events).toBe([...bigTrace(150_000)].length);
      expect(await withTail.sha256()).toBe(createHash('sha256').update(readFileSync(tailed)).digest('hex'));
    });

    it('interns names only when one is asked for, and still rejects a names block that runs past its end', async () => {
      const csvSource = await openTrace(csv);
      for await (const _ of csvSource.batches()) {
        // intern every id from the CSV
      }
      const source = await openTrace(hrt);
      for await (const _ of source.batches({ reuseBuffers: true })) {
        // the ids are counted as their blocks pass; their names wait
      }
      expect(source.idCount).toBe(csvSource.idCount);
      expect(source.ids.size).toBe(0);
      const last = source.idCount - 1;
      expect(source.idName(last)).toBe(csvSource.idName(last));
      expect(source.ids.size).toBe(source.idCount);
      expect(source.idName(0)).toBe(csvSource.idName(0));
      // The first block is a NAMES block: claim more names than it holds.
      const bytes = readFileSync(hrt);
      const blocks = 20 + bytes.readUInt32LE(16);
      expect(bytes.readUInt32LE(blocks)).toBe(1); // NAMES
      const damaged = join(dir, 'big-damaged-names.hrt');
      const copy = Buffer.from(bytes);
      copy.writeUInt32LE(copy.readUInt32LE(blocks + 12) + 1000, blocks + 12);
      writeFileSync(damaged, copy);
      const broken = await openTrace(damaged);
      await expect(batchesOf(broken)).rejects.toThrow(/names block whose name \d+ runs past the block/);
    });

    it('is smaller than the CSV and hashes its stored bytes', async () => {
      expect(readFileSync(hrt).length).toBeLessThan(readFileSync(csv).length);
      const source = await openTrace(hrt);
      expect(await source.sha256()).toBe(createHash('sha256').update(readFileSync(hrt)).digest('hex'));
    });
  });
});

describe('compiled traces without time, and lenient compiles', () => {
  it('keeps hasTime false and NaN times', async () => {
    const csv = join(dir, 'notime.csv');
    writeFileSync(csv, 'op,id,size\nmalloc,1,10\nfree,1,\n');
    const hrt = join(dir, 'notime.hrt');
    await compileTrace(csv, hrt);
    const source = await openTrace(hrt);
    expect(source.hasTime).toBe(false);
    const [batch] = await batchesOf(source);
    expect(Array.from(batch!.timeNs)).toEqual([NaN, NaN]);
    for await (const b of (source as CompiledTraceSource).batches({ reuseBuffers: true })) expect(Array.from(b.timeNs)).toEqual([NaN, NaN]);
    expect((await events(hrt)).map((e) => e.timeNs)).toEqual([null, null]);
  });

  it('stores the rows skipped while compiling leniently, and the compiled trace holds only good rows', async () => {
    const csv = join(dir, 'lenient.csv');
    writeFileSync(csv, 'op,id,size\nmalloc,1,10\nfree,2,\nfree,1,\n');
    const hrt = join(dir, 'lenient.hrt');
    const summary = await compileTrace(csv, hrt, { lenient: true });
    expect(summary.skippedRows).toBe(1);
    expect(summary.problems[0]).toMatch(/lenient\.csv:3 \(column id\)/);
    const source = await openTrace(hrt);
    expect((await events(hrt)).map((e) => e.line)).toEqual([2, 4]);
    await batchesOf(source);
    expect(source.skippedRows).toBe(1);
  });
});

describe('bad input', () => {
  it('an invalid trace fails to compile and writes nothing', async () => {
    const csv = join(dir, 'invalid.csv');
    writeFileSync(csv, 'op,id,size\nmalloc,1,10\nfree,2,\n');
    const hrt = join(dir, 'invalid.hrt');
    await expect(compileTrace(csv, hrt)).rejects.toThrow(TraceError);
    expect(existsSync(hrt)).toBe(false);
  });

  it('a truncated compiled trace is an error, not a short trace', async () => {
    const hrt = join(dir, 'tiny.hrt');
    await compileTrace(fixture, hrt);
    const cut = join(dir, 'cut.hrt');
    const bytes = readFileSync(hrt);
    writeFileSync(cut, bytes.subarray(0, bytes.length - 4));
    const source = await openTrace(cut);
    await expect(batchesOf(source)).rejects.toThrow(/cut\.hrt:0: found "a block at byte \d+ that needs 16 bytes, past the end of the file/);
    // Without its END block.
    writeFileSync(cut, bytes.subarray(0, bytes.length - 24));
    await expect(batchesOf(await openTrace(cut))).rejects.toThrow(/before the END block/);
  });

  it('another compiled format version is refused with advice', async () => {
    const bytes = Buffer.from(readFileSync(join(dir, 'tiny.hrt')));
    bytes.writeUInt32LE(9, 8);
    const v9 = join(dir, 'v9.hrt');
    writeFileSync(v9, bytes);
    await expect(openTrace(v9)).rejects.toThrow(/found "compiled format version 9", expected compiled format version 1 \(compile the trace again/);
  });
});

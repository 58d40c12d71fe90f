import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CsvTraceSource, readTraceEvents, readTraceHead } from './reader.ts';
import { traceForm } from './open.ts';
import { TraceError, type TraceEvent } from './types.ts';
import { writeTrace } from './writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'heapreplay-reader-'));
const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);

function file(name: string, text: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function collect(path: string, lenient = false): Promise<TraceEvent[]> {
  const out: TraceEvent[] = [];
  for await (const e of readTraceEvents(path, { lenient })) out.push(e);
  return out;
}

async function failure(path: string): Promise<TraceError> {
  try {
    await collect(path);
  } catch (err) {
    if (err instanceof TraceError) return err;
    throw err;
  }
  throw new Error(`expected ${path} to fail`);
}

const ev = (e: Partial<TraceEvent> & Pick<TraceEvent, 'op'>): TraceEvent => ({ id: null, size: 0, align: 0, thread: 0, timeNs: null, domain: 'obj', label: null, line: 0, ...e });

describe('reading the fixture trace', () => {
  it('yields every event with its fields and physical line numbers (comments, blank line and a two-line label counted)', async () => {
    const events = await collect(fixture('tiny.csv'));
    expect(events).toEqual([
      ev({ op: 'malloc', id: '1', size: 5000, timeNs: 10, line: 5 }),
      ev({ op: 'calloc', id: '2', size: 64, thread: 1, timeNs: 20, domain: 'raw', line: 6 }),
      ev({ op: 'realloc', id: '1', size: 8000, timeNs: 30, line: 7 }),
      ev({ op: 'memalign', id: '3', size: 4096, align: 64, timeNs: 40, line: 8 }),
      ev({ op: 'free', id: '1', timeNs: 50, line: 10 }),
      ev({ op: 'mark', label: 'After del, "really"', timeNs: 60, line: 11 }),
      ev({ op: 'mark', label: 'two\nlines', thread: 2, timeNs: 70, line: 13 }),
      ev({ op: 'free', id: '2', thread: 1, timeNs: 70, domain: 'raw', line: 15 }),
    ]);
  });

  it('reads the metadata and columns from the head', async () => {
    const head = await readTraceHead(fixture('tiny.csv'));
    expect(head.meta).toEqual({ name: 'tiny', source: 'hand-written, "quoted", with a comma' });
    expect(head.columns).toEqual(['op', 'id', 'size', 'align', 'thread', 'time_ns', 'domain', 'label']);
    expect(head.hasTime).toBe(true);
    expect(head.headerLine).toBe(4);
    expect(head.gzip).toBe(false);
  });

  it('detects gzip by its magic bytes even when the file is named .csv', async () => {
    const path = fixture('tiny-gzip-named.csv');
    expect(await traceForm(path)).toBe('gzip-csv');
    expect(await collect(path)).toEqual(await collect(fixture('tiny.csv')));
  });

  it('reads a plain CSV named .gz as plain text', async () => {
    const path = file('plain-named.csv.gz', 'op,id,size\nmalloc,a,1\n');
    expect(await traceForm(path)).toBe('csv');
    expect(await collect(path)).toEqual([ev({ op: 'malloc', id: 'a', size: 1, line: 2 })]);
  });
});

describe('writer → reader round trip', () => {
  const events: TraceEvent[] = [
    ev({ op: 'malloc', id: '0x7f00aa', size: 2 ** 40, thread: 65535, timeNs: 0, domain: 'raw' }),
    ev({ op: 'memalign', id: 'obj:17', size: 0, align: 2 ** 20, timeNs: 5 }),
    ev({ op: 'mark', label: 'a, "quoted" label\nover two lines, ending in a comma,', timeNs: 5 }),
    ev({ op: 'realloc', id: 'obj:17', size: 33, thread: 3, timeNs: 9_007_199_254_740_991 }),
    ev({ op: 'free', id: '0x7f00aa', timeNs: 9_007_199_254_740_991 }),
    ev({ op: 'calloc', id: '0x7f00aa', size: 12, timeNs: 9_007_199_254_740_991, domain: 'raw' }),
    ev({ op: 'mark', label: '#not a comment', timeNs: 9_007_199_254_740_991 }),
  ];

  for (const name of ['rt.csv', 'rt.csv.gz']) {
    it(`reads back what writeTrace wrote (${name})`, async () => {
      const path = join(dir, name);
      await writeTrace(path, { name: 'round trip', note: 'x: y' }, events);
      const back = await collect(path);
      expect(back.map((e) => ({ ...e, line: 0 }))).toEqual(events);
      // Magic line, two metadata lines, the header: the first event is on line 5; the label spans two lines.
      expect(back.map((e) => e.line)).toEqual([5, 6, 7, 9, 10, 11, 12]);
      expect((await readTraceHead(path)).meta).toEqual({ name: 'round trip', note: 'x: y' });
    });
  }

  it('keeps only the columns written; absent thread/domain/time read as defaults', async () => {
    const path = join(dir, 'few-columns.csv');
    await writeTrace(path, {}, [ev({ op: 'malloc', id: '1', size: 10 }), ev({ op: 'free', id: '1' })], { columns: ['id', 'size'] });
    const source = await CsvTraceSource.open(path);
    expect(source.head.columns).toEqual(['op', 'id', 'size']);
    expect(source.hasTime).toBe(false);
    expect(await collect(path)).toEqual([ev({ op: 'malloc', id: '1', size: 10, line: 3 }), ev({ op: 'free', id: '1', line: 4 })]);
  });
});

describe('the head', () => {
  it('accepts a trace without the magic line and columns in any order', async () => {
    const path = file('no-magic.csv', 'size,op,id\n10,malloc,x\n,free,x\n');
    expect(await collect(path)).toEqual([ev({ op: 'malloc', id: 'x', size: 10, line: 2 }), ev({ op: 'free', id: 'x', line: 3 })]);
  });

  it('reads CRLF line ends and a UTF-8 byte order mark', async () => {
    const path = file('crlf.csv', '\ufeff# heapreplay-trace v1\r\n# name: windows\r\nop,id,size,label\r\nmalloc,1,8,\r\nmark,,,"done, really"\r\n');
    expect((await readTraceHead(path)).meta).toEqual({ name: 'windows' });
    expect(await collect(path)).toEqual([ev({ op: 'malloc', id: '1', size: 8, line: 4 }), ev({ op: 'mark', label: 'done, really', line: 5 })]);
  });

  it('reads a last row without a final newline', async () => {
    expect(await collect(file('no-eol.csv', 'op,id,size\nmalloc,1,8'))).toEqual([ev({ op: 'malloc', id: '1', size: 8, line: 2 })]);
  });

  it('rejects a file with no header row, naming the line after the comments', async () => {
    const err = await failure(file('no-header.csv', '# heapreplay-trace v1\n# name: x\n'));
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/no-header\.csv:3: found "the end of the file", expected a header row naming the columns \(op,id,size,align,thread,time_ns,domain,label\)/);
  });

  it('rejects an empty file', async () => {
    const err = await failure(file('empty.csv', ''));
    expect(err.message).toMatch(/empty\.csv:1: .*expected a header row/);
  });

  it('rejects an unknown column and lists the valid ones', async () => {
    const err = await failure(file('typo.csv', '# heapreplay-trace v1\nop,id,sise\nmalloc,1,2\n'));
    expect(err.message).toBe('typo.csv:2: found "sise", expected a v1 column name in the header: one of op, id, size, align, thread, time_ns, domain, label'.replace('typo.csv', join(dir, 'typo.csv')));
  });

  it('rejects a duplicate column', async () => {
    const err = await failure(file('dup.csv', 'op,id,size,id\nmalloc,1,2,1\n'));
    expect(err.line).toBe(1);
    expect(err.found).toBe('id');
    expect(err.expected).toBe('each column named once in the header ("id" appears twice)');
  });

  it('rejects a header without an op column', async () => {
    const err = await failure(file('no-op.csv', 'id,size\n1,2\n'));
    expect(err.expected).toMatch(/^a header row with an op column/);
  });

  it('says so when the first row is an event instead of a header', async () => {
    const err = await failure(file('headless.csv', '# name: x\nmalloc,1,16\n'));
    expect(err.line).toBe(2);
    expect(err.expected).toMatch(/a header row naming the columns .* before the first event; this looks like an event row/);
  });

  it('rejects another format version in the magic line', async () => {
    const err = await failure(file('v2.csv', '# heapreplay-trace v2\nop,id,size\n'));
    expect(err.line).toBe(1);
    expect(err.expected).toMatch(/this reader reads trace format v1/);
  });
});

describe('CSV syntax errors', () => {
  it('locates a quote inside an unquoted field', async () => {
    const err = await failure(file('bad-quote.csv', 'op,id,size,label\nmalloc,1,8,\nmark,,,say "hi"\n'));
    expect(err.line).toBe(3);
    expect(err.found).toBe('a quote inside an unquoted field');
    expect(err.expected).toMatch(/RFC 4180/);
  });

  it('locates a quoted field that is never closed at the line where it starts', async () => {
    const err = await failure(file('unclosed.csv', 'op,id,size,label\nmalloc,1,8,\nmark,,,"never closed\nmalloc,2,8,\nmalloc,3,8,\n'));
    expect(err.line).toBe(3);
    expect(err.found).toBe('an opening quote that is never closed');
  });

  it('in lenient mode skips a row with a CSV error and goes on', async () => {
    const path = file('bad-quote-lenient.csv', 'op,id,size,label\nmalloc,1,8,\nmark,,,say "hi"\nfree,1,,\n');
    const source = await CsvTraceSource.open(path, { lenient: true });
    const ops: number[] = [];
    for await (const b of source.batches()) ops.push(...b.op);
    expect(ops).toEqual([0, 4]);
    expect(source.skippedRows).toBe(1);
    expect(source.problems[0]).toMatch(/bad-quote-lenient\.csv:3: found "a quote inside an unquoted field"/);
  });
});

describe('a gzip file named .csv with a gzip stream in a gzip stream is not special', () => {
  it('reads concatenated gzip members as one stream (as gunzip does)', async () => {
    const a = gzipSync('op,id,size\nmalloc,1,8\n');
    const b = gzipSync('free,1,\n');
    const path = file('members.csv', Buffer.concat([a, b]));
    expect((await collect(path)).map((e) => e.op)).toEqual(['malloc', 'free']);
  });
});

describe('labels of every awkward kind survive writer → reader', () => {
  // A seeded PRNG (deterministic) picks label characters among those that CSV
  // quoting and line framing must handle: commas, quotes, new lines, '#',
  // spaces and multi-byte UTF-8. The file spans several 64 KiB read chunks,
  // so multi-byte characters and quoted new lines fall across chunk edges.
  it('reads back 3000 random labels exactly, on the right lines', async () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 48271) % 2147483647;
      return seed % n;
    };
    const alphabet = ['a', 'Z', '0', ',', '"', '\n', '#', ' ', 'é', '€', '😀', ';', "'"];
    const labels: string[] = [];
    for (let i = 0; i < 3000; i++) {
      let s = '';
      const n = 1 + rand(40);
      for (let k = 0; k < n; k++) s += alphabet[rand(alphabet.length)];
      labels.push(s);
    }
    const written: TraceEvent[] = labels.flatMap((label, i) => [ev({ op: 'mark', label }), ev({ op: 'malloc', id: `m${i}`, size: i })]);
    const path = join(dir, 'labels.csv.gz');
    await writeTrace(path, {}, written);
    const back = await collect(path);
    expect(back.map((e) => ({ ...e, line: 0 }))).toEqual(written);
    // Line numbers: each row starts right after the previous one, which takes 1 + (new lines in its label) lines.
    let line = 3;
    for (const e of back) {
      expect(e.line).toBe(line);
      line += 1 + (e.label?.split('\n').length ?? 1) - 1;
    }
  });
});

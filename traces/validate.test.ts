import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IdTable } from './id-table.ts';
import { CsvTraceSource, readTraceEvents } from './reader.ts';
import { parseDecimal, RowValidator, TraceProblems } from './validate.ts';
import { TraceError, TRACE_COLUMNS } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'heapreplay-validate-'));
const HEADER = 'op,id,size,align,thread,time_ns,domain,label';

/** Write `rows` after the full v1 header (header on line 1, so row k sits on line k+1). */
function trace(name: string, rows: string[], header = HEADER): string {
  const path = join(dir, name);
  writeFileSync(path, `${header}\n${rows.join('\n')}\n`);
  return path;
}

async function failure(path: string): Promise<TraceError> {
  try {
    for await (const _ of readTraceEvents(path)) {
      // drain
    }
  } catch (err) {
    if (err instanceof TraceError) return err;
    throw err;
  }
  throw new Error(`expected ${path} to fail validation`);
}

interface Case {
  what: string;
  rows: string[];
  header?: string;
  line: number;
  column: string | null;
  found: string;
  expected: string | RegExp;
}

// Each case: the rows, and the exact error the first bad row must give.
const cases: Case[] = [
  { what: 'wrong field count', rows: ['malloc,1,8,,,,'], line: 2, column: null, found: 'malloc,1,8,,,,', expected: '8 fields as the header names (op,id,size,align,thread,time_ns,domain,label), got 7' },
  { what: 'unknown op', rows: ['Malloc,1,8,,,,,'], line: 2, column: 'op', found: 'Malloc', expected: 'one of malloc, calloc, realloc, memalign, free, mark (lower case)' },
  { what: 'missing id', rows: ['malloc,,8,,,,,'], line: 2, column: 'id', found: '', expected: 'an id token of 1-64 characters from A-Z a-z 0-9 _ . : - naming the allocation' },
  { what: 'id with a bad character', rows: ['malloc,a b,8,,,,,'], line: 2, column: 'id', found: 'a b', expected: /outside that set/ },
  { what: 'id longer than 64', rows: [`malloc,${'x'.repeat(65)},8,,,,,`], line: 2, column: 'id', found: 'x'.repeat(65), expected: /\(this one has 65 characters\)/ },
  { what: 'free of an id never allocated', rows: ['malloc,1,8,,,,,', 'free,42,,,,,,'], line: 3, column: 'id', found: '42', expected: 'an id that is live (free of an id never allocated)' },
  { what: 'free of an id already freed', rows: ['malloc,1,8,,,,,', 'free,1,,,,,,', 'free,1,,,,,,'], line: 4, column: 'id', found: '1', expected: 'an id that is live (free of an id already freed at line 3)' },
  { what: 'realloc of an id not live', rows: ['realloc,7,8,,,,,'], line: 2, column: 'id', found: '7', expected: 'an id that is live (realloc of an id never allocated)' },
  { what: 'malloc of a live id', rows: ['malloc,1,8,,,,,', 'calloc,1,8,,,,,'], line: 3, column: 'id', found: '1', expected: 'an id that is not live (calloc of an id still live since line 2; free it first or use a new id)' },
  { what: 'memalign of a live id', rows: ['malloc,1,8,,,,,', 'memalign,1,8,16,,,,'], line: 3, column: 'id', found: '1', expected: /^an id that is not live \(memalign/ },
  { what: 'missing size', rows: ['malloc,1,,,,,,'], line: 2, column: 'size', found: '', expected: 'a size in bytes for malloc (a decimal integer ≥ 0)' },
  { what: 'negative size', rows: ['calloc,1,-5,,,,,'], line: 2, column: 'size', found: '-5', expected: 'a size in bytes ≥ 0 for calloc (negative sizes are not allowed)' },
  { what: 'fractional size on realloc', rows: ['malloc,1,8,,,,,', 'realloc,1,1.5,,,,,'], line: 3, column: 'size', found: '1.5', expected: 'a size in bytes for realloc as a decimal integer ≥ 0 (digits only: no units, fractions, signs or exponents)' },
  { what: 'non-integer size', rows: ['malloc,1,1.5,,,,,'], line: 2, column: 'size', found: '1.5', expected: 'a size in bytes for malloc as a decimal integer ≥ 0 (digits only: no units, fractions, signs or exponents)' },
  { what: 'size with units', rows: ['malloc,1,4KiB,,,,,'], line: 2, column: 'size', found: '4KiB', expected: /digits only/ },
  { what: 'size past 2^53', rows: ['malloc,1,99999999999999999,,,,,'], line: 2, column: 'size', found: '99999999999999999', expected: 'a size below 2^53 bytes for malloc' },
  { what: 'size on free', rows: ['malloc,1,8,,,,,', 'free,1,8,,,,,'], line: 3, column: 'size', found: '8', expected: 'an empty size (free takes no size)' },
  { what: 'memalign without align', rows: ['memalign,1,8,,,,,'], line: 2, column: 'align', found: '', expected: 'a power-of-two alignment in bytes for memalign (1, 2, 4, ... up to 2^40)' },
  { what: 'memalign with a non-power-of-two align', rows: ['memalign,1,8,48,,,,'], line: 2, column: 'align', found: '48', expected: /power-of-two alignment/ },
  { what: 'memalign with align 0', rows: ['memalign,1,8,0,,,,'], line: 2, column: 'align', found: '0', expected: /power-of-two alignment/ },
  { what: 'align on malloc', rows: ['malloc,1,8,16,,,,'], line: 2, column: 'align', found: '16', expected: 'an empty align (only memalign takes an alignment; malloc does not)' },
  { what: 'thread too large', rows: ['malloc,1,8,,65536,,,'], line: 2, column: 'thread', found: '65536', expected: 'a thread number from 0 to 65535 (empty means 0)' },
  { what: 'thread not a number', rows: ['malloc,1,8,,main,,,'], line: 2, column: 'thread', found: 'main', expected: /thread number/ },
  { what: 'time not an integer', rows: ['malloc,1,8,,,1e3,,'], line: 2, column: 'time_ns', found: '1e3', expected: 'nanoseconds since the start as a decimal integer ≥ 0 (empty means no time passed)' },
  { what: 'time going backwards', rows: ['malloc,1,8,,,100,,', 'malloc,2,8,,,100,,', 'free,1,,,,99,,'], line: 4, column: 'time_ns', found: '99', expected: 'a time ≥ 100 (the time at line 2): time_ns must not go backwards' },
  { what: 'time going backwards after an empty cell', rows: ['malloc,1,8,,,100,,', 'malloc,2,8,,,,,', 'free,1,,,,50,,'], line: 4, column: 'time_ns', found: '50', expected: /a time ≥ 100 \(the time at line 2\)/ },
  { what: 'unknown domain', rows: ['malloc,1,8,,,,python,'], line: 2, column: 'domain', found: 'python', expected: 'obj or raw (empty means obj)' },
  { what: 'mark without label', rows: ['mark,,,,,,,'], line: 2, column: 'label', found: '', expected: 'a non-empty label for mark (the name of the point in the program, e.g. "After del")' },
  { what: 'mark with an id', rows: ['mark,3,,,,,,x'], line: 2, column: 'id', found: '3', expected: 'an empty id (a mark names no allocation)' },
  { what: 'label on malloc', rows: ['malloc,1,8,,,,,hello'], line: 2, column: 'label', found: 'hello', expected: 'an empty label (only mark rows carry a label)' },
  { what: 'no size column', header: 'op,id', rows: ['malloc,1'], line: 2, column: 'size', found: '', expected: 'a size in bytes for malloc (the header has no size column)' },
];

describe('each validation rule gives a located, specific error', () => {
  for (const c of cases) {
    it(c.what, async () => {
      const path = trace(`${c.what.replace(/\W+/g, '-')}.csv`, c.rows, c.header);
      const err = await failure(path);
      expect(err.file).toBe(path);
      expect(err.line).toBe(c.line);
      expect(err.column).toBe(c.column);
      expect(err.found).toBe(c.found);
      if (typeof c.expected === 'string') expect(err.expected).toBe(c.expected);
      else expect(err.expected).toMatch(c.expected);
      const where = c.column ? `${path}:${c.line} (column ${c.column})` : `${path}:${c.line}`;
      expect(err.message).toBe(`${where}: found ${JSON.stringify(c.found)}, expected ${err.expected}`);
    });
  }
});

describe('rows that are valid', () => {
  it('accepts id reuse after free, realloc to 0, calloc 0, align 1 and 2^40, thread 65535, empty time cells', async () => {
    const path = trace('valid.csv', [
      'malloc,a.b:c-1_x,0,,,5,,',
      'realloc,a.b:c-1_x,0,,65535,,raw,',
      'free,a.b:c-1_x,,,,7,,',
      'calloc,a.b:c-1_x,0,,,7,obj,',
      'memalign,m1,8,1,,,,',
      `memalign,m2,8,${2 ** 40},,,,`,
      'mark,,,,,9,,#1',
    ]);
    const times: (number | null)[] = [];
    for await (const e of readTraceEvents(path)) times.push(e.timeNs);
    // Empty time cells repeat the previous row's time.
    expect(times).toEqual([5, 5, 7, 7, 7, 7, 9]);
  });

  it('interns the same id text to the same integer across reuse and across passes', async () => {
    const path = trace('reuse.csv', ['malloc,x,1,,,,,', 'malloc,y,1,,,,,', 'free,x,,,,,,', 'malloc,x,2,,,,,']);
    const source = await CsvTraceSource.open(path);
    for (let pass = 0; pass < 2; pass++) {
      const ids: number[] = [];
      for await (const b of source.batches()) ids.push(...b.id);
      expect(ids).toEqual([0, 1, 0, 0]);
      expect(source.idCount).toBe(2);
    }
    expect(source.idName(0)).toBe('x');
    expect(source.idName(1)).toBe('y');
  });
});

describe('lenient mode', () => {
  it('skips and counts bad rows, with the rows they make bad in turn, and keeps the first messages', async () => {
    const path = trace('lenient.csv', [
      'malloc,1,8,,,10,,', // line 2 ok
      'free,9,,,,11,,', // 3: free of a non-live id: skipped
      'malloc,1,8,,,12,,', // 4: malloc of a live id: skipped
      'malloc,2,-1,,,13,,', // 5: bad size: skipped, so id 2 never becomes live
      'free,2,,,,14,,', // 6: therefore skipped too
      'bogus,3,8,,,15,,', // 7: unknown op
      'malloc,3,8,,,5,,', // 8: time backwards
      'free,1,,,,16,,', // 9 ok
      'mark,,,,,17,,end', // 10 ok
    ]);
    const source = await CsvTraceSource.open(path, { lenient: true });
    const lines: number[] = [];
    for await (const b of source.batches()) lines.push(...b.line);
    expect(lines).toEqual([2, 9, 10]);
    expect(source.skippedRows).toBe(6);
    expect(source.problems).toHaveLength(6);
    expect(source.problems[0]).toBe(`${path}:3 (column id): found "9", expected an id that is live (free of an id never allocated)`);
    expect(source.problems[3]).toMatch(/:6 \(column id\): found "2", expected an id that is live \(free of an id never allocated\)/);
    // Skipped rows do not move the clock: the last accepted time is line 2's.
    expect(source.problems[5]).toMatch(/:8 \(column time_ns\): found "5", expected a time ≥ 10 \(the time at line 2\)/);
  });

  it('keeps at most ten messages while counting every skipped row', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => `free,${i},,,,,,`);
    const source = await CsvTraceSource.open(trace('many-bad.csv', rows), { lenient: true });
    let events = 0;
    for await (const b of source.batches()) events += b.length;
    expect(events).toBe(0);
    expect(source.skippedRows).toBe(25);
    expect(source.problems).toHaveLength(10);
  });

  it('still rejects a bad header (nothing can be read without it)', async () => {
    const path = trace('lenient-header.csv', ['malloc,1,8'], 'op,id,bytes');
    await expect(CsvTraceSource.open(path, { lenient: true })).rejects.toThrow(/found "bytes", expected a v1 column name/);
  });
});

describe('RowValidator directly', () => {
  it('reuses one row object and validates columns by name in any order', () => {
    const columns = ['label', 'op', 'size', 'id'] as const;
    const v = new RowValidator('t.csv', [...columns], new IdTable(), new TraceProblems(false));
    expect(v.check(['', 'malloc', '12', 'k'], 2)).toBe(true);
    const row = v.row;
    expect({ ...row }).toEqual({ op: 0, id: 0, idText: 'k', size: 12, align: 0, thread: 0, timeNs: NaN, domain: 0, label: null, line: 2 });
    expect(v.check(['here', 'mark', '', ''], 3)).toBe(true);
    expect(v.row).toBe(row);
    expect(row.label).toBe('here');
    expect(TRACE_COLUMNS).toContain('label');
  });

  it('parseDecimal accepts digits only and flags values past 2^53', () => {
    expect(parseDecimal('0')).toBe(0);
    expect(parseDecimal('007')).toBe(7);
    expect(parseDecimal('9007199254740991')).toBe(9007199254740991);
    expect(parseDecimal('9007199254740992')).toBe(-2);
    expect(parseDecimal('')).toBe(-1);
    expect(parseDecimal('+1')).toBe(-1);
    expect(parseDecimal(' 1')).toBe(-1);
    expect(parseDecimal('0x10')).toBe(-1);
  });
});

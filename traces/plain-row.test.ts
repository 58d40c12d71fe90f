// The byte fast path must be invisible: for any input, the events, interned
// ids, skipped rows and error messages are exactly those of the string path
// (RowValidator), which the validate and reader tests pin. These tests check
// that directly, on hand-picked rows and on seeded random traces full of
// valid rows and near misses.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Batcher } from './batcher.ts';
import { IdTable } from './id-table.ts';
import { PlainRowParser } from './plain-row.ts';
import { CsvTraceSource, INFLATE_CHUNK_BYTES, READ_BYTES } from './reader.ts';
import { OP, TRACE_COLUMNS, type TraceColumn } from './types.ts';
import { LIVE, PassState } from './validate.ts';

const dir = mkdtempSync(join(tmpdir(), 'heapreplay-plain-row-'));
const bytes = (text: string) => Buffer.from(text, 'latin1');

function parser(columns: readonly TraceColumn[] = TRACE_COLUMNS) {
  const ids = new IdTable();
  const pass = new PassState();
  const batcher = new Batcher(columns.includes('time_ns'), 16);
  return { ids, pass, batcher, fast: new PlainRowParser(columns, ids, pass, batcher) };
}

describe('PlainRowParser.accept', () => {
  it('takes a plain row, returns the index of its newline and writes every column', () => {
    const { ids, pass, batcher, fast } = parser();
    const row = bytes('memalign,0x7f00,4096,64,3,120,raw,\nnext');
    // The newline is at index 34: the length of the row text before it.
    expect(fast.accept(row, 0, 7)).toBe(34);
    const b = batcher.open;
    expect(b.length).toBe(1);
    expect([b.op[0], b.id[0], b.size[0], b.align[0], b.thread[0], b.timeNs[0], b.domain[0], b.line[0]]).toEqual([OP.memalign, 0, 4096, 64, 3, 120, 1, 7]);
    expect(ids.name(0)).toBe('0x7f00');
    expect(pass.stateOf(0)).toBe(LIVE);
    expect(pass.lineOf(0)).toBe(7);
    expect(pass.lastTime).toBe(120);
  });

  it('accepts CRLF line ends and empty optional cells, reading them as the defaults', () => {
    const { batcher, fast } = parser(['op', 'id', 'size', 'thread', 'time_ns', 'domain']);
    const text = 'malloc,a,8,,5,obj\r\nfree,a,,,,\r\n';
    expect(fast.accept(bytes(text), 0, 2)).toBe(18);
    // The second row starts after the first's CRLF (index 19) and its newline is 11 bytes on: "free,a,,,,\r" then LF.
    expect(fast.accept(bytes(text), 19, 3)).toBe(30);
    const b = batcher.open;
    // The empty time of the free repeats the previous row's time, 5.
    expect(Array.from(b.timeNs.subarray(0, 2))).toEqual([5, 5]);
    expect(Array.from(b.thread.subarray(0, 2))).toEqual([0, 0]);
    expect(Array.from(b.size.subarray(0, 2))).toEqual([8, 0]);
  });

  // Every row here is one the string path must see: a mark, a quote, a bad
  // cell, a broken rule. Declining changes nothing.
  const declined: [string, string][] = [
    ['a mark (its label needs a string)', 'mark,,,,,1,,here'],
    ['a quote', 'malloc,1,8,,,1,,"x"'],
    ['a comment', '# malloc,1,8,,,,,'],
    ['a leading space', ' malloc,1,8,,,,,'],
    ['an unknown op', 'Malloc,1,8,,,,,'],
    ['an op with a suffix', 'malloc2,1,8,,,,,'],
    ['too few fields', 'malloc,1,8,,,,'],
    ['too many fields', 'malloc,1,8,,,,,,'],
    ['a lone CR', 'malloc,1,8,,,\r,,'],
    ['an empty id', 'malloc,,8,,,,,'],
    ['an id of 65 characters', `malloc,${'x'.repeat(65)},8,,,,,`],
    ['an id with a space', 'malloc,a b,8,,,,,'],
    ['a non-ASCII id', 'malloc,\xe9,8,,,,,'],
    ['a missing size', 'malloc,1,,,,,,'],
    ['a negative size', 'malloc,1,-8,,,,,'],
    ['a fractional size', 'malloc,1,1.5,,,,,'],
    ['a size past 2^53', 'malloc,1,9007199254740993,,,,,'],
    ['a size on free', 'free,1,8,,,,,'],
    ['an align on malloc', 'malloc,1,8,16,,,,'],
    ['memalign without align', 'memalign,1,8,,,,,'],
    ['a non-power-of-two align', 'memalign,1,8,48,,,,'],
    ['an align past 2^40', `memalign,1,8,${2 ** 41},,,,`],
    ['a thread past 65535', 'malloc,1,8,,65536,,,'],
    ['an unknown domain', 'malloc,1,8,,,,python,'],
    ['a label on malloc', 'malloc,1,8,,,,,x'],
    ['a free of an id never allocated', 'free,zz,,,,,,'],
    ['a realloc of an id never allocated', 'realloc,zz,8,,,,,'],
  ];
  for (const [what, row] of declined) {
    it(`declines ${what}`, () => {
      const { ids, pass, batcher, fast } = parser();
      expect(fast.accept(bytes(`${row}\n`), 0, 2)).toBe(-1);
      expect(ids.size).toBe(0);
      expect(batcher.open.length).toBe(0);
      expect(pass.lastTime).toBe(0);
    });
  }

  it('declines rows that break liveness or time, after accepting the rows they depend on', () => {
    const { ids, batcher, fast } = parser();
    const text = bytes('malloc,7,8,,,100,,\nmalloc,7,8,,,100,,\nfree,7,,,,99,,\nfree,7,,,,100,,\nfree,7,,,,100,,\n');
    const starts = [0, 19, 38, 53, 69];
    const results = starts.map((s, k) => fast.accept(text, s, k + 2));
    // Accepted: the first malloc and the first free at time 100. Declined: malloc of a live id, time going back, double free.
    expect(results.map((r) => r >= 0)).toEqual([true, false, false, true, false]);
    expect(batcher.open.length).toBe(2);
    expect(ids.size).toBe(1);
  });
});

/** A seeded PRNG (Park-Miller), so the random traces are the same on every run. */
function prng(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 48271) % 2147483647;
    return s % n;
  };
}

const LAYOUTS: readonly (readonly TraceColumn[])[] = [
  TRACE_COLUMNS,
  ['op', 'id', 'size', 'time_ns', 'domain', 'label'],
  ['op', 'id', 'size'],
  ['size', 'thread', 'op', 'label', 'id', 'domain', 'align', 'time_ns'],
];

/** Cells of a row, by column; `mutate` picks one way to make it odd (or none). */
function randomTrace(columns: readonly TraceColumn[], rows: number, seed: number): string {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)]!;
  const live: string[] = [];
  const freed: string[] = [];
  let time = 0;
  let next = 1;
  const idForms = (): string => {
    const n = next++;
    return pick([String(n), String(n), `0x${n.toString(16)}`, `obj:${n}`, `00${n}`, `0X${n.toString(16).toUpperCase()}`, `${n}.${n}`, 'x'.repeat(64 - String(n).length) + n]);
  };
  const lines: string[] = [columns.join(',')];
  for (let r = 0; r < rows; r++) {
    const cell: Partial<Record<TraceColumn, string>> = {};
    const roll = rand(10);
    let op: string;
    if (roll < 4 || live.length === 0) op = pick(['malloc', 'malloc', 'calloc', 'memalign']);
    else if (roll < 7) op = 'free';
    else if (roll < 9) op = 'realloc';
    else op = 'mark';
    cell.op = op;
    if (op === 'mark') cell.label = pick(['Peak', 'after, "del"', 'x']);
    else if (op === 'free' || op === 'realloc') cell.id = live[rand(live.length)]!;
    else cell.id = freed.length > 0 && rand(4) === 0 ? freed[rand(freed.length)]! : idForms();
    if (op !== 'free' && op !== 'mark') cell.size = String(rand(3) === 0 ? rand(100000) : rand(600));
    if (op === 'memalign') cell.align = String(2 ** rand(20));
    if (rand(4) === 0) cell.thread = String(rand(10) === 0 ? 65530 + rand(10) : rand(64));
    if (rand(3) !== 0) {
      time += rand(3) === 0 ? 0 : rand(1000);
      cell.time_ns = String(time);
    }
    if (rand(5) === 0) cell.domain = pick(['obj', 'raw', 'raw']);
    // One row in four is made odd in some way.
    const mutation = rand(4) === 0 ? rand(22) : -1;
    switch (mutation) {
      case 0: cell.size = '-5'; break;
      case 1: cell.size = '1.5'; break;
      case 2: cell.size = ''; break;
      case 3: cell.size = '99999999999999999'; break;
      case 4: cell.align = pick(['16', '48', '0', String(2 ** 41)]); break;
      case 5: cell.thread = pick(['65536', 'main', '007']); break;
      case 6: cell.time_ns = String(Math.max(0, time - 1 - rand(50))); break;
      case 7: cell.domain = pick(['python', 'RAW', ' obj']); break;
      case 8: cell.label = 'stray'; break;
      case 9: cell.id = pick(['', 'a b', 'x'.repeat(65), '\u00e9t\u00e9', '"q"']); break;
      case 10: cell.op = pick(['Malloc', 'mallocx', 'mark']); break;
      case 11: cell.id = `never${rand(1000)}`; cell.op = pick(['free', 'realloc']); break;
      case 12: if (live.length > 0) { cell.id = live[rand(live.length)]!; cell.op = pick(['malloc', 'calloc']); } break;
      case 13: cell.size = `000${rand(50)}`; break;
      case 14: cell.time_ns = '9007199254740993'; break;
      default: break;
    }
    let text = columns.map((c) => cell[c] ?? '').map((v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',');
    switch (mutation) {
      case 15: text += ','; break;
      case 16: text = text.slice(0, text.lastIndexOf(',')); break;
      case 17: text = ` ${text}`; break;
      case 18: text += '\r'; break;
      case 19: lines.push(pick(['# a comment, "quoted"', '', '   '])); break;
      case 20: text = text.replace(',', ',\r'); break;
      default: break;
    }
    lines.push(text);
    // Track what a valid row would do; where the row was made bad the model drifts, which makes more near misses.
    const id = cell.id ?? '';
    if (cell.op === 'free') {
      const at = live.indexOf(id);
      if (at >= 0) live.splice(at, 1);
      freed.push(id);
    } else if (cell.op === 'malloc' || cell.op === 'calloc' || cell.op === 'memalign') {
      live.push(id);
    }
  }
  return `${lines.join(rand(2) === 0 ? '\n' : '\r\n')}\n`;
}

interface Pass {
  columns: Record<string, number[]>;
  labels: [number, string][];
  names: string[];
  skipped: number;
  problems: string[];
  error: string | null;
}

async function readPass(path: string, lenient: boolean, fastPath: boolean): Promise<Pass> {
  const source = await CsvTraceSource.open(path, { lenient });
  source.fastPath = fastPath;
  const out: Pass = { columns: {}, labels: [], names: [], skipped: 0, problems: [], error: null };
  const names = ['op', 'id', 'size', 'align', 'thread', 'timeNs', 'domain', 'line'] as const;
  for (const n of names) out.columns[n] = [];
  let base = 0;
  try {
    for await (const b of source.batches()) {
      for (const n of names) out.columns[n]!.push(...Array.from(b[n], (v) => (Number.isNaN(v) ? -1 : v)));
      for (const [i, label] of b.labels) out.labels.push([base + i, label]);
      base += b.length;
    }
  } catch (err) {
    out.error = err instanceof Error ? err.message : String(err);
  }
  for (let id = 0; id < source.idCount; id++) out.names.push(source.idName(id));
  out.skipped = source.skippedRows;
  out.problems = source.problems;
  return out;
}

describe('fast path and string path agree on random traces', () => {
  for (let k = 0; k < LAYOUTS.length; k++) {
    const columns = LAYOUTS[k]!;
    it(`columns ${columns.join(',')}: same events, ids, skipped rows and messages, lenient and strict`, async () => {
      for (let seed = 1; seed <= 3; seed++) {
        const path = join(dir, `random-${k}-${seed}.csv`);
        writeFileSync(path, randomTrace(columns, 600, 1000 * k + seed));
        const fast = await readPass(path, true, true);
        const slow = await readPass(path, true, false);
        expect(fast).toEqual(slow);
        // The traces are meant to be mostly good with many bad rows: check they are.
        expect(fast.columns.op!.length).toBeGreaterThan(150);
        expect(fast.skipped).toBeGreaterThan(20);
        const strictFast = await readPass(path, false, true);
        const strictSlow = await readPass(path, false, false);
        expect(strictFast.error).not.toBeNull();
        expect(strictFast).toEqual(strictSlow);
      }
    });
  }
});

describe('rows that straddle read chunks', () => {
  // Rows are placed so that the chunk edges of both the plain reads
  // (READ_BYTES) and the gzip inflate output (INFLATE_CHUNK_BYTES) fall inside
  // a plain row, between a CR and its LF, and inside a quoted label that spans
  // lines. Each pass must read exactly the events written.
  function straddlingTrace(): { text: string; expected: { op: number; size: number; line: number; label?: string }[] } {
    const expected: { op: number; size: number; line: number; label?: string }[] = [];
    let text = 'op,id,size,label\n';
    let line = 1;
    let id = 0;
    /** Put `row` so that its byte `at` is the first byte after `edge`. */
    const place = (edge: number, row: string, at: number) => {
      // Long comment lines cover most of the distance cheaply; real rows fill the last 2000 bytes.
      while (text.length < edge - at - 12000) {
        line++;
        text += `#${'.'.repeat(8000)}\n`;
      }
      while (text.length < edge - at - 60) {
        id++;
        line++;
        text += `malloc,${id},${id % 1000},\n`;
        expected.push({ op: OP.malloc, size: id % 1000, line });
      }
      line++;
      text += `#${'-'.repeat(edge - at - text.length - 2)}\n`;
      expect(text.length + at).toBe(edge);
      text += row;
      line++;
    };
    // A plain row cut after 3 bytes (at the first inflate edge).
    place(INFLATE_CHUNK_BYTES, `calloc,${++id},123456,\n`, 3);
    expected.push({ op: OP.calloc, size: 123456, line });
    // A CRLF row cut between its CR and LF.
    const crlf = `malloc,${++id},1,\r\n`;
    place(2 * INFLATE_CHUNK_BYTES, crlf, crlf.length - 1);
    expected.push({ op: OP.malloc, size: 1, line });
    // A quoted label cut inside, on its second line.
    const mark = 'mark,,,"a label\nover, two lines"\n';
    place(3 * INFLATE_CHUNK_BYTES, mark, mark.indexOf('two'));
    expected.push({ op: OP.mark, size: 0, line, label: 'a label\nover, two lines' });
    line++;
    // A plain row cut after its first byte (at the plain read edge).
    place(READ_BYTES, `calloc,${++id},7,\n`, 1);
    expected.push({ op: OP.calloc, size: 7, line });
    // A last row without a newline.
    line++;
    text += `free,${id},,`;
    expected.push({ op: OP.free, size: 0, line });
    return { text, expected };
  }

  it('reads every row whole, on its line, from plain and gzip files, on both paths', async () => {
    const { text, expected } = straddlingTrace();
    expect(text.length).toBeGreaterThan(READ_BYTES);
    const plain = join(dir, 'straddle.csv');
    const gz = join(dir, 'straddle.csv.gz');
    writeFileSync(plain, text);
    writeFileSync(gz, gzipSync(text));
    for (const path of [plain, gz]) {
      for (const fastPath of [true, false]) {
        const got = await readPass(path, false, fastPath);
        expect(got.error).toBeNull();
        const labels = new Map(got.labels);
        const events = got.columns.op!.map((op, i) => ({ op, size: got.columns.size![i]!, line: got.columns.line![i]!, ...(labels.has(i) ? { label: labels.get(i)! } : {}) }));
        expect(events).toEqual(expected);
      }
    }
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CsvTraceSource, readTraceEvents } from './reader.ts';
import { TraceError, type TraceEvent } from './types.ts';
import { writeTrace } from './writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'heapreplay-gzip-'));
const full = join(dir, 'full.csv.gz');
let events: TraceEvent[] = [];

// Enough rows (with varied ids and sizes so gzip cannot squeeze them to nothing)
// that half of the compressed file holds thousands of whole rows.
function* makeEvents(n: number): Generator<TraceEvent> {
  let x = 7;
  for (let i = 0; i < n; i++) {
    x = (x * 48271) % 2147483647;
    const base = { align: 0, thread: x % 3, timeNs: i * 10, domain: 'obj' as const, label: null, line: 0 };
    yield { ...base, op: 'malloc', id: `blk${i}`, size: x % 100000 };
    yield { ...base, op: 'free', id: `blk${i}`, size: 0 };
  }
}

async function readAll(path: string, lenient: boolean): Promise<{ events: TraceEvent[]; skipped: number; problems: string[] }> {
  const source = await CsvTraceSource.open(path, { lenient });
  const out: TraceEvent[] = [];
  const { batchEvents } = await import('./batcher.ts');
  for await (const b of source.batches()) out.push(...batchEvents(b, (id) => source.idName(id), source.hasTime));
  return { events: out, skipped: source.skippedRows, problems: source.problems };
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
  throw new Error(`expected ${path} to fail`);
}

beforeAll(async () => {
  await writeTrace(full, { name: 'gzip test' }, makeEvents(20000));
  events = (await readAll(full, false)).events;
});

describe('a truncated gzip trace (a real file cut in half)', () => {
  const half = join(dir, 'half.csv.gz');
  beforeAll(() => {
    const bytes = readFileSync(full);
    writeFileSync(half, bytes.subarray(0, bytes.length >> 1));
  });

  it('is an error naming the file, the line reached, and that the gzip stream is truncated', async () => {
    const err = await failure(half);
    expect(err.file).toBe(half);
    expect(err.found).toMatch(/^a truncated gzip stream \(unexpected end of file\)$/);
    expect(err.expected).toMatch(new RegExp(`^a complete gzip stream; the data stops in line ${err.line}: the file was cut short`));
    // Half the compressed bytes hold well over a few rows and well under all 40,000.
    expect(err.line).toBeGreaterThan(1000);
    expect(err.line).toBeLessThan(40000);
  });

  it('in lenient mode ends at the last whole row and counts one problem', async () => {
    const got = await readAll(half, true);
    expect(got.skipped).toBe(1);
    expect(got.problems[0]).toMatch(/truncated gzip stream/);
    expect(got.events.length).toBeGreaterThan(1000);
    // Every event read is whole: exactly the start of the full trace.
    expect(got.events).toEqual(events.slice(0, got.events.length));
    const err = await failure(half);
    // The line where the data stops is the line after the last whole row.
    expect(err.line).toBe(got.events.at(-1)!.line + 1);
  });

  it('cut inside the gzip header, it fails while reading the head', async () => {
    const tiny = join(dir, 'tiny-cut.csv.gz');
    writeFileSync(tiny, readFileSync(full).subarray(0, 6));
    const err = await failure(tiny);
    expect(err.line).toBe(1);
    expect(err.found).toMatch(/truncated gzip stream/);
  });
});

describe('a corrupt gzip trace', () => {
  // Damage in the deflate data usually shows first as garbage rows; a bad CRC
  // in the trailer is the corruption only zlib can see.
  it('is an error that says the gzip data is corrupt', async () => {
    const bytes = Buffer.from(readFileSync(full));
    bytes[bytes.length - 8] = bytes[bytes.length - 8]! ^ 0xff;
    const bad = join(dir, 'corrupt.csv.gz');
    writeFileSync(bad, bytes);
    const err = await failure(bad);
    expect(err.found).toMatch(/^a corrupt gzip stream \(/);
    expect(err.found).toMatch(/incorrect data check/);
    expect(err.expected).toMatch(/the compressed data is damaged/);
  });
});

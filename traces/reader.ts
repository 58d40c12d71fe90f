// Reads trace format v1 as CSV, plain or gzip (detected by the 1f 8b magic,
// whatever the file is called), streamed so memory does not grow with the
// file. The head (magic line, `# key: value` metadata, header row) is read
// by line; rows are framed by line and quote parity and parsed with csv-parse
// when they hold quotes (RFC 4180), split on commas when they do not (see
// CsvTraceReader). Rows reach a caller's callback synchronously with their
// first physical line number; validation is the caller's (validate.ts), so
// this file only knows bytes, lines and CSV.
//
// The `# heapreplay-trace v1` magic line is optional: hand-written and
// converted traces often lack it, and the header row (op column required,
// unknown columns rejected) already tells a trace from other CSV. A magic line
// with another version is an error.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import type { CsvError } from 'csv-parse';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { Batcher, batchEvents } from './batcher.ts';
import { IdTable } from './id-table.ts';
import { RowValidator, TraceProblems } from './validate.ts';
import { OP_NAMES, TRACE_COLUMNS, TraceError, type EventBatch, type TraceColumn, type TraceEvent, type TraceMeta, type TraceSource } from './types.ts';

export interface ReadTraceOptions {
  /** Count and skip bad rows instead of stopping at the first one. */
  lenient?: boolean;
}

/** What precedes the rows: metadata, the columns in file order, and where the header sits. */
export interface CsvTraceHead {
  meta: TraceMeta;
  columns: TraceColumn[];
  hasTime: boolean;
  gzip: boolean;
  /** 1-based line of the header row. */
  headerLine: number;
}

/** The first `n` bytes of a file (fewer if it is shorter), for format sniffing. */
export async function readFileStart(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export function isGzip(start: Uint8Array): boolean {
  return start.length >= 2 && start[0] === 0x1f && start[1] === 0x8b;
}

/** sha256 of a file's bytes as stored, streamed. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The decompressed bytes of a file, chunk by chunk. */
interface ByteInput {
  chunks: AsyncIterator<Buffer>;
  close(): void;
}

function openBytes(path: string, gzip: boolean): ByteInput {
  const file = createReadStream(path, { highWaterMark: 1 << 16 });
  if (!gzip) return { chunks: file[Symbol.asyncIterator](), close: () => file.destroy() };
  const gunzip = createGunzip({ chunkSize: 1 << 16 });
  file.on('error', (err) => gunzip.destroy(err));
  file.pipe(gunzip);
  return {
    chunks: gunzip[Symbol.asyncIterator](),
    close: () => {
      file.destroy();
      gunzip.destroy();
    },
  };
}

function isZlibError(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** A zlib failure as a located trace error: the gzip stream ends or breaks in `line`. */
function gzipError(file: string, line: number, err: NodeJS.ErrnoException): TraceError {
  const truncated = err.code === 'Z_BUF_ERROR';
  const found = `${truncated ? 'a truncated' : 'a corrupt'} gzip stream (${err.message})`;
  const why = truncated ? 'the file was cut short' : 'the compressed data is damaged';
  return new TraceError(file, line, null, found, `a complete gzip stream; the data stops in line ${line}: ${why} (lenient mode keeps the rows before it)`);
}

const META_LINE = /^#\s*([A-Za-z0-9_.-]+)\s*:\s?(.*)$/;
const MAGIC_LINE = /^#\s*heapreplay-trace\s+v(\S*)\s*$/;
const COLUMN_LIST = TRACE_COLUMNS.join(', ');

function parseHeader(file: string, line: number, text: string): TraceColumn[] {
  let fields: string[];
  try {
    fields = (parseCsvSync(text, { relax_column_count: true }) as string[][])[0] ?? [];
  } catch {
    throw new TraceError(file, line, null, text, `a header row of column names separated by commas (${COLUMN_LIST})`);
  }
  const names = fields.map((f) => f.trim());
  if (names.length > 0 && (OP_NAMES as readonly string[]).includes(names[0]!)) {
    throw new TraceError(file, line, null, text, `a header row naming the columns (e.g. ${TRACE_COLUMNS.join(',')}) before the first event; this looks like an event row`);
  }
  const columns: TraceColumn[] = [];
  for (const name of names) {
    if (!(TRACE_COLUMNS as readonly string[]).includes(name)) {
      throw new TraceError(file, line, null, name, `a v1 column name in the header: one of ${COLUMN_LIST}`);
    }
    if (columns.includes(name as TraceColumn)) {
      throw new TraceError(file, line, null, name, `each column named once in the header ("${name}" appears twice)`);
    }
    columns.push(name as TraceColumn);
  }
  if (!columns.includes('op')) throw new TraceError(file, line, null, text, `a header row with an op column (columns: ${COLUMN_LIST})`);
  return columns;
}

/** csv-parse's complaint about one record as a located trace error. */
function csvError(file: string, line: number, err: unknown): TraceError {
  switch ((err as CsvError).code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new TraceError(file, line, null, 'an opening quote that is never closed', 'a closing quote before the end of the file (the quoted field starts in this row)');
    case 'INVALID_OPENING_QUOTE':
      return new TraceError(file, line, null, 'a quote inside an unquoted field', 'a field quoted from its first character, with "" for each quote inside it (RFC 4180)');
    case 'CSV_INVALID_CLOSING_QUOTE':
      return new TraceError(file, line, null, 'text after a closing quote', 'a comma or the end of the line right after a closing quote (write "" for a quote inside a quoted field)');
    default:
      return new TraceError(file, line, null, err instanceof Error ? err.message : String(err), 'well-formed CSV (RFC 4180)');
  }
}

function countQuotes(text: string): number {
  let n = 0;
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) n++;
  return n;
}

/** Decoded text of the input, chunk by chunk; null at the end. Zlib failures surface as TraceErrors in `line`. */
class TextInput {
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly path: string,
    private readonly bytes: ByteInput,
  ) {}

  async next(line: number): Promise<string | null> {
    let next: IteratorResult<Buffer>;
    try {
      next = await this.bytes.chunks.next();
    } catch (err) {
      if (isZlibError(err)) throw gzipError(this.path, line, err);
      throw err;
    }
    return next.done ? null : this.decoder.write(next.value);
  }

  close(): void {
    this.bytes.close();
  }
}

/**
 * One pass over a CSV trace: the head on open, then the rows.
 *
 * Records are framed here by lines and quote parity: under RFC 4180 quotes
 * come in pairs, so a line ends its record exactly when the record holds an
 * even number of quotes so far. A row with no quote is split on commas (the
 * common case, and 3-4x faster than a general parser); a row with quotes goes
 * to csv-parse. Framing ourselves also gives each record its first line
 * number, and keeps a CSV error to its own record, so lenient mode resumes at
 * the next row (csv-parse's stream loses its quote state after an error).
 */
export class CsvTraceReader {
  private constructor(
    readonly path: string,
    readonly head: CsvTraceHead,
    private readonly input: TextInput,
    private rest: string,
    private readonly problems: TraceProblems,
  ) {}

  /** Open `path` and read up to and including the header row. */
  static async open(path: string, problems: TraceProblems): Promise<CsvTraceReader> {
    const gzip = isGzip(await readFileStart(path, 2));
    const input = new TextInput(path, openBytes(path, gzip));
    try {
      const meta: TraceMeta = {};
      let pending = '';
      let line = 0;
      let ended = false;
      for (;;) {
        let nl = pending.indexOf('\n');
        if (nl < 0 && !ended) {
          const chunk = await input.next(line + 1);
          if (chunk === null) ended = true;
          else pending += chunk;
          continue;
        }
        if (nl < 0 && pending.length === 0) {
          throw new TraceError(path, line + 1, null, 'the end of the file', `a header row naming the columns (${TRACE_COLUMNS.join(',')}) after the # lines`);
        }
        if (nl < 0) nl = pending.length;
        line++;
        let text = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        if (text.endsWith('\r')) text = text.slice(0, -1);
        if (text.trim() === '') continue;
        if (text.startsWith('#')) {
          const magic = MAGIC_LINE.exec(text);
          if (magic) {
            if (magic[1] !== '1') throw new TraceError(path, line, null, text, '"# heapreplay-trace v1": this reader reads trace format v1');
          } else {
            const m = META_LINE.exec(text);
            if (m) meta[m[1]!] = m[2]!.trim();
          }
          continue;
        }
        const columns = parseHeader(path, line, text);
        const head: CsvTraceHead = { meta, columns, hasTime: columns.includes('time_ns'), gzip, headerLine: line };
        return new CsvTraceReader(path, head, input, pending, problems);
      }
    } catch (err) {
      input.close();
      throw err;
    }
  }

  close(): void {
    this.input.close();
  }

  /**
   * Feed the rows to `onRecord(fields, line)`, synchronously, chunk by chunk;
   * yields after each chunk so the caller can hand out what the rows made.
   * `line` is the record's first physical line. A CSV or gzip error is thrown
   * as a TraceError, or in lenient mode counted and skipped (a truncated gzip
   * ends the pass at the last whole row).
   */
  async *records(onRecord: (fields: readonly string[], line: number) => void): AsyncGenerator<void> {
    const { path, problems } = this;
    let line = this.head.headerLine;
    /** Lines of a record whose quote is still open, its first line, and its quote count. */
    let open: string[] | null = null;
    let openLine = 0;
    let openQuotes = 0;

    const quoted = (text: string, first: number): void => {
      let fields: string[];
      try {
        const records = parseCsvSync(text, { relax_column_count: true, record_delimiter: '\n' }) as string[][];
        fields = records[0] ?? [''];
      } catch (err) {
        problems.report(csvError(path, first, err));
        return;
      }
      onRecord(fields, first);
    };

    const handleLine = (text: string): void => {
      if (open !== null) {
        open.push(text);
        openQuotes += countQuotes(text);
        if (openQuotes % 2 === 0) {
          const record = open.join('\n');
          open = null;
          quoted(record, openLine);
        }
        return;
      }
      if (text.length === 0) return;
      const c = text.charCodeAt(0);
      if (c === 35 /* # */) return;
      if ((c === 32 || c === 9) && text.trim() === '') return;
      if (text.indexOf('"') < 0) {
        onRecord(text.split(','), line);
        return;
      }
      const quotes = countQuotes(text);
      if (quotes % 2 === 0) quoted(text, line);
      else {
        open = [text];
        openLine = line;
        openQuotes = quotes;
      }
    };

    const handleText = (text: string): string => {
      let start = 0;
      // Most chunks hold no quote at all: their rows skip the per-line quote scan.
      const plain = open === null && text.indexOf('"') < 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) return text.slice(start);
        line++;
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        const first = text.charCodeAt(start);
        if (plain && end > start && first !== 35 /* # */ && first !== 32 && first !== 9) onRecord(text.slice(start, end).split(','), line);
        else handleLine(text.slice(start, end));
        start = nl + 1;
      }
    };

    try {
      let carry = handleText(this.rest);
      this.rest = '';
      yield;
      for (;;) {
        let chunk: string | null;
        try {
          chunk = await this.input.next(line + 1);
        } catch (err) {
          if (!(err instanceof TraceError) || !problems.lenient) throw err;
          // Rows already handed out stand; the partial row is dropped.
          problems.report(err);
          return;
        }
        if (chunk === null) break;
        carry = handleText(carry + chunk);
        yield;
      }
      if (carry.length > 0) {
        line++;
        handleLine(carry.endsWith('\r') ? carry.slice(0, -1) : carry);
      }
      if (open !== null) problems.report(csvError(path, openLine, { code: 'CSV_QUOTE_NOT_CLOSED' }));
      yield;
    } finally {
      this.close();
    }
  }
}

/** The metadata and columns of a CSV trace, reading only up to the header row. */
export async function readTraceHead(path: string): Promise<CsvTraceHead> {
  const reader = await CsvTraceReader.open(path, new TraceProblems(false));
  reader.close();
  return reader.head;
}

/**
 * A CSV trace (plain or gzip) as a TraceSource. Each `batches()` call is one
 * pass from the start; the id table persists across passes, so an id text
 * keeps its integer.
 */
export class CsvTraceSource implements TraceSource {
  readonly ids = new IdTable();
  skippedRows = 0;
  /** The first few problems of the last full lenient pass. */
  problems: string[] = [];
  private hash: Promise<string> | null = null;

  private constructor(
    readonly path: string,
    readonly head: CsvTraceHead,
    readonly lenient: boolean,
  ) {}

  static async open(path: string, options: ReadTraceOptions = {}): Promise<CsvTraceSource> {
    return new CsvTraceSource(path, await readTraceHead(path), options.lenient ?? false);
  }

  get meta(): TraceMeta {
    return this.head.meta;
  }

  get hasTime(): boolean {
    return this.head.hasTime;
  }

  get idCount(): number {
    return this.ids.size;
  }

  idName(id: number): string {
    return this.ids.name(id);
  }

  sha256(): Promise<string> {
    this.hash ??= hashFile(this.path);
    return this.hash;
  }

  async *batches(): AsyncGenerator<EventBatch> {
    const problems = new TraceProblems(this.lenient);
    const reader = await CsvTraceReader.open(this.path, problems);
    const validator = new RowValidator(this.path, reader.head.columns, this.ids, problems);
    const batcher = new Batcher(reader.head.hasTime);
    const onRecord = (fields: readonly string[], line: number): void => {
      if (validator.check(fields, line)) batcher.push(validator.row);
    };
    for await (const _ of reader.records(onRecord)) {
      for (const batch of batcher.take()) yield batch;
    }
    batcher.finish();
    for (const batch of batcher.take()) yield batch;
    this.skippedRows = problems.skippedRows;
    this.problems = problems.messages;
  }
}

/** A CSV trace's validated events as objects (allocates per event: for tools and tests; the replayer uses batches). */
export async function* readTraceEvents(path: string, options: ReadTraceOptions = {}): AsyncGenerator<TraceEvent> {
  const source = await CsvTraceSource.open(path, options);
  for await (const batch of source.batches()) yield* batchEvents(batch, (id) => source.idName(id), source.hasTime);
}

// Reads trace format v1 as CSV, plain or gzip (detected by the 1f 8b magic,
// whatever the file is called), streamed so memory does not grow with the
// file. The head (magic line, `# key: value` metadata, header row) is read
// by line. Rows are handled as bytes: each is first offered to the sink's
// byte fast path (plain-row.ts validates and stores it without making a
// string); a row that path declines is decoded, framed by quote parity and
// parsed with csv-parse when it holds quotes (RFC 4180), split on commas when
// it does not (see CsvTraceReader), and validated by RowValidator. Rows reach
// the sink synchronously with their first physical line number; validation
// is the sink's, so this file only knows bytes, lines and CSV.
//
// The `# heapreplay-trace v1` magic line is optional: hand-written and
// converted traces often lack it, and the header row (op column required,
// unknown columns rejected) already tells a trace from other CSV. A magic line
// with another version is an error.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { CsvError } from 'csv-parse';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { Batcher, batchEvents } from './batcher.ts';
import { FileTraceSource, hashFile } from './file-trace-source.ts';
import { PlainRowParser } from './plain-row.ts';
import { RowValidator, TraceProblems } from './validate.ts';
import { OP_NAMES, TRACE_COLUMNS, TraceError, type EventBatch, type TraceColumn, type TraceEvent, type TraceMeta } from './types.ts';

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


/** The decompressed bytes of a file, chunk by chunk. */
interface ByteInput {
  chunks: AsyncIterator<Buffer>;
  close(): void;
}

/**
 * Read size and inflate output size. Measured on a 54 MB (2 M-event) trace:
 * 1 MiB reads with 256 KiB inflate chunks cost about half the CPU of 64 KiB
 * ones (fewer zlib calls, stream hand-offs and row carries), and the chunks
 * stay small enough to hand batches out regularly.
 */
export const READ_BYTES = 1 << 20;
export const INFLATE_CHUNK_BYTES = 1 << 18;

function openBytes(path: string, gzip: boolean): ByteInput {
  const file = createReadStream(path, { highWaterMark: READ_BYTES });
  if (!gzip) return { chunks: file[Symbol.asyncIterator](), close: () => file.destroy() };
  const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK_BYTES });
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

/** Decompressed bytes of the input, chunk by chunk; null at the end. Zlib failures surface as TraceErrors in `line`. */
class ChunkInput {
  constructor(
    private readonly path: string,
    private readonly bytes: ByteInput,
  ) {}

  async next(line: number): Promise<Buffer | null> {
    let next: IteratorResult<Buffer>;
    try {
      next = await this.bytes.chunks.next();
    } catch (err) {
      if (isZlibError(err)) throw gzipError(this.path, line, err);
      throw err;
    }
    return next.done ? null : next.value;
  }

  close(): void {
    this.bytes.close();
  }
}

/**
 * Where the rows go. Every row is first offered as bytes to `plainRow`
 * (the fast path: validate and store without making strings); a row it
 * declines is decoded, split into fields (csv-parse when it holds quotes)
 * and handed to `record`.
 */
export interface RecordSink {
  /**
   * Take the row that starts at buf[start] (a newline follows it within buf)
   * and return the index of its newline; or return -1, changing nothing, to
   * get the row as fields.
   */
  plainRow(buf: Uint8Array, start: number, line: number): number;
  record(fields: readonly string[], line: number): void;
}

const NEWLINE = 10;
const CR = 13;
const NEWLINE_BYTE = Buffer.from('\n');

/**
 * One pass over a CSV trace: the head on open, then the rows.
 *
 * The reader works on the decompressed bytes, a chunk at a time up to its
 * last newline (the rest is carried into the next chunk). Each line is
 * offered to the sink's byte fast path first, which finds the line's end as
 * it parses; lines it declines are found with Buffer.indexOf (memchr),
 * decoded (UTF-8) and framed by quote
 * parity: under RFC 4180 quotes come in pairs, so a line ends its record
 * exactly when the record holds an even number of quotes so far. A record
 * with no quote is split on commas; one with quotes goes to csv-parse.
 * Framing ourselves gives each record its first line number, and keeps a CSV
 * error to its own record, so lenient mode resumes at the next row
 * (csv-parse's stream loses its quote state after an error). '\n' never
 * occurs inside a multi-byte UTF-8 character, so byte lines are text lines.
 */
export class CsvTraceReader {
  private constructor(
    readonly path: string,
    readonly head: CsvTraceHead,
    private readonly input: ChunkInput,
    private rest: Buffer,
    private readonly problems: TraceProblems,
  ) {}

  /** Open `path` and read up to and including the header row. */
  static async open(path: string, problems: TraceProblems): Promise<CsvTraceReader> {
    const gzip = isGzip(await readFileStart(path, 2));
    const input = new ChunkInput(path, openBytes(path, gzip));
    try {
      const meta: TraceMeta = {};
      let pending: Buffer = Buffer.alloc(0);
      let pos = 0;
      let line = 0;
      let ended = false;
      for (;;) {
        let nl = pending.indexOf(NEWLINE, pos);
        if (nl < 0 && !ended) {
          const chunk = await input.next(line + 1);
          if (chunk === null) ended = true;
          else {
            pending = Buffer.concat([pending.subarray(pos), chunk]);
            pos = 0;
          }
          continue;
        }
        if (nl < 0 && pos >= pending.length) {
          throw new TraceError(path, line + 1, null, 'the end of the file', `a header row naming the columns (${TRACE_COLUMNS.join(',')}) after the # lines`);
        }
        if (nl < 0) nl = pending.length;
        line++;
        let text = pending.toString('utf8', pos, nl);
        pos = nl + 1;
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
        return new CsvTraceReader(path, head, input, pending.subarray(Math.min(pos, pending.length)), problems);
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
   * Feed the rows to `sink`, synchronously, chunk by chunk; yields after each
   * chunk so the caller can hand out what the rows made. A row's line is its
   * record's first physical line. A CSV or gzip error is thrown as a
   * TraceError, or in lenient mode counted and skipped (a truncated gzip ends
   * the pass at the last whole row).
   */
  async *records(sink: RecordSink): AsyncGenerator<void> {
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
      sink.record(fields, first);
    };

    /** A line the fast path declined (or that continues an open quoted record), as text. */
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
        sink.record(text.split(','), line);
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

    /** The lines of buf[start, limit); limit is just past a newline. */
    const handleLines = (buf: Buffer, start: number, limit: number): void => {
      let pos = start;
      while (pos < limit) {
        line++;
        if (open === null) {
          // The common case, kept tight: one call per row, no string.
          const nl = sink.plainRow(buf, pos, line);
          if (nl >= 0) {
            pos = nl + 1;
            continue;
          }
        }
        const nl = buf.indexOf(NEWLINE, pos);
        const end = nl > pos && buf[nl - 1] === CR ? nl - 1 : nl;
        handleLine(buf.toString('utf8', pos, end));
        pos = nl + 1;
      }
    };

    /** Bytes of a line that began in an earlier chunk. */
    let carry: Buffer | null = null;
    const handleChunk = (chunk: Buffer): void => {
      const lastNewline = chunk.lastIndexOf(NEWLINE);
      if (lastNewline < 0) {
        if (chunk.length > 0) carry = carry === null ? Buffer.from(chunk) : Buffer.concat([carry, chunk]);
        return;
      }
      let from = 0;
      if (carry !== null) {
        const nl = chunk.indexOf(NEWLINE);
        const joined = Buffer.concat([carry, chunk.subarray(0, nl + 1)]);
        carry = null;
        handleLines(joined, 0, joined.length);
        from = nl + 1;
      }
      handleLines(chunk, from, lastNewline + 1);
      // A copy, so the carried bytes do not pin (or see reuse of) the chunk.
      if (lastNewline + 1 < chunk.length) carry = Buffer.from(chunk.subarray(lastNewline + 1));
    };

    try {
      handleChunk(this.rest);
      this.rest = Buffer.alloc(0);
      yield;
      for (;;) {
        let chunk: Buffer | null;
        try {
          chunk = await this.input.next(line + 1);
        } catch (err) {
          if (!(err instanceof TraceError) || !problems.lenient) throw err;
          // Rows already handed out stand; the partial row is dropped.
          problems.report(err);
          return;
        }
        if (chunk === null) break;
        handleChunk(chunk);
        yield;
      }
      // The last line has no newline: give it one, and it is framed like the others.
      if (carry !== null) {
        const last = Buffer.concat([carry, NEWLINE_BYTE]);
        handleLines(last, 0, last.length);
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
export class CsvTraceSource extends FileTraceSource {
  /** The first few problems of the last full lenient pass. */
  problems: string[] = [];
  /**
   * Whether rows may take the byte fast path (plain-row.ts). False sends every
   * row down the string path: the reference the fast path must equal, which
   * the tests compare it with.
   */
  fastPath = true;
  private constructor(
    path: string,
    readonly head: CsvTraceHead,
    readonly lenient: boolean,
  ) {
    super(path, head);
  }

  static async open(path: string, options: ReadTraceOptions = {}): Promise<CsvTraceSource> {
    return new CsvTraceSource(path, await readTraceHead(path), options.lenient ?? false);
  }

  async *batches(): AsyncGenerator<EventBatch> {
    const problems = new TraceProblems(this.lenient);
    const reader = await CsvTraceReader.open(this.path, problems);
    const validator = new RowValidator(this.path, reader.head.columns, this.ids, problems);
    const batcher = new Batcher(reader.head.hasTime);
    const fast = this.fastPath ? new PlainRowParser(reader.head.columns, this.ids, validator.pass, batcher) : null;
    const sink: RecordSink = {
      plainRow: (buf, start, line) => (fast === null ? -1 : fast.accept(buf, start, line)),
      record: (fields, line) => {
        if (validator.check(fields, line)) batcher.push(validator.row);
      },
    };
    for await (const _ of reader.records(sink)) {
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
export { hashFile };

// The compiled binary form of a trace (`.hrt`): validated once, then replayed
// many times at typed-array speed. Layout, all little-endian:
//
//   header   magic (8 bytes, PNG-style so text-mode copies are caught)
//            u32 version, u32 flags (bit 0: has time_ns), u32 n, n bytes of meta JSON
//   blocks   u32 kind, u32 payload length, payload; kinds:
//     NAMES  u32 first id, u32 count, then per name: u8 length, ASCII bytes
//            (the ids interned since the previous NAMES block, in id order)
//     EVENTS u32 n, u32 label count, then columns laid out so a block read into
//            a fresh buffer can be viewed without copying: f64 size[n],
//            f64 time[n] (only with time), u32 id[n], u32 line[n], u16 thread[n],
//            u8 op[n], u8 domain[n], u8 align[n] (0: none, k+1: 2^k);
//            then per label: u32 index, u32 byte length, UTF-8 bytes
//     END    f64 events, u32 id count, u32 rows skipped when compiling
//
// Blocks stream: a reader holds one block at a time, so memory grows with the
// id table only, never with trace length. A file without its END block is
// truncated and is rejected.
import { open } from 'node:fs/promises';
import { streamFileAtomic } from '../harness/output-file.ts';
import { IdTable } from './id-table.ts';
import { FileTraceSource } from './file-trace-source.ts';
import { CsvTraceSource, readFileStart, type ReadTraceOptions } from './reader.ts';
import { TraceError, type EventBatch, type TraceMeta, type TraceSource } from './types.ts';

export const COMPILED_EXTENSION = '.hrt';
export const COMPILED_MAGIC = Uint8Array.from([0x89, 0x48, 0x52, 0x54, 0x0d, 0x0a, 0x1a, 0x0a]);
export const COMPILED_VERSION = 1;

const KIND_NAMES = 1;
const KIND_EVENTS = 2;
const KIND_END = 3;
const FLAG_HAS_TIME = 1;
const BLOCK_HEADER = 8;

export function isCompiled(start: Uint8Array): boolean {
  if (start.length < COMPILED_MAGIC.length) return false;
  for (let i = 0; i < COMPILED_MAGIC.length; i++) if (start[i] !== COMPILED_MAGIC[i]) return false;
  return true;
}

/** Encoded alignment: 0 for none, k+1 for 2^k (alignments are powers of two up to 2^40). */
function alignCode(align: number): number {
  return align === 0 ? 0 : Math.round(Math.log2(align)) + 1;
}

const ALIGN_OF_CODE = new Float64Array(64);
for (let k = 0; k < 63; k++) ALIGN_OF_CODE[k + 1] = 2 ** k;

function blockHeader(kind: number, length: number): Uint8Array {
  const b = new Uint8Array(BLOCK_HEADER);
  const v = new DataView(b.buffer);
  v.setUint32(0, kind, true);
  v.setUint32(4, length, true);
  return b;
}

function encodeHeader(meta: TraceMeta, hasTime: boolean): Uint8Array {
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const out = new Uint8Array(20 + json.length);
  out.set(COMPILED_MAGIC, 0);
  const v = new DataView(out.buffer);
  v.setUint32(8, COMPILED_VERSION, true);
  v.setUint32(12, hasTime ? FLAG_HAS_TIME : 0, true);
  v.setUint32(16, json.length, true);
  out.set(json, 20);
  return out;
}

/** A NAMES block for ids first .. end-1, their tokens copied from the id table's bytes (no strings made). */
function encodeNames(ids: IdTable, first: number, end: number): Uint8Array {
  let bytes = 8;
  for (let id = first; id < end; id++) bytes += 1 + ids.byteLength(id);
  const out = new Uint8Array(BLOCK_HEADER + bytes);
  out.set(blockHeader(KIND_NAMES, bytes), 0);
  const v = new DataView(out.buffer);
  v.setUint32(BLOCK_HEADER, first, true);
  v.setUint32(BLOCK_HEADER + 4, end - first, true);
  let p = BLOCK_HEADER + 8;
  for (let id = first; id < end; id++) {
    // Tokens are at most 64 ASCII bytes (validated; the id table refuses longer), so a u8 length suffices.
    out[p] = ids.byteLength(id);
    p += 1 + ids.copyName(id, out, p + 1);
  }
  return out;
}

/** Byte offsets of each column inside an EVENTS payload of n events. */
function eventsLayout(n: number, hasTime: boolean) {
  const size = 8;
  const time = size + 8 * n;
  const id = time + (hasTime ? 8 * n : 0);
  const line = id + 4 * n;
  const thread = line + 4 * n;
  const op = thread + 2 * n;
  const domain = op + n;
  const align = domain + n;
  const labels = align + n;
  return { size, time, id, line, thread, op, domain, align, labels };
}

function encodeEvents(batch: EventBatch, hasTime: boolean): Uint8Array {
  const n = batch.length;
  const at = eventsLayout(n, hasTime);
  const labels: [number, Buffer][] = [];
  let labelBytes = 0;
  for (const [index, text] of batch.labels) {
    const bytes = Buffer.from(text, 'utf8');
    labels.push([index, bytes]);
    labelBytes += 8 + bytes.length;
  }
  const payload = at.labels + labelBytes;
  const buf = new ArrayBuffer(BLOCK_HEADER + payload);
  const out = new Uint8Array(buf);
  out.set(blockHeader(KIND_EVENTS, payload), 0);
  const base = BLOCK_HEADER;
  const v = new DataView(buf);
  v.setUint32(base, n, true);
  v.setUint32(base + 4, labels.length, true);
  // The block header is 8 bytes, so payload offsets keep their 8-byte alignment in this buffer.
  new Float64Array(buf, base + at.size, n).set(batch.size.subarray(0, n));
  if (hasTime) new Float64Array(buf, base + at.time, n).set(batch.timeNs.subarray(0, n));
  new Uint32Array(buf, base + at.id, n).set(batch.id.subarray(0, n));
  new Uint32Array(buf, base + at.line, n).set(batch.line.subarray(0, n));
  new Uint16Array(buf, base + at.thread, n).set(batch.thread.subarray(0, n));
  out.set(batch.op.subarray(0, n), base + at.op);
  out.set(batch.domain.subarray(0, n), base + at.domain);
  const align = batch.align;
  for (let i = 0; i < n; i++) if (align[i] !== 0) out[base + at.align + i] = alignCode(align[i]!);
  let p = base + at.labels;
  for (const [index, bytes] of labels) {
    v.setUint32(p, index, true);
    v.setUint32(p + 4, bytes.length, true);
    out.set(bytes, p + 8);
    p += 8 + bytes.length;
  }
  return out;
}

function encodeEnd(events: number, idCount: number, skippedRows: number): Uint8Array {
  const out = new Uint8Array(BLOCK_HEADER + 16);
  out.set(blockHeader(KIND_END, 16), 0);
  const v = new DataView(out.buffer);
  v.setFloat64(BLOCK_HEADER, events, true);
  v.setUint32(BLOCK_HEADER + 8, idCount, true);
  v.setUint32(BLOCK_HEADER + 12, skippedRows, true);
  return out;
}

export interface CompileSummary {
  events: number;
  /** Bytes of the compiled file. */
  bytes: number;
  /** Rows skipped (lenient mode) while reading the input. */
  skippedRows: number;
  /** The first few problems in lenient mode. */
  problems: string[];
}

/** Write any TraceSource in compiled form, atomically. */
export async function writeCompiledTrace(source: TraceSource, outPath: string): Promise<CompileSummary> {
  const summary: CompileSummary = { events: 0, bytes: 0, skippedRows: 0, problems: [] };
  async function* blocks(): AsyncGenerator<Uint8Array> {
    const emit = (b: Uint8Array): Uint8Array => {
      summary.bytes += b.length;
      return b;
    };
    yield emit(encodeHeader(source.meta, source.hasTime));
    let named = 0;
    // The sources of this package keep their names as bytes; another TraceSource's are copied over as they appear.
    const own = source instanceof CsvTraceSource || source instanceof CompiledTraceSource;
    const table = own ? source.ids : new IdTable();
    for await (const batch of source.batches()) {
      if (source.idCount > named) {
        if (!own) for (let id = table.size; id < source.idCount; id++) table.appendDistinct([source.idName(id)]);
        yield emit(encodeNames(table, named, source.idCount));
        named = source.idCount;
      }
      yield emit(encodeEvents(batch, source.hasTime));
      summary.events += batch.length;
    }
    summary.skippedRows = source.skippedRows;
    yield emit(encodeEnd(summary.events, source.idCount, source.skippedRows));
  }
  await streamFileAtomic(outPath, blocks());
  if (source instanceof CsvTraceSource) summary.problems = source.problems;
  return summary;
}

/**
 * Validate a trace (CSV, gzip CSV or compiled) and write its compiled form.
 * Nothing is written when validation fails (strict mode).
 */
export async function compileTrace(inPath: string, outPath: string, options: ReadTraceOptions = {}): Promise<CompileSummary> {
  const source = isCompiled(await readFileStart(inPath, COMPILED_MAGIC.length)) ? await CompiledTraceSource.open(inPath) : await CsvTraceSource.open(inPath, options);
  return writeCompiledTrace(source, outPath);
}

interface CompiledHeader {
  meta: TraceMeta;
  hasTime: boolean;
  /** Byte offset of the first block. */
  blocksStart: number;
}

async function readCompiledHeader(path: string): Promise<CompiledHeader> {
  const fh = await open(path, 'r');
  try {
    const fixed = Buffer.alloc(20);
    const { bytesRead } = await fh.read(fixed, 0, 20, 0);
    if (bytesRead < 20 || !isCompiled(fixed)) throw corrupt(path, 'a file too short for a compiled trace header', 'a compiled trace header');
    const version = fixed.readUInt32LE(8);
    if (version !== COMPILED_VERSION) {
      throw new TraceError(path, 0, null, `compiled format version ${version}`, `compiled format version ${COMPILED_VERSION} (compile the trace again with this heapreplay)`);
    }
    const flags = fixed.readUInt32LE(12);
    const metaLength = fixed.readUInt32LE(16);
    const json = Buffer.alloc(metaLength);
    const got = await fh.read(json, 0, metaLength, 20);
    if (got.bytesRead < metaLength) throw corrupt(path, 'a truncated metadata section', 'a whole compiled trace');
    let meta: TraceMeta;
    try {
      meta = JSON.parse(json.toString('utf8')) as TraceMeta;
    } catch {
      throw corrupt(path, 'unreadable metadata', 'a whole compiled trace');
    }
    return { meta, hasTime: (flags & FLAG_HAS_TIME) !== 0, blocksStart: 20 + metaLength };
  } finally {
    await fh.close();
  }
}

/** Binary files have no lines: errors point at line 0 and say where in the bytes. */
function corrupt(path: string, found: string, expected: string): TraceError {
  return new TraceError(path, 0, null, found, `${expected}; the compiled file is damaged or truncated, compile it again`);
}

/** A compiled trace as a TraceSource. */
export class CompiledTraceSource extends FileTraceSource {
  private constructor(
    path: string,
    private readonly compiledHeader: CompiledHeader,
  ) {
    super(path, compiledHeader);
  }

  static async open(path: string): Promise<CompiledTraceSource> {
    return new CompiledTraceSource(path, await readCompiledHeader(path));
  }

  async *batches(): AsyncGenerator<EventBatch> {
    const fh = await open(this.path, 'r');
    try {
      const fileSize = (await fh.stat()).size;
      const head = Buffer.alloc(BLOCK_HEADER);
      let pos = this.compiledHeader.blocksStart;
      for (;;) {
        if (pos + BLOCK_HEADER > fileSize) throw corrupt(this.path, `the end of the file at byte ${pos} before the END block`, 'a whole compiled trace');
        await fh.read(head, 0, BLOCK_HEADER, pos);
        const kind = head.readUInt32LE(0);
        const length = head.readUInt32LE(4);
        pos += BLOCK_HEADER;
        if (pos + length > fileSize) throw corrupt(this.path, `a block at byte ${pos - BLOCK_HEADER} that needs ${length} bytes, past the end of the file (${fileSize} bytes)`, 'a whole compiled trace');
        // A fresh ArrayBuffer per block keeps the payload 8-byte aligned for the Float64 views.
        const payload = new ArrayBuffer(length);
        await fh.read(new Uint8Array(payload), 0, length, pos);
        pos += length;
        if (kind === KIND_EVENTS) yield this.decodeEvents(payload);
        else if (kind === KIND_NAMES) this.decodeNames(payload);
        else if (kind === KIND_END) {
          this.skippedRows = new DataView(payload).getUint32(12, true);
          return;
        } else throw corrupt(this.path, `an unknown block kind ${kind} at byte ${pos - length - BLOCK_HEADER}`, 'a block of kind NAMES, EVENTS or END');
      }
    } finally {
      await fh.close();
    }
  }

  private decodeNames(payload: ArrayBuffer): void {
    const bytes = new Uint8Array(payload);
    const v = new DataView(payload);
    const first = v.getUint32(0, true);
    const count = v.getUint32(4, true);
    // Later passes see names the table already holds; the first pass fills it.
    if (first + count <= this.ids.size) return;
    if (first !== this.ids.size) throw corrupt(this.path, `a names block starting at id ${first} after ${this.ids.size} ids`, 'names blocks in id order');
    // The tokens go into the id table as bytes: no string per name until someone asks for one.
    let p = 8;
    for (let k = 0; k < count; k++) {
      const n = bytes[p++]!;
      if (p + n > bytes.length) throw corrupt(this.path, `a names block whose name ${first + k} runs past the block`, 'a whole compiled trace');
      this.ids.appendDistinctBytes(bytes, p, p + n);
      p += n;
    }
  }

  private decodeEvents(payload: ArrayBuffer): EventBatch {
    const v = new DataView(payload);
    const n = v.getUint32(0, true);
    const labelCount = v.getUint32(4, true);
    const at = eventsLayout(n, this.compiledHeader.hasTime);
    const alignCodes = new Uint8Array(payload, at.align, n);
    const align = new Float64Array(n);
    for (let i = 0; i < n; i++) if (alignCodes[i] !== 0) align[i] = ALIGN_OF_CODE[alignCodes[i]!]!;
    const labels = new Map<number, string>();
    let p = at.labels;
    for (let k = 0; k < labelCount; k++) {
      const index = v.getUint32(p, true);
      const len = v.getUint32(p + 4, true);
      labels.set(index, Buffer.from(payload, p + 8, len).toString('utf8'));
      p += 8 + len;
    }
    return {
      length: n,
      op: new Uint8Array(payload, at.op, n),
      id: new Uint32Array(payload, at.id, n),
      size: new Float64Array(payload, at.size, n),
      align,
      thread: new Uint16Array(payload, at.thread, n),
      timeNs: this.compiledHeader.hasTime ? new Float64Array(payload, at.time, n) : new Float64Array(n).fill(NaN),
      domain: new Uint8Array(payload, at.domain, n),
      line: new Uint32Array(payload, at.line, n),
      labels,
    };
  }
}

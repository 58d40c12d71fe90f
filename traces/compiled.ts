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
import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
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
      if (source instanceof CompiledTraceSource) source.internPendingNames();
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
  /** The id count of the END block when the file ends with one (it always does unless damaged or appended to), else null. */
  finalIdCount: number | null;
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
    // The END block is the last 24 bytes of a whole file. Read here, it tells
    // the replayer how many ids to make room for before the first event, in
    // place of growing its table by doubling (copies of up to hundreds of MB).
    let finalIdCount: number | null = null;
    const size = (await fh.stat()).size;
    if (size >= 20 + metaLength + BLOCK_HEADER + 16) {
      const end = Buffer.alloc(BLOCK_HEADER + 16);
      const last = await fh.read(end, 0, end.length, size - end.length);
      if (last.bytesRead === end.length && end.readUInt32LE(0) === KIND_END && end.readUInt32LE(4) === 16) {
        const ids = end.readUInt32LE(BLOCK_HEADER + 8);
        // Every id costs at least two bytes of a NAMES block: a larger count is damage, not a size to allocate.
        if (ids <= size / 2) finalIdCount = ids;
      }
    }
    return { meta, hasTime: (flags & FLAG_HAS_TIME) !== 0, blocksStart: 20 + metaLength, finalIdCount };
  } finally {
    await fh.close();
  }
}

/** Binary files have no lines: errors point at line 0 and say where in the bytes. */
function corrupt(path: string, found: string, expected: string): TraceError {
  return new TraceError(path, 0, null, found, `${expected}; the compiled file is damaged or truncated, compile it again`);
}

/** How one pass over a compiled trace hands out its batches. */
export interface CompiledPassOptions {
  /**
   * Read every block into the same buffers, so a pass allocates nothing per
   * block: each batch is then valid only until the next one is asked for. A
   * fresh 2 MB ArrayBuffer per block costs page faults on the read and, being
   * external memory, a full garbage collection every few dozen blocks; the
   * replayer, which is done with a batch before it asks for the next, takes
   * this. Default false: fresh arrays per batch that a consumer may keep.
   */
  reuseBuffers?: boolean;
}

/** Bytes read per call when hashing what follows the END block. */
const TAIL_CHUNK = 1 << 20;

/** The buffers one pass with reuseBuffers reads every block into. */
interface PassScratch {
  payload: ArrayBuffer | null;
  align: Float64Array | null;
  /** The time column of a trace without times: NaN throughout and never written, so one array serves every block. */
  nan: Float64Array | null;
}

/** The reused payload buffer, grown (doubling) to hold `length` bytes. */
function payloadBuffer(scratch: PassScratch, length: number): ArrayBuffer {
  if (scratch.payload === null || scratch.payload.byteLength < length) {
    let size = scratch.payload === null ? 1 << 16 : scratch.payload.byteLength;
    while (size < length) size *= 2;
    scratch.payload = new ArrayBuffer(size);
  }
  return scratch.payload;
}

function alignColumn(scratch: PassScratch, n: number): Float64Array {
  if (scratch.align === null || scratch.align.length < n) scratch.align = new Float64Array(n);
  return scratch.align.subarray(0, n);
}

function nanColumn(scratch: PassScratch, n: number): Float64Array {
  if (scratch.nan === null || scratch.nan.length < n) scratch.nan = new Float64Array(n).fill(NaN);
  return scratch.nan.subarray(0, n);
}

/** A compiled trace as a TraceSource. */
export class CompiledTraceSource extends FileTraceSource {
  /** NAMES blocks read but not yet interned (see decodeNames), and how many names they hold. */
  private pendingNames: Uint8Array[] = [];
  private pendingCount = 0;
  /** sha256 of the file, known once a pass has read every byte of it. */
  private streamedHash: string | null = null;
  /** Someone asked for the hash before a pass had it: the base class hashes the file in a pass of its own. */
  private hashAsked = false;

  private constructor(
    path: string,
    private readonly compiledHeader: CompiledHeader,
  ) {
    super(path, compiledHeader);
  }

  static async open(path: string): Promise<CompiledTraceSource> {
    return new CompiledTraceSource(path, await readCompiledHeader(path));
  }

  /**
   * How many ids a whole pass will have interned, from the END block; null when
   * the file does not end with one. A hint for sizing per-id tables: the pass
   * itself still checks every block.
   */
  get finalIdCount(): number | null {
    return this.compiledHeader.finalIdCount;
  }

  /**
   * The hash of the stored bytes. The first complete pass hashes the bytes it
   * reads anyway (the replay reads every byte of the file), so a run does not
   * read a big trace a second time just to name it.
   */
  override sha256(): Promise<string> {
    if (this.streamedHash !== null) return Promise.resolve(this.streamedHash);
    this.hashAsked = true;
    return super.sha256();
  }

  async *batches(options: CompiledPassOptions = {}): AsyncGenerator<EventBatch> {
    // The reused buffers belong to this pass, so two passes over one source never share them.
    const scratch: PassScratch | null = options.reuseBuffers ? { payload: null, align: null, nan: null } : null;
    const fh = await open(this.path, 'r');
    try {
      const fileSize = (await fh.stat()).size;
      const head = Buffer.alloc(BLOCK_HEADER);
      let pos = this.compiledHeader.blocksStart;
      const hash = this.streamedHash === null && !this.hashAsked ? createHash('sha256') : null;
      if (hash !== null) {
        const start = Buffer.alloc(pos);
        await fh.read(start, 0, pos, 0);
        hash.update(start);
      }
      for (;;) {
        if (pos + BLOCK_HEADER > fileSize) throw corrupt(this.path, `the end of the file at byte ${pos} before the END block`, 'a whole compiled trace');
        await fh.read(head, 0, BLOCK_HEADER, pos);
        const kind = head.readUInt32LE(0);
        const length = head.readUInt32LE(4);
        pos += BLOCK_HEADER;
        if (pos + length > fileSize) throw corrupt(this.path, `a block at byte ${pos - BLOCK_HEADER} that needs ${length} bytes, past the end of the file (${fileSize} bytes)`, 'a whole compiled trace');
        // An ArrayBuffer of its own (fresh, or the reused one) keeps the payload 8-byte aligned for the Float64 views.
        const payload = scratch !== null ? payloadBuffer(scratch, length) : new ArrayBuffer(length);
        const bytes = new Uint8Array(payload, 0, length);
        await fh.read(bytes, 0, length, pos);
        pos += length;
        if (hash !== null) {
          hash.update(head);
          hash.update(bytes);
        }
        if (kind === KIND_EVENTS) yield this.decodeEvents(payload, scratch);
        else if (kind === KIND_NAMES) this.decodeNames(bytes);
        else if (kind === KIND_END) {
          this.skippedRows = new DataView(payload).getUint32(12, true);
          if (hash !== null) await this.finishHash(hash, fh, pos, fileSize);
          return;
        } else throw corrupt(this.path, `an unknown block kind ${kind} at byte ${pos - length - BLOCK_HEADER}`, 'a block of kind NAMES, EVENTS or END');
      }
    } finally {
      await fh.close();
    }
  }

  /** Hash whatever follows the END block (nothing, in a file this package wrote) and keep the digest. */
  private async finishHash(hash: Hash, fh: FileHandle, pos: number, fileSize: number): Promise<void> {
    if (pos < fileSize) {
      const chunk = Buffer.alloc(Math.min(TAIL_CHUNK, fileSize - pos));
      while (pos < fileSize) {
        const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, fileSize - pos), pos);
        if (bytesRead === 0) return; // the file shrank under us: leave the hash to a pass of its own
        hash.update(chunk.subarray(0, bytesRead));
        pos += bytesRead;
      }
    }
    this.streamedHash = hash.digest('hex');
  }

  /**
   * Take a NAMES block. Its names are checked now but interned only when one
   * is asked for (an error message, a retention finding, a compile): a replay
   * names almost no block, and interning millions of fresh ids cost a third
   * of a bare replay. The block is kept as bytes, about what the id table
   * would hold anyway.
   */
  private decodeNames(bytes: Uint8Array): void {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const first = v.getUint32(0, true);
    const count = v.getUint32(4, true);
    const known = this.idCount;
    // Later passes see names the source already holds; the first pass collects them.
    if (first + count <= known) return;
    if (first !== known) throw corrupt(this.path, `a names block starting at id ${first} after ${known} ids`, 'names blocks in id order');
    let p = 8;
    for (let k = 0; k < count; k++) {
      // A length byte, then that many bytes, all inside the block.
      if (p >= bytes.length || p + 1 + bytes[p]! > bytes.length) throw corrupt(this.path, `a names block whose name ${first + k} runs past the block`, 'a whole compiled trace');
      p += 1 + bytes[p]!;
    }
    // A copy: with reuseBuffers the next block overwrites these bytes.
    this.pendingNames.push(bytes.slice());
    this.pendingCount += count;
  }

  override get idCount(): number {
    return this.ids.size + this.pendingCount;
  }

  override idName(id: number): string {
    if (id >= this.ids.size) this.internPendingNames();
    return super.idName(id);
  }

  /** Intern the names collected since the last call, in id order; `ids` then holds every id seen. */
  internPendingNames(): void {
    for (const bytes of this.pendingNames) {
      const count = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
      // The tokens go into the id table as bytes: no string per name until someone asks for one.
      let p = 8;
      for (let k = 0; k < count; k++) {
        const n = bytes[p++]!;
        this.ids.appendDistinctBytes(bytes, p, p + n);
        p += n;
      }
    }
    this.pendingNames = [];
    this.pendingCount = 0;
  }


  private decodeEvents(payload: ArrayBuffer, scratch: PassScratch | null): EventBatch {
    const v = new DataView(payload);
    const n = v.getUint32(0, true);
    const labelCount = v.getUint32(4, true);
    const hasTime = this.compiledHeader.hasTime;
    const at = eventsLayout(n, hasTime);
    const alignCodes = new Uint8Array(payload, at.align, n);
    const align = scratch !== null ? alignColumn(scratch, n) : new Float64Array(n);
    // Every element is written: a reused column holds the previous block's values.
    for (let i = 0; i < n; i++) {
      const code = alignCodes[i]!;
      align[i] = code === 0 ? 0 : ALIGN_OF_CODE[code]!;
    }
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
      timeNs: hasTime ? new Float64Array(payload, at.time, n) : scratch !== null ? nanColumn(scratch, n) : new Float64Array(n).fill(NaN),
      domain: new Uint8Array(payload, at.domain, n),
      line: new Uint32Array(payload, at.line, n),
      labels,
    };
  }
}

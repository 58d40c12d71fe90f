// The row rules of trace format v1. Every CSV record passes through one
// RowValidator, which either fills its reused `row` with the typed event or
// reports a located TraceError (thrown in strict mode, counted and skipped in
// lenient mode). Decisions beyond DESIGN.md, each a typo guard:
//   - a cell an op does not use must be empty: size on free/mark, align on
//     anything but memalign, label on anything but mark, id on mark;
//   - thread, domain and time_ns apply to every op (a mark happens at a time);
//   - an empty time_ns cell in a trace that has the column means "no time has
//     passed since the previous row" (0 before the first timed row);
//   - size and time_ns are decimal integers up to 2^53 (exact in a double).
import type { IdTable } from './id-table.ts';
import { NO_ID, OP, TRACE_COLUMNS, TraceError, type OpCode, type TraceColumn } from './types.ts';

/** One validated event. The validator reuses a single instance: copy what you keep. */
export interface ValidRow {
  op: OpCode;
  /** Interned id, NO_ID for marks. */
  id: number;
  /** The id text, null for marks. */
  idText: string | null;
  size: number;
  align: number;
  thread: number;
  /** Nanoseconds, NaN when the trace has no time_ns column. */
  timeNs: number;
  /** DOMAIN code. */
  domain: number;
  label: string | null;
  line: number;
}

/** Lenient-mode accounting; in strict mode `report` rethrows. */
export class TraceProblems {
  skippedRows = 0;
  /** The first few problem messages, for the user to start fixing from. */
  readonly messages: string[] = [];

  constructor(
    readonly lenient: boolean,
    private readonly keepMessages = 10,
  ) {}

  report(err: TraceError): void {
    if (!this.lenient) throw err;
    this.skippedRows++;
    if (this.messages.length < this.keepMessages) this.messages.push(err.message);
  }
}

const OP_LIST = 'one of malloc, calloc, realloc, memalign, free, mark (lower case)';
const ID_RULE = 'an id token of 1-64 characters from A-Z a-z 0-9 _ . : -';
export const MAX_ALIGN = 2 ** 40;

/** Char codes (and bytes) allowed in an id token: [A-Za-z0-9_.:-]; 256 entries so a byte needs no range check. */
export const ID_CHAR = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-') ID_CHAR[c.charCodeAt(0)] = 1;

function isIdToken(text: string): boolean {
  const n = text.length;
  if (n === 0 || n > 64) return false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 256 || ID_CHAR[c] === 0) return false;
  }
  return true;
}

const NOT_DECIMAL = -1;
const TOO_LARGE = -2;

/** A plain decimal integer ≥ 0 (digits only), NOT_DECIMAL, or TOO_LARGE past 2^53. */
export function parseDecimal(text: string): number {
  const n = text.length;
  if (n === 0) return NOT_DECIMAL;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NOT_DECIMAL;
    v = v * 10 + d;
  }
  return v > Number.MAX_SAFE_INTEGER ? TOO_LARGE : v;
}

export function isPowerOfTwo(v: number): boolean {
  let p = 1;
  while (p < v) p *= 2;
  return p === v;
}

/** Per-id states of one pass. */
export const LIVE_NEVER = 0;
export const LIVE = 1;
export const FREED = 2;

/**
 * What validation remembers between rows: each interned id's state and the
 * line that set it, and the clock. One instance per pass, shared by
 * RowValidator and the byte fast path (plain-row.ts) so that rows taking
 * either path see the same liveness and time.
 */
export class PassState {
  /**
   * Per interned id, side by side so a check is one cache line: at 2·id the
   * state (LIVE_NEVER, LIVE or FREED in this pass), at 2·id+1 the line that
   * set it (allocated while live, freed while freed).
   */
  ids = new Uint32Array(2 * 1024);
  /** The time of the last accepted row that set one (0 before any). */
  lastTime = 0;
  lastTimeLine = 0;

  /** The state of an interned id, or LIVE_NEVER for -1 and ids past the array. */
  stateOf(id: number): number {
    return id < 0 || 2 * id >= this.ids.length ? LIVE_NEVER : this.ids[2 * id]!;
  }

  /** The line that set an id's state. */
  lineOf(id: number): number {
    return this.ids[2 * id + 1]!;
  }

  /** Record an id's new state and the line that set it. */
  set(id: number, state: number, line: number): void {
    if (2 * id >= this.ids.length) this.grow(id);
    this.ids[2 * id] = state;
    this.ids[2 * id + 1] = line;
  }

  private grow(id: number): void {
    let n = this.ids.length;
    while (n <= 2 * id) n *= 2;
    const ids = new Uint32Array(n);
    ids.set(this.ids);
    this.ids = ids;
  }
}

/** Where each column sits in a record (-1: absent from the header). */
export type ColumnIndex = Record<TraceColumn, number>;

export function columnIndex(columns: readonly TraceColumn[]): ColumnIndex {
  const index = {} as ColumnIndex;
  for (const c of TRACE_COLUMNS) index[c] = columns.indexOf(c);
  return index;
}

export class RowValidator {
  readonly row: ValidRow = { op: OP.malloc, id: NO_ID, idText: null, size: 0, align: 0, thread: 0, timeNs: NaN, domain: 0, label: null, line: 0 };
  private readonly col: ColumnIndex;
  private readonly fieldCount: number;
  private readonly hasTime: boolean;
  /** Liveness and clock of this pass; the byte fast path reads and commits the same state. */
  readonly pass = new PassState();

  constructor(
    private readonly file: string,
    private readonly columns: readonly TraceColumn[],
    private readonly ids: IdTable,
    private readonly problems: TraceProblems,
  ) {
    this.col = columnIndex(columns);
    this.fieldCount = columns.length;
    this.hasTime = this.col.time_ns >= 0;
  }

  /**
   * Check one record. Returns true when `row` now holds the event; false when
   * the row was skipped (lenient). Throws TraceError in strict mode.
   */
  check(fields: readonly string[], line: number): boolean {
    const err = this.validate(fields, line);
    if (err === null) return true;
    this.problems.report(err);
    return false;
  }

  private fail(line: number, column: TraceColumn | null, found: string, expected: string): TraceError {
    return new TraceError(this.file, line, column, found, expected);
  }

  private cell(fields: readonly string[], c: number): string {
    return c < 0 ? '' : fields[c]!;
  }

  /** Validates without side effects until the row is known good, then commits liveness and time. */
  private validate(fields: readonly string[], line: number): TraceError | null {
    const col = this.col;
    const pass = this.pass;
    if (fields.length !== this.fieldCount) {
      const text = fields.join(',');
      return this.fail(line, null, text.length > 80 ? `${text.slice(0, 77)}...` : text, `${this.fieldCount} fields as the header names (${this.columns.join(',')}), got ${fields.length}`);
    }
    const opText = fields[col.op]!;
    let op: OpCode;
    switch (opText) {
      case 'malloc': op = OP.malloc; break;
      case 'calloc': op = OP.calloc; break;
      case 'realloc': op = OP.realloc; break;
      case 'memalign': op = OP.memalign; break;
      case 'free': op = OP.free; break;
      case 'mark': op = OP.mark; break;
      default: return this.fail(line, 'op', opText, OP_LIST);
    }

    const threadText = this.cell(fields, col.thread);
    let thread = 0;
    if (threadText !== '') {
      thread = parseDecimal(threadText);
      if (thread < 0 || thread > 65535) return this.fail(line, 'thread', threadText, 'a thread number from 0 to 65535 (empty means 0)');
    }

    const domainText = this.cell(fields, col.domain);
    let domain = 0;
    if (domainText === 'raw') domain = 1;
    else if (domainText !== '' && domainText !== 'obj') return this.fail(line, 'domain', domainText, 'obj or raw (empty means obj)');

    let timeNs = NaN;
    if (this.hasTime) {
      const timeText = fields[col.time_ns]!;
      if (timeText === '') timeNs = pass.lastTime;
      else {
        timeNs = parseDecimal(timeText);
        if (timeNs === TOO_LARGE) return this.fail(line, 'time_ns', timeText, 'nanoseconds below 2^53');
        if (timeNs < 0) return this.fail(line, 'time_ns', timeText, 'nanoseconds since the start as a decimal integer ≥ 0 (empty means no time passed)');
        if (timeNs < pass.lastTime) {
          return this.fail(line, 'time_ns', timeText, `a time ≥ ${pass.lastTime} (the time at line ${pass.lastTimeLine}): time_ns must not go backwards`);
        }
      }
    }

    const idText = this.cell(fields, col.id);
    const sizeText = this.cell(fields, col.size);
    const alignText = this.cell(fields, col.align);
    const labelText = this.cell(fields, col.label);
    const row = this.row;

    if (op === OP.mark) {
      if (labelText === '') return this.fail(line, 'label', '', 'a non-empty label for mark (the name of the point in the program, e.g. "After del")');
      if (idText !== '') return this.fail(line, 'id', idText, 'an empty id (a mark names no allocation)');
      if (sizeText !== '') return this.fail(line, 'size', sizeText, 'an empty size (a mark allocates nothing)');
      if (alignText !== '') return this.fail(line, 'align', alignText, 'an empty align (only memalign takes an alignment)');
      row.id = NO_ID;
      row.idText = null;
      row.size = 0;
      row.align = 0;
      row.label = labelText;
    } else {
      if (labelText !== '') return this.fail(line, 'label', labelText, 'an empty label (only mark rows carry a label)');
      if (!isIdToken(idText)) {
        const why = idText === '' ? (col.id < 0 ? ' (the header has no id column)' : '') : idText.length > 64 ? ` (this one has ${idText.length} characters)` : ' (this one has a character outside that set)';
        return this.fail(line, 'id', idText, `${ID_RULE} naming the allocation${why}`);
      }
      let size = 0;
      if (op === OP.free) {
        if (sizeText !== '') return this.fail(line, 'size', sizeText, 'an empty size (free takes no size)');
      } else {
        size = parseDecimal(sizeText);
        if (size < 0) return this.fail(line, 'size', sizeText, this.sizeExpectation(opText, sizeText, col.size < 0));
      }
      let align = 0;
      if (op === OP.memalign) {
        align = parseDecimal(alignText);
        if (align <= 0 || align > MAX_ALIGN || !isPowerOfTwo(align)) {
          return this.fail(line, 'align', alignText, `a power-of-two alignment in bytes for memalign (1, 2, 4, ... up to 2^40)${col.align < 0 ? ' (the header has no align column)' : ''}`);
        }
      } else if (alignText !== '') {
        return this.fail(line, 'align', alignText, `an empty align (only memalign takes an alignment; ${opText} does not)`);
      }

      const known = this.ids.lookup(idText);
      const state = pass.stateOf(known);
      if (op === OP.free || op === OP.realloc) {
        if (state !== LIVE) {
          const why = state === FREED ? `already freed at line ${pass.lineOf(known)}` : 'never allocated';
          return this.fail(line, 'id', idText, `an id that is live (${opText} of an id ${why})`);
        }
      } else if (state === LIVE) {
        return this.fail(line, 'id', idText, `an id that is not live (${opText} of an id still live since line ${pass.lineOf(known)}; free it first or use a new id)`);
      }

      // The row is good: intern and commit liveness.
      const id = known >= 0 ? known : this.ids.add(idText);
      if (op === OP.free) pass.set(id, FREED, line);
      else if (op !== OP.realloc) pass.set(id, LIVE, line);
      row.id = id;
      row.idText = idText;
      row.size = size;
      row.align = align;
      row.label = null;
    }

    if (this.hasTime && timeNs !== pass.lastTime) {
      pass.lastTime = timeNs;
      pass.lastTimeLine = line;
    }
    row.op = op;
    row.thread = thread;
    row.timeNs = timeNs;
    row.domain = domain;
    row.line = line;
    return null;
  }

  private sizeExpectation(opText: string, sizeText: string, noColumn: boolean): string {
    if (noColumn) return `a size in bytes for ${opText} (the header has no size column)`;
    if (sizeText === '') return `a size in bytes for ${opText} (a decimal integer ≥ 0)`;
    if (sizeText.startsWith('-')) return `a size in bytes ≥ 0 for ${opText} (negative sizes are not allowed)`;
    if (parseDecimal(sizeText) === TOO_LARGE) return `a size below 2^53 bytes for ${opText}`;
    return `a size in bytes for ${opText} as a decimal integer ≥ 0 (digits only: no units, fractions, signs or exponents)`;
  }
}

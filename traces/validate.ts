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
const MAX_ALIGN = 2 ** 40;

/** Char codes allowed in an id token: [A-Za-z0-9_.:-]. */
const ID_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-') ID_CHAR[c.charCodeAt(0)] = 1;

function isIdToken(text: string): boolean {
  const n = text.length;
  if (n === 0 || n > 64) return false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || ID_CHAR[c] === 0) return false;
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

function isPowerOfTwo(v: number): boolean {
  let p = 1;
  while (p < v) p *= 2;
  return p === v;
}

const LIVE_NEVER = 0;
const LIVE = 1;
const FREED = 2;

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
  /** Per interned id: LIVE_NEVER, LIVE or FREED in this pass. */
  private state = new Uint8Array(1024);
  /** Per interned id: the line that allocated it (live) or freed it (freed). */
  private stateLine = new Uint32Array(1024);
  private lastTime = 0;
  private lastTimeLine = 0;

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
      if (timeText === '') timeNs = this.lastTime;
      else {
        timeNs = parseDecimal(timeText);
        if (timeNs === TOO_LARGE) return this.fail(line, 'time_ns', timeText, 'nanoseconds below 2^53');
        if (timeNs < 0) return this.fail(line, 'time_ns', timeText, 'nanoseconds since the start as a decimal integer ≥ 0 (empty means no time passed)');
        if (timeNs < this.lastTime) {
          return this.fail(line, 'time_ns', timeText, `a time ≥ ${this.lastTime} (the time at line ${this.lastTimeLine}): time_ns must not go backwards`);
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
      const state = known < 0 || known >= this.state.length ? LIVE_NEVER : this.state[known]!;
      if (op === OP.free || op === OP.realloc) {
        if (state !== LIVE) {
          const why = state === FREED ? `already freed at line ${this.stateLine[known]}` : 'never allocated';
          return this.fail(line, 'id', idText, `an id that is live (${opText} of an id ${why})`);
        }
      } else if (state === LIVE) {
        return this.fail(line, 'id', idText, `an id that is not live (${opText} of an id still live since line ${this.stateLine[known]}; free it first or use a new id)`);
      }

      // The row is good: intern and commit liveness.
      const id = known >= 0 ? known : this.ids.add(idText);
      if (id >= this.state.length) this.growState(id);
      if (op === OP.free) {
        this.state[id] = FREED;
        this.stateLine[id] = line;
      } else if (op !== OP.realloc) {
        this.state[id] = LIVE;
        this.stateLine[id] = line;
      }
      row.id = id;
      row.idText = idText;
      row.size = size;
      row.align = align;
      row.label = null;
    }

    if (this.hasTime && timeNs !== this.lastTime) {
      this.lastTime = timeNs;
      this.lastTimeLine = line;
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

  private growState(id: number): void {
    let n = this.state.length;
    while (n <= id) n *= 2;
    const state = new Uint8Array(n);
    state.set(this.state);
    const stateLine = new Uint32Array(n);
    stateLine.set(this.stateLine);
    this.state = state;
    this.stateLine = stateLine;
  }
}

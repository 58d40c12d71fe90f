// The fast path of CSV ingest: a row with no quotes, comments or oddities,
// validated and written into the open batch straight from the decompressed
// bytes, in one pass that also finds the row's end. No string, array or
// object is made per row: numbers are parsed from the bytes, the id is
// interned by its bytes (id-table.ts), liveness and the clock live in the
// pass's typed arrays (validate.ts PassState).
//
// The rule that keeps the event stream and every error message unchanged:
// this path only ever accepts a row that RowValidator would accept with the
// same result. Anything else (a mark, which needs its label as a string; a
// quote; a field that does not parse; a row that breaks a rule) is declined
// before any state changes, and the reader sends that row down the exact
// string path (split or csv-parse, then RowValidator), which makes the error.
import type { Batcher } from './batcher.ts';
import type { IdTable } from './id-table.ts';
import { OP, TRACE_COLUMNS, type TraceColumn } from './types.ts';
import { FREED, ID_CHAR, isPowerOfTwo, LIVE, MAX_ALIGN, type PassState } from './validate.ts';

/** Field kinds: a column's index in TRACE_COLUMNS. */
const K_OP = TRACE_COLUMNS.indexOf('op');
const K_ID = TRACE_COLUMNS.indexOf('id');
const K_SIZE = TRACE_COLUMNS.indexOf('size');
const K_ALIGN = TRACE_COLUMNS.indexOf('align');
const K_THREAD = TRACE_COLUMNS.indexOf('thread');
const K_TIME = TRACE_COLUMNS.indexOf('time_ns');
const K_DOMAIN = TRACE_COLUMNS.indexOf('domain');

/** An empty numeric cell (numbers parsed here are ≥ 0). */
const EMPTY = -1;
const COMMA = 44;
const NEWLINE = 10;
const CR = 13;
const MAX_ID_LENGTH = 64;

/**
 * A lower-case word of up to 7 letters as one exact number (7 bits a letter),
 * so an op or domain cell is recognised while it is scanned, with no second
 * pass over its bytes. "memalign" has 8 letters and is compared byte by byte.
 */
function wordValue(word: string): number {
  let v = 0;
  for (let i = 0; i < word.length; i++) v = v * 128 + word.charCodeAt(i);
  return v;
}
const W_MALLOC = wordValue('malloc');
const W_CALLOC = wordValue('calloc');
const W_REALLOC = wordValue('realloc');
const W_FREE = wordValue('free');
const W_OBJ = wordValue('obj');
const W_RAW = wordValue('raw');
const MEMALIGN = Uint8Array.from('memalign', (c) => c.charCodeAt(0));
const MAX_WORD = 7;

function isMemalign(buf: Uint8Array, start: number): boolean {
  for (let i = 0; i < MEMALIGN.length; i++) if (buf[start + i] !== MEMALIGN[i]) return false;
  return true;
}

export class PlainRowParser {
  /** The kind of each field, in file order. */
  private readonly kinds: Uint8Array;
  private readonly hasTime: boolean;

  constructor(
    columns: readonly TraceColumn[],
    private readonly ids: IdTable,
    private readonly pass: PassState,
    private readonly batcher: Batcher,
  ) {
    this.kinds = Uint8Array.from(columns, (c) => TRACE_COLUMNS.indexOf(c));
    this.hasTime = columns.includes('time_ns');
  }

  /**
   * Validate the row that starts at buf[start] and append it to the open
   * batch. A newline must follow somewhere in buf (the scans stop at it, so
   * they need no bounds checks). Returns the index of the row's newline, or
   * -1, with nothing changed, when the row needs the string path.
   */
  accept(buf: Uint8Array, start: number, line: number): number {
    const kinds = this.kinds;
    const last = kinds.length - 1;
    let p = start;
    let op = -1;
    let idStart = 0;
    let idEnd = 0;
    let size = EMPTY;
    let align = EMPTY;
    let thread = EMPTY;
    let time = EMPTY;
    let domain = 0;
    for (let k = 0; ; k++) {
      const kind = kinds[k]!;
      let c = buf[p]!;
      if (kind === K_ID) {
        idStart = p;
        while (ID_CHAR[c] === 1) c = buf[++p]!;
        idEnd = p;
      } else if (kind === K_SIZE || kind === K_TIME || kind === K_ALIGN || kind === K_THREAD) {
        const from = p;
        let v = 0;
        for (let d = c - 48; d >= 0 && d <= 9; d = c - 48) {
          v = v * 10 + d;
          c = buf[++p]!;
        }
        if (p > from) {
          // The same arithmetic as parseDecimal, so the same numbers; past 2^53 the string path words the error.
          if (v > Number.MAX_SAFE_INTEGER) return -1;
          if (kind === K_SIZE) size = v;
          else if (kind === K_TIME) time = v;
          else if (kind === K_ALIGN) align = v;
          else thread = v;
        }
      } else if (kind === K_OP) {
        const from = p;
        let v = 0;
        while (c >= 97 && c <= 122) {
          v = v * 128 + c;
          c = buf[++p]!;
        }
        const n = p - from;
        if (n <= MAX_WORD) {
          // A mark needs its label as a string: marks are rare, the string path takes them.
          if (v === W_MALLOC) op = OP.malloc;
          else if (v === W_FREE) op = OP.free;
          else if (v === W_CALLOC) op = OP.calloc;
          else if (v === W_REALLOC) op = OP.realloc;
          else return -1;
        } else if (n === MEMALIGN.length && isMemalign(buf, from)) op = OP.memalign;
        else return -1;
      } else if (kind === K_DOMAIN) {
        const from = p;
        let v = 0;
        while (c >= 97 && c <= 122) {
          v = v * 128 + c;
          c = buf[++p]!;
        }
        if (p - from === 3 && v === W_RAW) domain = 1;
        else if (p !== from && !(p - from === 3 && v === W_OBJ)) return -1;
      }
      // A label cell must be empty here (only marks carry one): it has no bytes to scan.
      if (k < last) {
        if (c !== COMMA) return -1;
        p++;
        continue;
      }
      if (c === CR) {
        if (buf[p + 1] !== NEWLINE) return -1;
        c = NEWLINE;
        p++;
      }
      if (c !== NEWLINE) return -1;
      break;
    }

    const idLength = idEnd - idStart;
    if (idLength === 0 || idLength > MAX_ID_LENGTH) return -1;
    if (op === OP.free) {
      if (size !== EMPTY) return -1;
      size = 0;
    } else if (size === EMPTY) return -1;
    if (op === OP.memalign) {
      if (align <= 0 || align > MAX_ALIGN || !isPowerOfTwo(align)) return -1;
    } else if (align !== EMPTY) return -1;
    else align = 0;
    if (thread === EMPTY) thread = 0;
    else if (thread > 65535) return -1;

    const pass = this.pass;
    let timeNs = NaN;
    if (this.hasTime) {
      if (time === EMPTY) timeNs = pass.lastTime;
      else if (time < pass.lastTime) return -1;
      else timeNs = time;
    }

    const ids = this.ids;
    const known = ids.lookupBytes(buf, idStart, idEnd);
    const state = pass.stateOf(known);
    if (op === OP.free || op === OP.realloc) {
      if (state !== LIVE) return -1;
    } else if (state === LIVE) return -1;

    // The row is good: intern, commit liveness and time, write the event.
    const id = known >= 0 ? known : ids.addBytes(buf, idStart, idEnd);
    if (op !== OP.realloc) pass.set(id, op === OP.free ? FREED : LIVE, line);
    if (this.hasTime && timeNs !== pass.lastTime) {
      pass.lastTime = timeNs;
      pass.lastTimeLine = line;
    }
    const b = this.batcher.open;
    const i = b.length;
    b.op[i] = op;
    b.id[i] = id;
    b.size[i] = size;
    b.align[i] = align;
    b.thread[i] = thread;
    b.timeNs[i] = timeNs;
    b.domain[i] = domain;
    b.line[i] = line;
    this.batcher.commit();
    return p;
  }
}

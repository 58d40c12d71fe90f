// The shared vocabulary of trace format v1: operation codes, one event as the
// reader yields it, and the columnar batch that the replayer consumes.

/** Operation codes. Numeric so that batches can hold them in a Uint8Array. */
export const OP = {
  malloc: 0,
  calloc: 1,
  realloc: 2,
  memalign: 3,
  free: 4,
  mark: 5,
} as const;

export type OpName = keyof typeof OP;
export type OpCode = (typeof OP)[OpName];

/** Op names indexed by code. */
export const OP_NAMES: readonly OpName[] = ['malloc', 'calloc', 'realloc', 'memalign', 'free', 'mark'];

/** `obj`: a Python object request (eligible for obmalloc); `raw`: always the system allocator. */
export const DOMAIN = { obj: 0, raw: 1 } as const;
export type DomainName = keyof typeof DOMAIN;

/** The columns of trace format v1, in the order the writer emits them. */
export const TRACE_COLUMNS = ['op', 'id', 'size', 'align', 'thread', 'time_ns', 'domain', 'label'] as const;
export type TraceColumn = (typeof TRACE_COLUMNS)[number];

/** The first line of every v1 trace. */
export const TRACE_MAGIC = '# heapreplay-trace v1';

/** `# key: value` lines before the header (name, source, scale, seed, ...). */
export type TraceMeta = Record<string, string>;

/** One event as the streaming reader yields it. */
export interface TraceEvent {
  op: OpName;
  /** The allocation's id token; null for `mark`. */
  id: string | null;
  /** Bytes requested (calloc: count × size); 0 for free and mark. */
  size: number;
  /** Power-of-two alignment for memalign, else 0. */
  align: number;
  /** Thread number, 0 when the column is absent. */
  thread: number;
  /** Nanoseconds since the start, or null when the trace has no time column. */
  timeNs: number | null;
  domain: DomainName;
  /** The text of a `mark`, else null. */
  label: string | null;
  /** 1-based line number in the source file (0 for generated events). */
  line: number;
}

/**
 * A run of events in columnar form, with ids interned to small integers.
 * Both the CSV reader (through a batcher) and the compiled binary form produce
 * batches, so the replayer has one hot path that touches only typed arrays.
 */
export interface EventBatch {
  length: number;
  op: Uint8Array;
  /** Interned id (index into the trace's id table); NO_ID for marks. */
  id: Uint32Array;
  size: Float64Array;
  align: Float64Array;
  thread: Uint16Array;
  /** NaN when the trace has no time column. */
  timeNs: Float64Array;
  /** DOMAIN codes. */
  domain: Uint8Array;
  /** Source line of each event (for error messages and findings). */
  line: Uint32Array;
  /** Mark labels keyed by index within this batch. */
  labels: Map<number, string>;
}

export const NO_ID = 0xffffffff;

/** A located problem in a trace: everything a user needs to find and fix it. */
export class TraceError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: string | null,
    readonly found: string,
    readonly expected: string,
  ) {
    const where = column ? `${file}:${line} (column ${column})` : `${file}:${line}`;
    super(`${where}: found ${JSON.stringify(found)}, expected ${expected}`);
    this.name = 'TraceError';
  }
}

/**
 * An opened trace of any form (CSV, gzip CSV, compiled binary), ready to be
 * replayed. `traces/open.ts` `openTrace(path, { lenient })` returns one.
 */
export interface TraceSource {
  path: string;
  /** `# key: value` metadata. */
  meta: TraceMeta;
  /** Whether events carry time_ns (else the replayer advances a tick per event). */
  hasTime: boolean;
  /**
   * The events as columnar batches, validated as they stream (a bad row throws
   * TraceError, or is skipped and counted in lenient mode). Can be called more
   * than once; each call streams the trace from the start.
   */
  batches(): AsyncIterable<EventBatch>;
  /** The original id text of an interned id (valid for ids seen so far). */
  idName(id: number): string;
  /** Upper bound of interned ids seen so far (sizes per-id arrays). */
  readonly idCount: number;
  /** Rows skipped in lenient mode during the last full pass. */
  readonly skippedRows: number;
  /** sha256 of the file's bytes as stored. */
  sha256(): Promise<string>;
}

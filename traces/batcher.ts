// Packs validated rows into columnar EventBatches, the one shape the replayer
// reads, and unpacks batches back into TraceEvents for tools and tests.
import { DOMAIN, NO_ID, OP_NAMES, type EventBatch, type TraceEvent } from './types.ts';
import type { ValidRow } from './validate.ts';

/** Events per batch: large enough that per-batch costs vanish, small enough (~2.3 MB of columns) that memory stays flat. */
export const BATCH_EVENTS = 65536;

export function allocateBatch(capacity: number): EventBatch {
  return {
    length: 0,
    op: new Uint8Array(capacity),
    id: new Uint32Array(capacity),
    size: new Float64Array(capacity),
    align: new Float64Array(capacity),
    thread: new Uint16Array(capacity),
    timeNs: new Float64Array(capacity),
    domain: new Uint8Array(capacity),
    line: new Uint32Array(capacity),
    labels: new Map(),
  };
}

/** A batch whose typed arrays are exactly `length` long (views, no copy), so `batch.op.length` is safe to use. */
export function trimBatch(batch: EventBatch): EventBatch {
  const n = batch.length;
  if (batch.op.length === n) return batch;
  return {
    length: n,
    op: batch.op.subarray(0, n),
    id: batch.id.subarray(0, n),
    size: batch.size.subarray(0, n),
    align: batch.align.subarray(0, n),
    thread: batch.thread.subarray(0, n),
    timeNs: batch.timeNs.subarray(0, n),
    domain: batch.domain.subarray(0, n),
    line: batch.line.subarray(0, n),
    labels: batch.labels,
  };
}

/**
 * Fills batches row by row. Each batch gets fresh arrays: a consumer may keep a
 * batch (tests, the compiler) while the next one fills.
 */
export class Batcher {
  /** Completed batches, oldest first; the caller takes them with `take()`. */
  private readonly ready: EventBatch[] = [];
  private current: EventBatch;

  constructor(
    private readonly hasTime: boolean,
    private readonly capacity = BATCH_EVENTS,
  ) {
    this.current = allocateBatch(capacity);
  }

  /**
   * The batch being filled. A writer that fills it directly (the byte fast
   * path) writes every column at index `length`, then calls commit().
   */
  get open(): EventBatch {
    return this.current;
  }

  /** Count the event written at `open.length`; hands the batch out when full. */
  commit(): void {
    const b = this.current;
    b.length++;
    if (b.length === this.capacity) {
      this.ready.push(b);
      this.current = allocateBatch(this.capacity);
    }
  }

  push(row: ValidRow): void {
    const b = this.current;
    const i = b.length;
    b.op[i] = row.op;
    b.id[i] = row.id;
    b.size[i] = row.size;
    b.align[i] = row.align;
    b.thread[i] = row.thread;
    b.timeNs[i] = this.hasTime ? row.timeNs : NaN;
    b.domain[i] = row.domain;
    b.line[i] = row.line;
    if (row.label !== null) b.labels.set(i, row.label);
    b.length = i + 1;
    if (b.length === this.capacity) {
      this.ready.push(b);
      this.current = allocateBatch(this.capacity);
    }
  }

  /** Close the partly filled batch (if any events) so `take()` returns it. */
  finish(): void {
    if (this.current.length > 0) {
      this.ready.push(trimBatch(this.current));
      this.current = allocateBatch(0);
    }
  }

  /** The completed batches, removed from the batcher. */
  take(): EventBatch[] {
    return this.ready.splice(0, this.ready.length);
  }
}

/** The events of a batch as TraceEvent objects (allocates; for tools and tests, not the replay hot path). */
export function* batchEvents(batch: EventBatch, idName: (id: number) => string, hasTime: boolean): Generator<TraceEvent> {
  for (let i = 0; i < batch.length; i++) {
    const id = batch.id[i]!;
    const op = OP_NAMES[batch.op[i]!]!;
    yield {
      op,
      id: id === NO_ID ? null : idName(id),
      size: batch.size[i]!,
      align: batch.align[i]!,
      thread: batch.thread[i]!,
      timeNs: hasTime ? batch.timeNs[i]! : null,
      domain: batch.domain[i] === DOMAIN.raw ? 'raw' : 'obj',
      label: batch.labels.get(i) ?? null,
      line: batch.line[i]!,
    };
  }
}

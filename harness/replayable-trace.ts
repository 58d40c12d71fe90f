// A trace decoded once and replayed through several models. Parsing a CSV.gz
// trace costs about as much CPU as replaying it through a fast model, and a
// run matrix replays each trace once per model; so the first pass streams
// from the file as before and keeps the batches it hands out, and when that
// pass ends within the memory budget, later passes serve the kept batches
// without reading the file again. Past the budget the kept batches are dropped
// at once and every pass streams, so memory stays bounded on huge traces.
import { openTrace } from '../traces/open.ts';
import { CsvTraceSource } from '../traces/reader.ts';
import type { EventBatch, TraceSource } from '../traces/types.ts';
import type { DecodedStore } from './decoded-store.ts';
import { WrappedTraceSource } from '../traces/wrapped-source.ts';

/** Bytes one event takes in a batch's columns (op 1, id 4, size 8, align 8, thread 2, time 8, domain 1, line 4). */
export const BATCH_BYTES_PER_EVENT = 36;

/**
 * Default budget of kept batches per trace: 128 MiB, about 3.7 M events.
 * The bundled case studies (under 1 M events each) fit with room; a 10 M-event
 * bench trace streams, as it did before.
 */
export const DEFAULT_KEEP_BYTES = 128 * 1024 * 1024;

/**
 * The inner source's id table outlives its passes, so ids and names stay
 * valid for the kept batches; its skipped-row count is that of its last full
 * pass, which a kept pass is.
 */
export class ReplayableTrace extends WrappedTraceSource {
  /** The batches of a complete pass, once one has been kept. */
  private kept: readonly EventBatch[] | null = null;

  constructor(
    inner: TraceSource,
    private readonly keepBytes = DEFAULT_KEEP_BYTES,
  ) {
    super(inner);
  }

  /** Whether later passes are served from memory. */
  get isKept(): boolean {
    return this.kept !== null;
  }

  batches(): AsyncIterable<EventBatch> {
    return this.kept !== null ? serve(this.kept) : this.streamAndKeep();
  }

  private async *streamAndKeep(): AsyncGenerator<EventBatch> {
    let keep: EventBatch[] | null = this.keepBytes > 0 ? [] : null;
    let bytes = 0;
    for await (const batch of this.inner.batches()) {
      if (keep !== null) {
        bytes += batch.length * BATCH_BYTES_PER_EVENT;
        if (bytes > this.keepBytes) keep = null;
        else keep.push(batch);
      }
      yield batch;
    }
    // Only a pass that reached the end holds the whole trace (a consumer that
    // stops early, or a trace error, leaves nothing kept).
    if (keep !== null) this.kept = keep;
  }
}

async function* serve(batches: readonly EventBatch[]): AsyncGenerator<EventBatch> {
  for (const batch of batches) yield batch;
}

/**
 * The trace a worker (or the in-process run) replays now, kept for its next
 * job. One trace at a time: the scheduler gives a worker all the jobs of a
 * trace in a row, so one slot catches every reuse and memory holds at most one
 * trace's batches per thread. With a DecodedStore, a CSV trace read in strict
 * mode comes from its stored compiled copy when there is one, and gets one
 * (persist) after its first full pass when there is not.
 */
export class TraceCache {
  private current: { key: string; trace: Promise<ReplayableTrace> } | null = null;
  /** Traces decoded from CSV this run that have no stored copy yet, with their CSV source. */
  private readonly unsaved = new WeakMap<ReplayableTrace, TraceSource>();

  constructor(
    private readonly keepBytes = DEFAULT_KEEP_BYTES,
    private readonly store: DecodedStore | null = null,
  ) {}

  open(path: string, lenient: boolean): Promise<ReplayableTrace> {
    const key = `${lenient ? 'lenient' : 'strict'}:${path}`;
    if (this.current?.key !== key) {
      const trace = this.load(path, lenient);
      // A trace that fails to open is not kept: the next job opens it again and gets the same error.
      trace.catch(() => {
        if (this.current?.trace === trace) this.current = null;
      });
      this.current = { key, trace };
    }
    return this.current.trace;
  }

  private async load(path: string, lenient: boolean): Promise<ReplayableTrace> {
    const inner = await openTrace(path, { lenient });
    const storable = this.store !== null && !lenient && inner instanceof CsvTraceSource;
    const copy = storable ? await this.store.lookup(inner) : null;
    const trace = new ReplayableTrace(copy ?? inner, this.keepBytes);
    if (storable && copy === null) this.unsaved.set(trace, inner);
    return trace;
  }

  /** After a job on `trace` (of `events` events): store its decoded copy if it has none and is now whole in memory. */
  async persist(trace: ReplayableTrace, events: number): Promise<void> {
    const csv = this.unsaved.get(trace);
    if (csv === undefined || this.store === null || !trace.isKept) return;
    this.unsaved.delete(trace);
    await this.store.save(csv, trace, events);
  }
}

// A trace source that stands in for another one and changes only part of it
// (its batches, its clock, where its decoded events come from). Everything it
// does not override is the inner source's, so a result still names the
// original trace: its path, metadata, ids and hash.
import type { EventBatch, TraceMeta, TraceSource } from './types.ts';

export abstract class WrappedTraceSource implements TraceSource {
  constructor(protected readonly inner: TraceSource) {}

  get path(): string {
    return this.inner.path;
  }

  get meta(): TraceMeta {
    return this.inner.meta;
  }

  get hasTime(): boolean {
    return this.inner.hasTime;
  }

  get idCount(): number {
    return this.inner.idCount;
  }

  get skippedRows(): number {
    return this.inner.skippedRows;
  }

  idName(id: number): string {
    return this.inner.idName(id);
  }

  sha256(): Promise<string> {
    return this.inner.sha256();
  }

  abstract batches(): AsyncIterable<EventBatch>;
}

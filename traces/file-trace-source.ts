// What every trace read from a file shares, whatever its form: the path, the
// metadata and time flag of its header, the id table it interns into, and the
// sha256 of its stored bytes (computed once, on demand).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { IdTable } from './id-table.ts';
import type { EventBatch, TraceMeta, TraceSource } from './types.ts';

/** sha256 of a file's bytes as stored, streamed. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export abstract class FileTraceSource implements TraceSource {
  readonly ids = new IdTable();
  skippedRows = 0;
  private hash: Promise<string> | null = null;

  protected constructor(
    readonly path: string,
    private readonly header: { meta: TraceMeta; hasTime: boolean },
  ) {}

  get meta(): TraceMeta {
    return this.header.meta;
  }

  get hasTime(): boolean {
    return this.header.hasTime;
  }

  get idCount(): number {
    return this.ids.size;
  }

  idName(id: number): string {
    return this.ids.name(id);
  }

  sha256(): Promise<string> {
    this.hash ??= hashFile(this.path);
    return this.hash;
  }

  abstract batches(): AsyncIterable<EventBatch>;
}

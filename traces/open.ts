// One door to every stored trace form: picks plain CSV, gzip CSV or compiled
// by the file's first bytes (a gzip file named .csv still opens as gzip).
import { batchEvents } from './batcher.ts';
import { COMPILED_MAGIC, CompiledTraceSource, isCompiled } from './compiled.ts';
import { CsvTraceSource, isGzip, readFileStart, type ReadTraceOptions } from './reader.ts';
import type { TraceEvent, TraceSource } from './types.ts';

export type TraceForm = 'csv' | 'gzip-csv' | 'compiled';

export type OpenedTrace = CsvTraceSource | CompiledTraceSource;

/** Which stored form `path` holds, by its magic bytes. */
export async function traceForm(path: string): Promise<TraceForm> {
  const start = await readFileStart(path, COMPILED_MAGIC.length);
  if (isCompiled(start)) return 'compiled';
  return isGzip(start) ? 'gzip-csv' : 'csv';
}

/**
 * Open a trace of any form. The head (metadata, header row) is read and checked
 * now; the rows are validated as `batches()` streams them. `lenient` matters
 * for CSV only: a compiled trace was validated when it was compiled.
 */
export async function openTrace(path: string, options: ReadTraceOptions = {}): Promise<OpenedTrace> {
  return (await traceForm(path)) === 'compiled' ? CompiledTraceSource.open(path) : CsvTraceSource.open(path, options);
}

/** Every event of a source as objects (allocates per event: for tools and tests, not the replay hot path). */
export async function* traceEvents(source: TraceSource): AsyncGenerator<TraceEvent> {
  for await (const batch of source.batches()) yield* batchEvents(batch, (id) => source.idName(id), source.hasTime);
}

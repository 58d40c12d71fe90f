// A TraceSource over events held in memory, for tests: the in-memory source of
// harness/real/memory-source.ts, cut into small batches (3 events by default)
// so that batch boundaries and id-table growth get exercised, with line numbers
// as in a v1 file without metadata (line 1 the magic line, 2 the header).
import type { OpName, TraceMeta, TraceSource } from '../../traces/types.ts';
import { memoryTraceSource } from '../real/memory-source.ts';

/** One row as a test writes it; omitted fields take the format's defaults. */
export interface MemoryEvent {
  op: OpName;
  id?: string;
  size?: number;
  align?: number;
  thread?: number;
  timeNs?: number;
  domain?: 'obj' | 'raw';
  label?: string;
}

export function memorySource(events: readonly MemoryEvent[], options: { meta?: TraceMeta; batchSize?: number; path?: string } = {}): TraceSource {
  const located = events.map((e, i) => ({ ...e, line: i + 3 }));
  return memoryTraceSource(options.path ?? 'memory.csv', options.meta ?? {}, located, options.batchSize ?? 3);
}

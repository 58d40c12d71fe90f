// A TraceSource over events held in memory, for tests: the same batches the
// trace reader produces (columnar, ids interned in order of first sight), cut
// into small batches so that batch boundaries and id-table growth get exercised.
import { DOMAIN, NO_ID, OP, type EventBatch, type OpName, type TraceMeta, type TraceSource } from '../../traces/types.ts';

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
  const batchSize = options.batchSize ?? 3;
  const hasTime = events.some((e) => e.timeNs !== undefined);
  const names: string[] = [];
  const index = new Map<string, number>();
  let seen = 0;
  const intern = (name: string): number => {
    let id = index.get(name);
    if (id === undefined) {
      id = names.length;
      names.push(name);
      index.set(name, id);
    }
    return id;
  };
  async function* batches(): AsyncGenerator<EventBatch> {
    for (let start = 0; start < events.length; start += batchSize) {
      const n = Math.min(batchSize, events.length - start);
      const b: EventBatch = {
        length: n,
        op: new Uint8Array(n),
        id: new Uint32Array(n),
        size: new Float64Array(n),
        align: new Float64Array(n),
        thread: new Uint16Array(n),
        timeNs: new Float64Array(n).fill(NaN),
        domain: new Uint8Array(n),
        line: new Uint32Array(n),
        labels: new Map(),
      };
      for (let i = 0; i < n; i++) {
        const e = events[start + i]!;
        b.op[i] = OP[e.op];
        b.id[i] = e.id === undefined ? NO_ID : intern(e.id);
        b.size[i] = e.size ?? 0;
        b.align[i] = e.align ?? 0;
        b.thread[i] = e.thread ?? 0;
        if (e.timeNs !== undefined) b.timeNs[i] = e.timeNs;
        b.domain[i] = DOMAIN[e.domain ?? 'obj'];
        // Line 1 is the magic line and 2 the header, as in a v1 file without metadata.
        b.line[i] = start + i + 3;
        if (e.op === 'mark') b.labels.set(i, e.label ?? '');
      }
      seen = names.length;
      yield b;
    }
  }
  return {
    path: options.path ?? 'memory.csv',
    meta: options.meta ?? {},
    hasTime,
    batches,
    idName: (id) => names[id] ?? `#${id}`,
    get idCount() {
      return seen;
    },
    skippedRows: 0,
    sha256: async () => '0'.repeat(64),
  };
}

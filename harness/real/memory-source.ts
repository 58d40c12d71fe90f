// A TraceSource over events held in memory: lets the real runner replay
// generated or imported events without a file, and lets tests build small
// traces. Ids are interned in order of first appearance, as the reader does.
import { createHash } from 'node:crypto';
import { DOMAIN, NO_ID, OP, type EventBatch, type TraceEvent, type TraceMeta, type TraceSource } from '../../traces/types.ts';

export type SimpleEvent = Pick<TraceEvent, 'op'> & Partial<Omit<TraceEvent, 'op'>>;

export function memoryTraceSource(path: string, meta: TraceMeta, events: readonly SimpleEvent[], batchSize = 1 << 16): TraceSource {
  const names: string[] = [];
  const ids = new Map<string, number>();
  const hasTime = events.some((e) => e.timeNs !== undefined && e.timeNs !== null);
  const intern = (text: string): number => {
    let n = ids.get(text);
    if (n === undefined) {
      n = names.length;
      names.push(text);
      ids.set(text, n);
    }
    return n;
  };
  const makeBatch = (from: number, to: number): EventBatch => {
    const n = to - from;
    const b: EventBatch = {
      length: n,
      op: new Uint8Array(n),
      id: new Uint32Array(n),
      size: new Float64Array(n),
      align: new Float64Array(n),
      thread: new Uint16Array(n),
      timeNs: new Float64Array(n),
      domain: new Uint8Array(n),
      line: new Uint32Array(n),
      labels: new Map(),
    };
    for (let i = 0; i < n; i++) {
      const e = events[from + i]!;
      b.op[i] = OP[e.op];
      b.id[i] = e.id === undefined || e.id === null ? NO_ID : intern(e.id);
      b.size[i] = e.size ?? 0;
      b.align[i] = e.align ?? 0;
      b.thread[i] = e.thread ?? 0;
      b.timeNs[i] = e.timeNs ?? Number.NaN;
      b.domain[i] = DOMAIN[e.domain ?? 'obj'];
      b.line[i] = e.line ?? 0;
      if (e.op === 'mark') b.labels.set(i, e.label ?? '');
    }
    return b;
  };
  return {
    path,
    meta,
    hasTime,
    async *batches() {
      for (let from = 0; from < events.length; from += batchSize) yield makeBatch(from, Math.min(events.length, from + batchSize));
    },
    idName: (id) => names[id] ?? String(id),
    get idCount() {
      return names.length;
    },
    skippedRows: 0,
    sha256: async () => createHash('sha256').update(JSON.stringify(events)).digest('hex'),
  };
}

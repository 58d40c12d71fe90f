// A TraceSource fed straight by a case-study generator, for traces too long to
// write as CSV (the 100 M-event memory trace): events are interned and packed
// into the same columnar batches the readers produce, with no text between.
// Generator output is trusted as the generators' own tests check it; what
// would catch a bad event here is the replayer (an id freed twice is a TraceError).
import { createHash } from 'node:crypto';
import { BATCH_EVENTS, Batcher } from '../../traces/batcher.ts';
import { caseStudyMeta, type CaseStudy, type CaseStudyOptions } from '../../traces/case-studies/case-study.ts';
import { IdTable } from '../../traces/id-table.ts';
import { DOMAIN, NO_ID, OP, type EventBatch, type TraceMeta, type TraceSource } from '../../traces/types.ts';
import type { ValidRow } from '../../traces/validate.ts';

export function generatorTraceSource(study: CaseStudy, options: CaseStudyOptions, path = `${study.name}.generated`): TraceSource {
  const meta: TraceMeta = caseStudyMeta(study, options);
  // Ids are interned anew on every pass, so a second pass gives the same numbers as the first.
  let ids = new IdTable();
  return {
    path,
    meta,
    hasTime: true,
    async *batches(): AsyncGenerator<EventBatch> {
      ids = new IdTable();
      const batcher = new Batcher(true);
      const row: ValidRow = { op: OP.malloc, id: NO_ID, idText: null, size: 0, align: 0, thread: 0, timeNs: 0, domain: 0, label: null, line: 0 };
      let line = 0;
      let pending = 0;
      for (const e of study.events(options)) {
        row.op = OP[e.op];
        row.id = e.id === null ? NO_ID : ids.intern(e.id);
        row.idText = e.id;
        row.size = e.size;
        row.align = e.align;
        row.thread = e.thread;
        row.timeNs = e.timeNs ?? 0;
        row.domain = DOMAIN[e.domain];
        row.label = e.label;
        // Lines as the written CSV would number them do not exist; the event's position stands in.
        row.line = ++line;
        batcher.push(row);
        // The batcher closes a batch every BATCH_EVENTS rows; taking only then keeps the loop free of allocations.
        if (++pending === BATCH_EVENTS) {
          pending = 0;
          for (const b of batcher.take()) yield b;
        }
      }
      batcher.finish();
      for (const b of batcher.take()) yield b;
    },
    idName: (id) => ids.name(id),
    get idCount() {
      return ids.size;
    },
    skippedRows: 0,
    // The generator and its options fully determine the events, so they identify the trace.
    sha256: async () => createHash('sha256').update(JSON.stringify(meta)).digest('hex'),
  };
}

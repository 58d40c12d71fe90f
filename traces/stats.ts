// What a trace holds, in one pass over its batches: the figures `heapreplay
// validate` prints and a user checks before trusting a replay.
import { OP, OP_NAMES, type OpName, type TraceSource } from './types.ts';

export interface TraceMarkStat {
  label: string;
  /** Source line of the mark row. */
  line: number;
  /** 0-based index of the mark among all events. */
  event: number;
  /** Live requested bytes at the mark. */
  liveBytes: number;
}

export interface TraceStats {
  events: number;
  /** Events per op, every op present (0 when absent). */
  ops: Record<OpName, number>;
  /** Distinct id texts used by the events. */
  distinctIds: number;
  marks: TraceMarkStat[];
  /** Largest sum of live requested sizes (realloc replaces the old size). */
  peakLiveBytes: number;
  /** Source line of the event that reached the peak (0 when the trace allocates nothing). */
  peakLiveLine: number;
  /** Most allocations live at once. */
  peakLiveBlocks: number;
  /** Live requested bytes after the last event (what the program never freed). */
  finalLiveBytes: number;
  /** First and last time_ns, null when the trace has no time column or no events. */
  timeSpanNs: { first: number; last: number } | null;
  /** Rows skipped in lenient mode. */
  skippedRows: number;
}

export async function computeTraceStats(source: TraceSource): Promise<TraceStats> {
  const opCounts = new Float64Array(OP_NAMES.length);
  let sizeOf = new Float64Array(1024);
  let seen = new Uint8Array(1024);
  let distinct = 0;
  let live = 0;
  let liveBlocks = 0;
  let peak = 0;
  let peakLine = 0;
  let peakBlocks = 0;
  let events = 0;
  let first = NaN;
  let last = NaN;
  const marks: TraceMarkStat[] = [];

  for await (const b of source.batches()) {
    if (source.idCount > sizeOf.length) {
      let n = sizeOf.length;
      while (n < source.idCount) n *= 2;
      const grownSize = new Float64Array(n);
      grownSize.set(sizeOf);
      sizeOf = grownSize;
      const grownSeen = new Uint8Array(n);
      grownSeen.set(seen);
      seen = grownSeen;
    }
    for (let i = 0; i < b.length; i++) {
      const op = b.op[i]!;
      opCounts[op]!++;
      if (op === OP.mark) {
        marks.push({ label: b.labels.get(i) ?? '', line: b.line[i]!, event: events + i, liveBytes: live });
        continue;
      }
      const id = b.id[i]!;
      if (seen[id] === 0) {
        seen[id] = 1;
        distinct++;
      }
      if (op === OP.free) {
        live -= sizeOf[id]!;
        liveBlocks--;
        continue;
      }
      const size = b.size[i]!;
      if (op === OP.realloc) live += size - sizeOf[id]!;
      else {
        live += size;
        liveBlocks++;
        if (liveBlocks > peakBlocks) peakBlocks = liveBlocks;
      }
      sizeOf[id] = size;
      if (live > peak) {
        peak = live;
        peakLine = b.line[i]!;
      }
    }
    if (source.hasTime && b.length > 0) {
      if (Number.isNaN(first)) first = b.timeNs[0]!;
      last = b.timeNs[b.length - 1]!;
    }
    events += b.length;
  }

  const ops = {} as Record<OpName, number>;
  OP_NAMES.forEach((name, code) => (ops[name] = opCounts[code]!));
  return {
    events,
    ops,
    distinctIds: distinct,
    marks,
    peakLiveBytes: peak,
    peakLiveLine: peakLine,
    peakLiveBlocks: peakBlocks,
    finalLiveBytes: live,
    timeSpanNs: Number.isNaN(first) ? null : { first, last },
    skippedRows: source.skippedRows,
  };
}

// Facts about a stream of generated events, for the case-study tests: it
// replays the events against a map of live ids, so it also checks the rules
// of trace format v1 that a generator could break (an id malloc'd while
// live, a free or realloc of an id that is not live, time going backwards).
import type { TraceEvent } from '../types.ts';

export interface MarkFact {
  label: string;
  /** Index of the mark among all events. */
  index: number;
  timeNs: number;
  liveBytes: number;
  liveBlocks: number;
}

export interface TraceFacts {
  events: number;
  mallocs: number;
  reallocs: number;
  frees: number;
  marks: MarkFact[];
  peakLiveBytes: number;
  endLiveBytes: number;
  endNs: number;
  /** Blocks still live after the last event, by id. */
  endLive: Map<string, LiveBlock>;
}

export interface LiveBlock {
  size: number;
  domain: 'obj' | 'raw';
  /** Index of the event that allocated it. */
  born: number;
}

/**
 * Walk the events, checking format rules; `visit` sees each event with the
 * live table as it was before the event (so a free still finds its block).
 */
export function traceFacts(events: Iterable<TraceEvent>, visit?: (e: TraceEvent, index: number, live: ReadonlyMap<string, LiveBlock>) => void): TraceFacts {
  const live = new Map<string, LiveBlock>();
  const facts: TraceFacts = { events: 0, mallocs: 0, reallocs: 0, frees: 0, marks: [], peakLiveBytes: 0, endLiveBytes: 0, endNs: 0, endLive: live };
  let liveBytes = 0;
  let lastNs = 0;
  for (const e of events) {
    const index = facts.events++;
    visit?.(e, index, live);
    if (e.timeNs === null || e.timeNs < lastNs) throw new Error(`event ${index}: time ${e.timeNs} after ${lastNs}`);
    lastNs = e.timeNs;
    if (e.op === 'mark') {
      if (!e.label) throw new Error(`event ${index}: mark without a label`);
      facts.marks.push({ label: e.label, index, timeNs: e.timeNs, liveBytes, liveBlocks: live.size });
      continue;
    }
    const id = e.id;
    if (id === null || !/^[0-9]+$/.test(id)) throw new Error(`event ${index}: id ${id} is not a short integer`);
    const block = live.get(id);
    if (e.op === 'malloc') {
      if (block) throw new Error(`event ${index}: malloc of live id ${id}`);
      live.set(id, { size: e.size, domain: e.domain, born: index });
      liveBytes += e.size;
      facts.mallocs++;
    } else if (e.op === 'realloc') {
      if (!block) throw new Error(`event ${index}: realloc of id ${id} that is not live`);
      if (block.domain !== e.domain) throw new Error(`event ${index}: realloc changes the domain of ${id}`);
      liveBytes += e.size - block.size;
      block.size = e.size;
      facts.reallocs++;
    } else if (e.op === 'free') {
      if (!block) throw new Error(`event ${index}: free of id ${id} that is not live`);
      live.delete(id);
      liveBytes -= block.size;
      facts.frees++;
    } else {
      throw new Error(`event ${index}: unexpected op ${e.op}`);
    }
    facts.peakLiveBytes = Math.max(facts.peakLiveBytes, liveBytes);
  }
  facts.endLiveBytes = liveBytes;
  facts.endNs = lastNs;
  return facts;
}

/**
 * sawtooth: repeated grow and shrink, the pattern of a batch worker that
 * loads a batch, processes it and keeps a little of it. Each cycle allocates
 * 40000 objects of mixed sizes (mostly CPython 3.11 small objects, some
 * medium buffers, a few large ones), then frees a random 80-95 % of
 * everything live, in random order. What survives is scattered through the
 * heap, so each trough shows how much of the peak an allocator can give back
 * when the live data is sparse rather than gone. Between cycles the worker
 * waits for its next batch (~0.2-0.5 s), which is when jemalloc's decay runs.
 *
 * The scale multiplies the number of objects, so the number of cycles: the
 * live set stays bounded, which makes long traces (--scale 20 gives ~12 M
 * events) cheap to generate and replay.
 */
import { CPYTHON_311 } from './cpython-sizes.ts';
import { scaled, type CaseStudy, type CaseStudyOptions } from './case-study.ts';
import { Prng } from './prng.ts';
import { TraceBuilder } from './trace-builder.ts';
import type { TraceEvent } from '../types.ts';

export const OBJECTS_PER_CYCLE = 40_000;
export const OBJECTS = 8 * OBJECTS_PER_CYCLE;
/** At most this many cycles get Peak/Trough marks (evenly spread), so reports stay readable. */
export const MARKED_CYCLES = 8;

const py = CPYTHON_311;

/** Shares of str, tuple, int, float, dict, keys table, list header, item array among small objects. */
const SMALL_TYPE_WEIGHTS: readonly number[] = [30, 15, 12, 10, 8, 8, 7, 10];

/** One small Python object's request, by type mix of a typical heap. */
function smallObjectSize(rng: Prng): number {
  switch (rng.weighted(SMALL_TYPE_WEIGHTS)) {
    case 0:
      return py.strSize(rng.octaveInt(1, 96));
    case 1:
      return py.tupleSize(rng.int(1, 6));
    case 2:
      return py.intSize(rng.int(1, 2));
    case 3:
      return py.floatSize;
    case 4:
      return py.dictObject;
    case 5:
      return py.dictTableSize(rng.int(3, 4));
    case 6:
      return py.listHeader;
    default:
      return 8 * rng.octaveInt(4, 64); // a list's item array
  }
}

/** 90 % small objects, 9.8 % medium (513 B-64 KiB), 0.2 % large (64 KiB-4 MiB). */
function objectSize(rng: Prng): number {
  const r = rng.next();
  if (r < 0.9) return smallObjectSize(rng);
  if (r < 0.998) return py.bytesSize(rng.octaveInt(480, 64 * 1024));
  return py.bytesSize(rng.octaveInt(64 * 1024, 4 * 1024 * 1024));
}

/** Which cycles carry marks: all of them when there are few, else MARKED_CYCLES spread evenly. */
export function markedCycles(cycles: number): Set<number> {
  const marked = new Set<number>();
  if (cycles <= MARKED_CYCLES) {
    for (let c = 0; c < cycles; c++) marked.add(c);
  } else {
    for (let k = 0; k < MARKED_CYCLES; k++) marked.add(Math.round((k * (cycles - 1)) / (MARKED_CYCLES - 1)));
  }
  return marked;
}

function* events({ scale, seed }: CaseStudyOptions): Generator<TraceEvent, void, unknown> {
  const rng = new Prng(seed);
  const b = new TraceBuilder();
  const total = scaled(OBJECTS, scale);
  const cycles = Math.ceil(total / OBJECTS_PER_CYCLE);
  const marked = markedCycles(cycles);
  const live: number[] = [];
  let remaining = total;
  for (let c = 0; c < cycles; c++) {
    const count = Math.min(OBJECTS_PER_CYCLE, remaining);
    remaining -= count;
    for (let i = 0; i < count; i++) {
      live.push(yield* b.malloc(objectSize(rng)));
      b.idle(120); // the interpreter between allocations
    }
    if (marked.has(c)) yield* b.mark(`Peak ${c + 1}`);
    // Free a random 80-95 % of the live objects, in random order (swap-remove).
    const share = 0.8 + 0.15 * rng.next();
    const frees = Math.round(share * live.length);
    for (let k = 0; k < frees; k++) {
      const at = rng.int(0, live.length - 1);
      const id = live[at]!;
      live[at] = live[live.length - 1]!;
      live.pop();
      yield* b.free(id);
      b.idle(40);
    }
    if (marked.has(c)) yield* b.mark(`Trough ${c + 1}`);
    b.idle(200_000_000 + rng.int(0, 300_000_000)); // waiting for the next batch
  }
}

export const sawtooth: CaseStudy = {
  name: 'sawtooth',
  summary: 'cycles that allocate 40000 mixed-size objects, then free a random 80-95 % of all live ones',
  source: 'synthetic; the grow-and-shrink pattern of the seed texts (000, 001) as a stress test',
  python: `${CPYTHON_311.version} (object size mix)`,
  description:
    'Eight cycles at scale 1: each allocates 40000 objects (90 % CPython 3.11 small objects: str, tuple, int, float, dict, keys, list; 9.8 % buffers of 0.5-64 KiB; 0.2 % of 64 KiB-4 MiB), marks the peak, frees a random 80-95 % of all live objects in random order, marks the trough, then waits 0.2-0.5 s. Survivors accumulate and sit scattered through the heap.',
  scaleNote: 'the scale multiplies the number of objects and so the number of 40000-object cycles; peak memory stays about the same',
  events,
};

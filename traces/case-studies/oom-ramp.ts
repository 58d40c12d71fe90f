/**
 * oom-ramp: seed 003 (003_5fae132848e63bd5.txt), "Dying, fast and slow":
 * memory that grows until something gives. A CPython 3.11 web worker caches
 * every response it renders in a dict that is never bounded:
 *
 *     cache = {}
 *     while True:
 *         request = sock.recv(...)            # bytes, dropped after parsing
 *         headers = parse(request)            # a small dict, dropped
 *         key = f'/item/{item_id}'
 *         body = render(item_id)              # bytes of 1 KiB .. 1 MiB
 *         cache[key] = (time.time(), body)
 *         if random() < 0.1: cache.pop(random_key)   # a little churn
 *
 * Live data climbs to ~4 GiB at scale 1, with a mark at each GiB, so a
 * memory limit (the `memory-limit: 2GiB` hint, like a container's) stops the
 * run part way: the OOM kill the seed describes. Bodies above 128 KiB are
 * mmapped by glibc; the cache's keys table is reallocated as the dict grows.
 */
import { formatBytes } from '../../allocators/units.ts';
import { CPYTHON_311 } from './cpython-sizes.ts';
import type { CaseStudy, CaseStudyOptions } from './case-study.ts';
import { startInterpreter } from './interpreter.ts';
import { Prng } from './prng.ts';
import { PythonHeap, type NumberRef } from './python-heap.ts';
import { TraceBuilder } from './trace-builder.ts';
import type { TraceEvent } from '../types.ts';

const GiB = 1024 ** 3;
export const TARGET_GIB = 4;
export const EVICT_CHANCE = 0.1;
/** Interpreter time per request besides allocation: socket I/O, parsing, rendering (~150 µs). */
const REQUEST_NS = 150_000;

interface Entry {
  key: number;
  value: number;
  stamp: NumberRef;
  body: number;
}

const BODY_CLASS_WEIGHTS: readonly number[] = [0.55, 0.35, 0.1];

/** Response bodies: mostly a few KiB, a third tens of KiB, one in ten above glibc's 128 KiB mmap threshold. */
function bodyLength(rng: Prng): number {
  switch (rng.weighted(BODY_CLASS_WEIGHTS)) {
    case 0:
      return rng.octaveInt(1024, 16 * 1024);
    case 1:
      return rng.octaveInt(16 * 1024, 128 * 1024);
    default:
      return rng.octaveInt(128 * 1024, 1024 * 1024);
  }
}

/** Label of the k-th mark: "1 GiB live" at scale 1, "256 MiB live" at scale 0.25. */
export function liveMarkLabel(k: number, scale: number): string {
  return `${formatBytes(Math.round(k * GiB * scale))} live`;
}

function* events({ scale, seed }: CaseStudyOptions): Generator<TraceEvent, void, unknown> {
  const rng = new Prng(seed);
  const b = new TraceBuilder();
  const py = new PythonHeap(b, CPYTHON_311);
  yield* startInterpreter(py, rng);
  b.idle(5_000_000); // the framework's own imports and setup

  const cache = yield* py.dict(0);
  const entries: Entry[] = [];
  const step = GiB * scale;
  let nextMark = 1;
  let item = 1000;
  while (nextMark <= TARGET_GIB) {
    const request = yield* py.bytes(rng.int(200, 1000)); // a GET with its headers
    const headers = yield* py.dict(rng.int(4, 9));
    const key = yield* py.str(6 + String(item).length);
    const body = yield* py.bytes(bodyLength(rng));
    const stamp = yield* py.float();
    const value = yield* py.tuple(2);
    yield* py.dictInsert(cache);
    entries.push({ key, value, stamp, body });
    item++;
    yield* py.dictDealloc(headers);
    yield* py.release(request);
    b.idle(REQUEST_NS);
    if (rng.chance(EVICT_CHANCE) && entries.length > 1) {
      // cache.pop(key) of a random older entry: the key and the (stamp, body) tuple go.
      const victim = rng.int(0, entries.length - 2);
      const e = entries[victim]!;
      entries[victim] = entries[entries.length - 1]!;
      entries.pop();
      py.dictDelete(cache);
      yield* py.release(e.key);
      yield* py.release(e.body);
      yield* py.floatDealloc(e.stamp);
      yield* py.tupleDealloc(e.value, 2);
    }
    while (nextMark <= TARGET_GIB && b.liveBytes >= nextMark * step) {
      yield* b.mark(liveMarkLabel(nextMark, scale));
      nextMark++;
    }
  }
}

export const oomRamp: CaseStudy = {
  name: 'oom-ramp',
  summary: 'an unbounded response cache grows to ~4 GiB of live data (run with a memory limit to see the OOM kill)',
  source: 'seed 003 (003_5fae132848e63bd5.txt), "Dying, fast and slow: out-of-memory crashes in Python"',
  python: CPYTHON_311.version,
  description:
    'A web worker caches every rendered response (bytes of 1 KiB to 1 MiB, a str key, a (time, body) tuple) in a dict that grows without bound, evicting a random entry after one request in ten; request bytes and header dicts are churned per request. Marks at each GiB of live data; the memory-limit hint makes the run stop where a 2 GiB container would kill the process.',
  hints: { 'memory-limit': '2GiB' },
  events,
};

// The parts of a Python program that every case study shares: the heap the
// interpreter has built before the first line of the script runs, the talk's
// `report()` (read VmRSS from /proc, print it), and gc.collect(2). They give
// the traces the small, long-lived objects a real process has under and
// around the case study's own data.
import type { Prng } from './prng.ts';
import type { PythonHeap } from './python-heap.ts';
import type { TraceEvent } from '../types.ts';

type Events<T = void> = Generator<TraceEvent, T, unknown>;

/**
 * Objects a freshly started interpreter holds, after the guppy partition in
 * seed 001 once the case study's data was gone: 10061 str (814552 bytes, ~81
 * each), 5894 tuples (474104 bytes, ~80 each), 73 module dicts (221656 bytes).
 */
export const STARTUP = {
  modules: 73,
  strsPerModule: 138,
  tuplesPerModule: 81,
  intsPerModule: 4,
  /** Objects built while importing (parsing, compiling) and dropped at the end of each import. */
  transientPerModule: 60,
  /** Interpreter time per imported module, ns (startup takes ~20 ms). */
  importNs: 250_000,
} as const;

/**
 * Import the modules a script's startup pulls in. Returns the number of
 * GC-tracked objects created, which sets the cost of a full collection.
 */
export function* startInterpreter(py: PythonHeap, rng: Prng): Events<number> {
  let tracked = 0;
  for (let m = 0; m < STARTUP.modules; m++) {
    // Import-time temporaries: source lines, token strings, small tuples and
    // lists, dropped once the module's code has run.
    const temps: number[] = [];
    const tempTuples: { id: number; length: number }[] = [];
    const tempLists = [yield* py.newList(), yield* py.newList()];
    for (let i = 0; i < STARTUP.transientPerModule; i++) {
      if (i % 3 === 0) {
        const length = rng.int(1, 4);
        tempTuples.push({ id: yield* py.tuple(length), length });
      } else {
        temps.push(yield* py.str(rng.octaveInt(4, 120)));
      }
      yield* py.listAppend(tempLists[i % 2]!);
    }
    const entries = rng.octaveInt(8, 256);
    yield* py.dict(entries);
    tracked++;
    for (let i = 0; i < STARTUP.strsPerModule; i++) yield* py.str(rng.octaveInt(2, 160));
    for (let i = 0; i < STARTUP.tuplesPerModule; i++) yield* py.tuple(rng.int(1, 5));
    tracked += STARTUP.tuplesPerModule;
    for (let i = 0; i < STARTUP.intsPerModule; i++) yield* py.int(1);
    for (const id of temps) yield* py.release(id);
    for (const t of tempTuples) yield* py.tupleDealloc(t.id, t.length);
    for (const list of tempLists) yield* py.listDealloc(list);
    py.b.idle(STARTUP.importNs);
  }
  return tracked;
}

/** Lines in /proc/self/status on a 3.x-era kernel, and the index of VmRSS among them. */
const STATUS_LINES = 55;
const VMRSS_LINE = 21;

/**
 * The talk's report(label): open /proc/self/status, scan for VmRSS, print
 * "label: N kB used". The mark sits where the kernel reports RSS, while the
 * file's buffers are still live. Sizes of the C-level objects are those of
 * 64-bit glibc and CPython: fopen's FILE (malloc 552), the stdio buffer of
 * st_blksize (1024 on procfs), a 2.7 file object (152 bytes; 3.x: FileIO,
 * BufferedReader with an 8192-byte buffer, TextIOWrapper).
 */
export function* report(py: PythonHeap, label: string): Events {
  const b = py.b;
  const v2 = py.layout.version.startsWith('2');
  const opened: number[] = [];
  if (v2) {
    opened.push(yield* b.malloc(152)); // PyFileObject
    opened.push(yield* b.malloc(552, 'raw')); // FILE from fopen
    opened.push(yield* b.malloc(1024, 'raw', 0)); // stdio buffer, st_blksize of procfs
  } else {
    opened.push(yield* b.malloc(16 + 72)); // FileIO
    opened.push(yield* b.malloc(16 + 184)); // BufferedReader
    opened.push(yield* b.malloc(8192, 'obj', 0)); // its read buffer (PyMem_Malloc, above pymalloc's limit)
    opened.push(yield* b.malloc(16 + 216)); // TextIOWrapper
  }
  b.idle(15_000); // open(2) and the first read of a procfs file
  // `for line in f`: each line is a new str, dropped when the next one is bound.
  let line = 0;
  for (let i = 0; i <= VMRSS_LINE; i++) {
    const next = yield* py.str(12 + ((i * 7) % 23));
    if (line !== 0) yield* py.release(line);
    line = next;
    b.idle(120);
  }
  b.idle(20_000); // the kernel walks the page tables to report VmRSS
  yield* b.mark(label);
  // line.split(): a list of three strs; then the formatted message, printed.
  const parts = yield* py.newList();
  const words: number[] = [];
  for (let i = 0; i < 3; i++) {
    words.push(yield* py.str(i === 1 ? 6 : 5));
    yield* py.listAppend(parts);
  }
  const message = yield* py.str(label.length + 16);
  b.idle(8_000); // write(2) to the terminal
  yield* py.release(message);
  for (let i = words.length - 1; i >= 0; i--) yield* py.release(words[i]!);
  yield* py.listDealloc(parts);
  yield* py.release(line);
  b.idle(STATUS_LINES * 80); // the `with` block ends: the rest of the loop, close(2)
  for (let i = opened.length - 1; i >= 0; i--) yield* b.free(opened[i]!);
}

/**
 * gc.collect(2): traverse every tracked container (~15 ns each), then empty
 * the type free lists as a full collection does.
 */
export function* gcCollect(py: PythonHeap, trackedObjects: number): Events {
  py.b.idle(50_000 + trackedObjects * 15);
  yield* py.clearFreeLists();
}

/**
 * big-small-interleaving: seed 001 (001_fbe06dc51bcf7cec.txt), the talk's
 * frag.py on CPython 2.7.3, x86-64:
 *
 *     big = alloc(100000);  report('After alloc')
 *     small = alloc(1)
 *     del big;              report('After del')
 *     import gc; gc.collect(2); report('After gc')
 *
 * 100000 strings of 5037 bytes (above obmalloc's 512-byte limit, so malloc'd)
 * fill the brk heap, with the list's item array growing by realloc beside
 * them; `small` then puts one more 5037-byte string at the top of the heap.
 * `del big` frees everything below it, but glibc can trim only from the top,
 * so RSS stays at ~500 MB (talk: 502244 / 501484 / 501496 kB); with jemalloc
 * preloaded it drops to ~11 MB (814084 / 11060 / 6988 kB).
 *
 * The talk's guppy output corroborates the sizes: 179 lists of 844888 bytes
 * after alloc, of which big's item array is 103050 slots × 8 = 824400 bytes,
 * the allocation the 2.7 growth series reaches for 100000 appends.
 */
import { CPYTHON_27 } from './cpython-sizes.ts';
import { scaled, type CaseStudy, type CaseStudyOptions } from './case-study.ts';
import { gcCollect, report, startInterpreter } from './interpreter.ts';
import { Prng } from './prng.ts';
import { PythonHeap } from './python-heap.ts';
import { dropList, talkAlloc } from './talk-alloc.ts';
import { TraceBuilder } from './trace-builder.ts';
import type { TraceEvent } from '../types.ts';

export const BIG_STRINGS = 100_000;

function* events({ scale, seed }: CaseStudyOptions): Generator<TraceEvent, void, unknown> {
  const rng = new Prng(seed);
  const b = new TraceBuilder();
  const py = new PythonHeap(b, CPYTHON_27);
  const tracked = yield* startInterpreter(py, rng);
  b.idle(2_000_000); // compile and start running frag.py

  const big = yield* talkAlloc(py, scaled(BIG_STRINGS, scale));
  yield* report(py, 'After alloc');
  const small = yield* talkAlloc(py, 1);
  yield* dropList(py, big.list, big.strings);
  yield* report(py, 'After del');
  b.idle(400_000); // import gc
  yield* gcCollect(py, tracked + 2);
  yield* report(py, 'After gc');
  // `small` stays alive to the end, as in the talk's script.
  void small;
}

export const bigSmallInterleaving: CaseStudy = {
  name: 'big-small-interleaving',
  summary: 'frag.py: 100000 strings of 5 KB, one more kept, the first 100000 freed (glibc keeps ~500 MB)',
  source: 'seed 001 (001_fbe06dc51bcf7cec.txt), frag.py',
  python: CPYTHON_27.version,
  description:
    "big = alloc(100000) builds a list of 100000 ' ' * 5000 strings (PyObject_MALLOC(5037), above obmalloc's limit); small = alloc(1) allocates one more on top; del big frees the strings last to first and the item array; gc.collect(2) clears the free lists. Talk (2.7.3, x86-64): glibc 502244 / 501484 / 501496 kB, jemalloc 814084 / 11060 / 6988 kB at After alloc / After del / After gc.",
  events,
};

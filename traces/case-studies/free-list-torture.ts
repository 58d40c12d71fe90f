/**
 * free-list-torture: seed 001 (001_fbe06dc51bcf7cec.txt), the talk's
 * lists.py on CPython 2.7.3, x86-64:
 *
 *     big = []
 *     for i in xrange(500):
 *         strings = alloc(i)
 *         big.extend(strings)
 *     report('After work')
 *     del big
 *     report('After del')
 *
 * Each round builds a fresh list of i strings of 5037 bytes; rebinding
 * `strings` drops the previous round's list: its item array is freed and its
 * header goes to the list free list, while its strings live on in `big`.
 * big's item array grows by one realloc per extend. Σ i for i < 500 = 124750
 * strings (~628 MB) end up in `big`; `del big` frees all but the 499 the last
 * `strings` list still holds, and those sit at the top of the heap, so glibc
 * keeps nearly everything (talk: 622172 / 621248 kB).
 */
import { CPYTHON_27 } from './cpython-sizes.ts';
import type { CaseStudy, CaseStudyOptions } from './case-study.ts';
import { report, startInterpreter } from './interpreter.ts';
import { Prng } from './prng.ts';
import { PythonHeap } from './python-heap.ts';
import { dropList, talkAlloc, type AllocResult } from './talk-alloc.ts';
import { TraceBuilder } from './trace-builder.ts';
import type { TraceEvent } from '../types.ts';

export const ROUNDS = 500;

/** Strings allocated in round i: i at scale 1; the scale multiplies each round's count, keeping 500 rounds. */
export function roundStrings(i: number, scale: number): number {
  return Math.round(i * scale);
}

function* events({ scale, seed }: CaseStudyOptions): Generator<TraceEvent, void, unknown> {
  const rng = new Prng(seed);
  const b = new TraceBuilder();
  const py = new PythonHeap(b, CPYTHON_27);
  yield* startInterpreter(py, rng);
  b.idle(2_000_000); // compile and start running lists.py

  const big = yield* py.newList();
  const bigItems: number[] = [];
  let strings: AllocResult | null = null;
  for (let i = 0; i < ROUNDS; i++) {
    const next: AllocResult = yield* talkAlloc(py, roundStrings(i, scale));
    // `strings = ...` drops the previous list; big still references its strings.
    if (strings) yield* py.listDealloc(strings.list);
    strings = next;
    yield* py.listExtend(big, next.strings.length);
    for (const id of next.strings) bigItems.push(id);
    b.idle(400); // the loop step, the call, the method lookup
  }
  yield* report(py, 'After work');
  const held = strings ? strings.strings.length : 0;
  const firstHeld = bigItems.length - held;
  yield* dropList(py, big, bigItems, (index) => index >= firstHeld);
  yield* report(py, 'After del');
}

export const freeListTorture: CaseStudy = {
  name: 'free-list-torture',
  summary: 'lists.py: 500 rounds of alloc(i) extended into one list, then del (glibc keeps ~620 MB)',
  source: 'seed 001 (001_fbe06dc51bcf7cec.txt), lists.py',
  python: CPYTHON_27.version,
  description:
    'for i in xrange(500): strings = alloc(i); big.extend(strings) puts 124750 strings of 5037 bytes in one list; each rebinding of strings frees the previous item array and parks its header on the list free list; del big frees all strings but the 499 the last strings list holds, at the top of the heap. Talk (2.7.3, x86-64, glibc): 622172 / 621248 kB at After work / After del.',
  scaleNote: 'the scale multiplies the strings of each of the 500 rounds (round i allocates round(i × scale))',
  events,
};

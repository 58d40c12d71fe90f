// The helper both programs of the 2014 talk (seed 001) call. The slides show
// only its use; the heap they report (100000 str of 5037 bytes for
// alloc(100000): guppy counts 110222 str totalling 504818568 bytes, of which
// 100000 × 5040 once rounded to 8 are the new strings) fits
//
//     def alloc(n):
//         return [' ' * 5000 for _ in xrange(n)]
//
// in CPython 2.7: BUILD_LIST takes a header from the list free list, each
// `' ' * 5000` is PyObject_MALLOC(37 + 5000) filled by memset, and
// LIST_APPEND grows the item array through list_resize. xrange's ints come
// from the int free list and go back to it, so they make no requests.
import type { PyList, PythonHeap } from './python-heap.ts';
import type { TraceEvent } from '../types.ts';

export const TALK_STRING_LENGTH = 5000;

/** Bytecode work per comprehension iteration besides the allocation (FOR_ITER, STORE, LIST_APPEND). */
const ITERATION_NS = 90;

export interface AllocResult {
  list: PyList;
  /** Ids of the strings, in list order. */
  strings: number[];
}

export function* talkAlloc(py: PythonHeap, n: number): Generator<TraceEvent, AllocResult, unknown> {
  const list = yield* py.newList();
  const strings: number[] = [];
  for (let i = 0; i < n; i++) {
    strings.push(yield* py.str(TALK_STRING_LENGTH));
    yield* py.listAppend(list);
    py.b.idle(ITERATION_NS);
  }
  return { list, strings };
}

/**
 * Drop the last reference to a list: list_dealloc releases the items last to
 * first ("Do it backwards, for Christian Tismer", listobject.c), skipping
 * those still referenced elsewhere, then the item array and the header.
 */
export function* dropList(py: PythonHeap, list: PyList, items: readonly number[], stillReferenced: (index: number) => boolean = () => false): Generator<TraceEvent, void, unknown> {
  for (let i = items.length - 1; i >= 0; i--) {
    if (stillReferenced(i)) continue;
    yield* py.release(items[i]!);
    py.b.idle(15); // the DECREF and the loop step
  }
  yield* py.listDealloc(list);
}

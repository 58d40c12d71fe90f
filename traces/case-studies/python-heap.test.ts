import { describe, expect, it } from 'vitest';
import { CPYTHON_27, CPYTHON_311 } from './cpython-sizes.ts';
import { PythonHeap } from './python-heap.ts';
import { TraceBuilder } from './trace-builder.ts';
import type { TraceEvent } from '../types.ts';

/** Run a generator to its end, collecting what it yields and returns. */
function run<T>(gen: Generator<TraceEvent, T, unknown>): { events: TraceEvent[]; value: T } {
  const events: TraceEvent[] = [];
  let step = gen.next();
  while (!step.done) {
    events.push(step.value);
    step = gen.next();
  }
  return { events, value: step.value };
}

const brief = (events: TraceEvent[]) => events.map((e) => `${e.op}${e.op === 'free' ? '' : ` ${e.size}`}${e.domain === 'raw' ? ' raw' : ''}`);

describe('PythonHeap lists', () => {
  it('2.7: appends malloc the item array, then realloc it through 4, 8, 16, 25 slots (raw)', () => {
    const py = new PythonHeap(new TraceBuilder(), CPYTHON_27);
    const { events, value: list } = run(py.newList());
    expect(brief(events)).toEqual(['malloc 72']);
    const grown = run(
      (function* () {
        for (let i = 0; i < 17; i++) yield* py.listAppend(list);
      })(),
    ).events;
    // 8 bytes per slot: 4 → 32, 8 → 64, 16 → 128, 25 → 200; appends 1, 5, 9 and 17 reallocate.
    expect(brief(grown)).toEqual(['malloc 32 raw', 'realloc 64 raw', 'realloc 128 raw', 'realloc 200 raw']);
    expect(list.allocated).toBe(25);
    expect(list.size).toBe(17);
  });

  it('3.11: item arrays are PyMem (obj domain) and follow the 3.9+ series', () => {
    const py = new PythonHeap(new TraceBuilder(), CPYTHON_311);
    const list = run(py.newList()).value;
    const grown = run(
      (function* () {
        for (let i = 0; i < 17; i++) yield* py.listAppend(list);
      })(),
    ).events;
    expect(brief(grown)).toEqual(['malloc 32', 'realloc 64', 'realloc 128', 'realloc 192']);
  });

  it('extend resizes once to the sum, and not at all for an empty extend', () => {
    const py = new PythonHeap(new TraceBuilder(), CPYTHON_27);
    const list = run(py.newList()).value;
    expect(run(py.listExtend(list, 0)).events).toEqual([]);
    // 100 items: 100 + 12 + 6 = 118 slots = 944 bytes, one request.
    expect(brief(run(py.listExtend(list, 100)).events)).toEqual(['malloc 944 raw']);
    expect(brief(run(py.listExtend(list, 10)).events)).toEqual([]); // 110 <= 118
  });

  it('a dead list frees its item array but parks its header on the free list, which the next list reuses', () => {
    const b = new TraceBuilder();
    const py = new PythonHeap(b, CPYTHON_27);
    const list = run(py.newList()).value;
    run(py.listAppend(list));
    const dealloc = run(py.listDealloc(list)).events;
    expect(dealloc.map((e) => `${e.op} ${e.id}`)).toEqual([`free ${list.items || 2}`]);
    expect(py.freeListHeaders).toEqual([list.header]);
    const again = run(py.newList());
    expect(again.events).toEqual([]); // no malloc: the header comes off the free list
    expect(again.value.header).toBe(list.header);
  });

  it('the list free list keeps at most 80 headers; the 81st is freed', () => {
    const py = new PythonHeap(new TraceBuilder(), CPYTHON_311);
    const lists = run(
      (function* () {
        const out = [];
        for (let i = 0; i < 81; i++) out.push(yield* py.newList());
        return out;
      })(),
    ).value;
    const freed = run(
      (function* () {
        for (const l of lists) yield* py.listDealloc(l);
      })(),
    ).events;
    expect(freed.map((e) => e.op)).toEqual(['free']);
    expect(freed[0]!.id).toBe(String(lists[80]!.header));
  });
});

describe('PythonHeap dicts, tuples and numbers', () => {
  it('3.11: a 6-item dict display is presized to 16 slots (208-byte keys)', () => {
    const py = new PythonHeap(new TraceBuilder(), CPYTHON_311);
    // estimate_log2_keysize(6) = log2 of (3*6+1)/2 = 9 rounded up to 16.
    expect(brief(run(py.dict(6)).events)).toEqual(['malloc 64', 'malloc 208']);
  });

  it('3.11: inserting into an empty dict makes 8 slots; the 6th insert resizes to 16', () => {
    const py = new PythonHeap(new TraceBuilder(), CPYTHON_311);
    const d = run(py.dict(0)).value;
    const inserts = run(
      (function* () {
        for (let i = 0; i < 6; i++) yield* py.dictInsert(d);
      })(),
    ).events;
    // 5 usable in 8 slots; at the 6th, GROWTH_RATE = 3 * 5 = 15 → 16 slots. The old
    // 8-slot table is not freed: dictresize parks it on the keys free list...
    expect(brief(inserts)).toEqual(['malloc 120', 'malloc 208']);
    // ...from which the next small dict takes it, with no malloc for its keys.
    expect(brief(run(py.dict(3)).events)).toEqual(['malloc 64']);
  });

  it('2.7: the 6th key fills 2/3 of the 8 inline slots and moves the table to 32 slots (raw)', () => {
    const py = new PythonHeap(new TraceBuilder(), CPYTHON_27);
    const d = run(py.dict(0)).value;
    const inserts = run(
      (function* () {
        for (let i = 0; i < 6; i++) yield* py.dictInsert(d);
      })(),
    ).events;
    // fill 6: 6 * 3 >= 8 * 2; minused 4 * 6 = 24 → 32 slots × 24 bytes.
    expect(brief(inserts)).toEqual(['malloc 768 raw']);
  });

  it('dead tuples go to their per-length free list and come back without a malloc', () => {
    const py = new PythonHeap(new TraceBuilder(), CPYTHON_311);
    const t = run(py.tuple(3)).value;
    expect(run(py.tupleDealloc(t, 3)).events).toEqual([]);
    expect(run(py.tuple(2)).events.length).toBe(1); // another length: a new block
    const again = run(py.tuple(3));
    expect(again.events).toEqual([]);
    expect(again.value).toBe(t);
  });

  it('2.7 ints take 1000-byte raw blocks, 41 each; gc frees only blocks with no live int', () => {
    const py = new PythonHeap(new TraceBuilder(), CPYTHON_27);
    const made = run(
      (function* () {
        const refs = [];
        for (let i = 0; i < 42; i++) refs.push(yield* py.int());
        return refs;
      })(),
    );
    expect(brief(made.events)).toEqual(['malloc 1000 raw', 'malloc 1000 raw']);
    // Free the 41 ints of the first block; the second block's int stays live.
    for (const ref of made.value.slice(0, 41)) run(py.intDealloc(ref));
    const cleared = run(py.clearFreeLists()).events;
    expect(cleared.map((e) => `${e.op} ${e.id}`)).toEqual([`free ${made.events[0]!.id}`]);
  });

  it('3.11 gc.collect(2) empties the list free list; 2.7 keeps it', () => {
    for (const [layout, frees] of [
      [CPYTHON_311, 1],
      [CPYTHON_27, 0],
    ] as const) {
      const py = new PythonHeap(new TraceBuilder(), layout);
      const list = run(py.newList()).value;
      run(py.listDealloc(list));
      expect(run(py.clearFreeLists()).events.length).toBe(frees);
    }
  });
});

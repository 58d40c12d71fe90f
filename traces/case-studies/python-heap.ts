// What CPython's object layer asks the allocator for, as trace events: objects
// of the sizes in cpython-sizes.ts, list item arrays grown by list_resize, and
// the type free lists that sit between Python code and obmalloc (a list that
// dies keeps its header on the free list, so no free event; the next list
// reuses it, so no malloc). Generators call these instead of writing sizes.
import { dictLog2ForItems, dictUsable, listFitsWithoutResize, type PythonLayout } from './cpython-sizes.ts';
import type { TraceBuilder } from './trace-builder.ts';
import type { TraceEvent } from '../types.ts';

type Events<T = void> = Generator<TraceEvent, T, unknown>;

/** A Python list: its GC header block and its item array (0 while it has none). */
export interface PyList {
  header: number;
  items: number;
  allocated: number;
  size: number;
}

/** A Python dict: object block, separately allocated table (0: none or inline), table size. */
export interface PyDict {
  obj: number;
  table: number;
  log2: number;
  used: number;
  /** 2.x: slots ever filled (dummies included). */
  fill: number;
  /** 3.x: entries still usable before a resize. */
  usable: number;
}

/**
 * An int or float: a trace id (3.x, a pymalloc object) or, in 2.x, a slot in
 * a 1000-byte number block, encoded as -(block index + 1).
 */
export type NumberRef = number;

/**
 * 2.x int/float storage: 1000-byte raw blocks carved into fixed slots. Freed
 * objects go back on a free list (LIFO), never to malloc, until
 * PyInt_ClearFreeList / PyFloat_ClearFreeList frees blocks with no live slot.
 */
class NumberBlocks {
  private readonly blockIds: number[] = [];
  private readonly liveSlots: number[] = [];
  /** Free slots, by block index, most recently freed last. */
  private freeSlots: number[] = [];

  constructor(
    private readonly b: TraceBuilder,
    private readonly blockBytes: number,
    private readonly perBlock: number,
  ) {}

  *take(): Events<NumberRef> {
    if (this.freeSlots.length === 0) {
      const id = yield* this.b.malloc(this.blockBytes, 'raw', 8);
      const index = this.blockIds.length;
      this.blockIds.push(id);
      this.liveSlots.push(0);
      // fill_free_list threads the new block's objects so the first slot is handed out last.
      for (let i = 0; i < this.perBlock; i++) this.freeSlots.push(index);
    }
    const index = this.freeSlots.pop()!;
    this.liveSlots[index]!++;
    return -(index + 1);
  }

  give(ref: NumberRef): void {
    const index = -ref - 1;
    this.liveSlots[index]!--;
    this.freeSlots.push(index);
  }

  /** Free every block whose slots are all free (the ClearFreeList functions). */
  *clear(): Events {
    const emptied = new Set<number>();
    for (let i = 0; i < this.blockIds.length; i++) {
      if (this.liveSlots[i] === 0 && this.blockIds[i]! > 0) {
        yield* this.b.free(this.blockIds[i]!);
        this.blockIds[i] = 0;
        emptied.add(i);
      }
    }
    if (emptied.size > 0) this.freeSlots = this.freeSlots.filter((i) => !emptied.has(i));
  }
}

export class PythonHeap {
  private readonly listFree: number[] = [];
  private readonly dictFree: number[] = [];
  private readonly keysFree: number[] = [];
  private readonly floatFree: number[] = [];
  /** Tuple free lists by length: the blocks of dead tuples kept for reuse. */
  private readonly tupleFree: number[][] = [];
  private readonly ints: NumberBlocks | null;
  private readonly floats: NumberBlocks | null;

  constructor(
    readonly b: TraceBuilder,
    readonly layout: PythonLayout,
  ) {
    const blocks = layout.numberBlockBytes > 0;
    this.ints = blocks ? new NumberBlocks(b, layout.numberBlockBytes, layout.numbersPerBlock) : null;
    this.floats = blocks ? new NumberBlocks(b, layout.numberBlockBytes, layout.numbersPerBlock) : null;
    for (let n = 0; n < layout.freeLists.tupleMaxLen; n++) this.tupleFree.push([]);
  }

  // ---- strings and bytes ------------------------------------------------

  /** A str of `len` ASCII characters. */
  *str(len: number): Events<number> {
    return yield* this.b.malloc(this.layout.strSize(len));
  }

  *bytes(len: number): Events<number> {
    return yield* this.b.malloc(this.layout.bytesSize(len));
  }

  /** Free an object that has no free list (str, bytes, 3.x int). */
  *release(id: number): Events {
    yield* this.b.free(id);
  }

  // ---- lists -------------------------------------------------------------

  /** PyList_New(0): a header from the free list, else a fresh GC object. */
  *newList(): Events<PyList> {
    const header = this.listFree.length > 0 ? this.listFree.pop()! : yield* this.b.malloc(this.layout.listHeader);
    return { header, items: 0, allocated: 0, size: 0 };
  }

  /** list_resize: realloc the item array unless allocated/2 <= newSize <= allocated. */
  *listResize(list: PyList, newSize: number): Events {
    if (listFitsWithoutResize(list.allocated, newSize)) {
      list.size = newSize;
      return;
    }
    const allocated = this.layout.listGrowth(newSize, list.size);
    const bytes = allocated * this.layout.pointerBytes;
    if (list.items === 0) {
      // realloc(NULL, n) is a malloc; the slots are written by the caller as items arrive.
      list.items = yield* this.b.malloc(bytes, this.layout.itemArrayDomain, 0);
    } else if (allocated === 0) {
      yield* this.b.free(list.items);
      list.items = 0;
    } else {
      yield* this.b.realloc(list.items, bytes);
    }
    list.allocated = allocated;
    list.size = newSize;
  }

  *listAppend(list: PyList): Events {
    yield* this.listResize(list, list.size + 1);
  }

  /** list.extend(other) with len(other) = n: one resize to the sum (nothing for n = 0). */
  *listExtend(list: PyList, n: number): Events {
    if (n === 0) return;
    yield* this.listResize(list, list.size + n);
  }

  /**
   * list_dealloc after the caller has released the items (CPython drops them
   * last to first): free the item array, keep the header if the free list has room.
   */
  *listDealloc(list: PyList): Events {
    if (list.items !== 0) yield* this.b.free(list.items);
    if (this.listFree.length < this.layout.freeLists.list) this.listFree.push(list.header);
    else yield* this.b.free(list.header);
    list.items = 0;
    list.allocated = 0;
    list.size = 0;
  }

  // ---- tuples ------------------------------------------------------------

  *tuple(n: number): Events<number> {
    const free = this.tupleFree[n];
    if (free !== undefined && free.length > 0) return free.pop()!;
    return yield* this.b.malloc(this.layout.tupleSize(n));
  }

  /** tupledealloc after the items are released: short tuples go to their free list. */
  *tupleDealloc(id: number, n: number): Events {
    // A wrong length would file the block under another size and corrupt later reuse.
    if (this.b.sizeOf(id) !== this.layout.tupleSize(n)) throw new Error(`block ${id} is not a tuple of ${n} items`);
    const free = this.tupleFree[n];
    if (free !== undefined && n > 0 && free.length < this.layout.freeLists.tuple) free.push(id);
    else yield* this.b.free(id);
  }

  // ---- numbers -------------------------------------------------------------

  /** An int needing `digits` 30-bit digits (ignored in 2.x, where every int is 24 bytes). */
  *int(digits = 1): Events<NumberRef> {
    if (this.ints) return yield* this.ints.take();
    return yield* this.b.malloc(this.layout.intSize(digits));
  }

  *intDealloc(ref: NumberRef): Events {
    if (this.ints) this.ints.give(ref);
    else yield* this.b.free(ref);
  }

  *float(): Events<NumberRef> {
    if (this.floats) return yield* this.floats.take();
    if (this.floatFree.length > 0) return this.floatFree.pop()!;
    return yield* this.b.malloc(this.layout.floatSize);
  }

  *floatDealloc(ref: NumberRef): Events {
    if (this.floats) this.floats.give(ref);
    else if (this.floatFree.length < this.layout.freeLists.float) this.floatFree.push(ref);
    else yield* this.b.free(ref);
  }

  // ---- dicts ---------------------------------------------------------------

  /** A dict presized for `n` items (a dict display or dict(...) call), then filled with them. */
  *dict(n: number): Events<PyDict> {
    const obj = this.dictFree.length > 0 ? this.dictFree.pop()! : yield* this.b.malloc(this.layout.dictObject);
    const d: PyDict = { obj, table: 0, log2: 3, used: 0, fill: 0, usable: dictUsable(3) };
    if (this.layout.dictStyle === 'compact-3.x') {
      // estimate_log2_keysize(n) = calculate_log2_keysize((3n + 1) / 2); {} starts with the shared empty keys.
      if (n > 0) yield* this.resizeDict(d, ceilLog2(Math.max(8, Math.floor((3 * n + 1) / 2))));
    } else if (n > 5) {
      // _PyDict_NewPresized: dictresize(mp, n) only for more than 5 items.
      yield* this.resizeDict(d, floorLog2(n) + 1);
    }
    for (let i = 0; i < n; i++) yield* this.dictInsert(d);
    return d;
  }

  /** Insert a new key. */
  *dictInsert(d: PyDict): Events {
    if (this.layout.dictStyle === 'compact-3.x') {
      if (d.table === 0 || d.usable <= 0) yield* this.resizeDict(d, Math.max(3, ceilLog2(d.used * 3)));
      d.usable--;
      d.used++;
      return;
    }
    d.used++;
    d.fill++;
    if (d.fill * 3 >= 2 ** d.log2 * 2) {
      const minUsed = (d.used > 50000 ? 2 : 4) * d.used;
      yield* this.resizeDict(d, floorLog2(minUsed) + 1);
    }
  }

  /** Delete a key: the slot or entry is not given back until the next resize. */
  dictDelete(d: PyDict): void {
    d.used--;
  }

  *dictDealloc(d: PyDict): Events {
    yield* this.dropTable(d);
    if (this.dictFree.length < this.layout.freeLists.dict) this.dictFree.push(d.obj);
    else yield* this.b.free(d.obj);
  }

  private *resizeDict(d: PyDict, log2: number): Events {
    const bytes = this.layout.dictTableSize(log2);
    let table = 0;
    if (bytes > 0) {
      const pooled = log2 === 3 && this.keysFree.length > 0;
      table = pooled ? this.keysFree.pop()! : yield* this.b.malloc(bytes, this.layout.dictTableDomain);
    }
    yield* this.dropTable(d);
    d.table = table;
    d.log2 = log2;
    d.fill = d.used;
    d.usable = dictUsable(log2) - d.used;
  }

  /** free_keys_object: 8-slot tables go to the keys free list while it has room (3.x). */
  private *dropTable(d: PyDict): Events {
    if (d.table === 0) return;
    if (d.log2 === 3 && this.keysFree.length < this.layout.freeLists.keys) this.keysFree.push(d.table);
    else yield* this.b.free(d.table);
    d.table = 0;
  }

  // ---- the collector ---------------------------------------------------------

  /**
   * What gc.collect(2) gives back besides cyclic garbage: the type free lists.
   * 2.7 clears tuples, ints and floats (number blocks with no live object);
   * 3.x clears the list, dict and float free lists as well.
   */
  *clearFreeLists(): Events {
    for (const free of this.tupleFree) while (free.length > 0) yield* this.b.free(free.pop()!);
    if (this.ints) yield* this.ints.clear();
    if (this.floats) yield* this.floats.clear();
    while (this.floatFree.length > 0) yield* this.b.free(this.floatFree.pop()!);
    if (this.layout.gcClearsContainerFreeLists) {
      while (this.listFree.length > 0) yield* this.b.free(this.listFree.pop()!);
      while (this.dictFree.length > 0) yield* this.b.free(this.dictFree.pop()!);
      while (this.keysFree.length > 0) yield* this.b.free(this.keysFree.pop()!);
    }
  }

  /** Headers waiting on the list free list (for tests and findings). */
  get freeListHeaders(): readonly number[] {
    return this.listFree;
  }
}

function floorLog2(n: number): number {
  let log2 = 0;
  while (2 ** (log2 + 1) <= n) log2++;
  return log2;
}

function ceilLog2(n: number): number {
  let log2 = 0;
  while (2 ** log2 < n) log2++;
  return log2;
}

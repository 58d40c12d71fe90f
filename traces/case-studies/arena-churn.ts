/**
 * arena-churn: seed 002 (002_5d4cab7e66f53a60.txt), Evan Jones' PyCon 2005
 * story, with seed 004's design in mind: a Python program builds a large
 * simulation scenario out of many small objects, writes it out, drops it,
 * and must then hand the memory to the simulator it starts. Modelled on
 * CPython 3.11 sizes (the arena-freeing obmalloc of today):
 *
 *     scenario, checkpoints = [], {}
 *     for i in range(N):
 *         scenario.append({'id': i, 'name': f'node-{i}', 'pos': (x, y, z),
 *                          'load': random(), 'links': [randrange(N) ...],
 *                          'note': text})
 *         if checkpoint_due(): checkpoints[f'cp-{i}'] = (i, time(), load)
 *     report('After build');  write(scenario);  del scenario
 *     report('After free')
 *     results = [(i, score(i)) for i in sample]
 *     subprocess.run(simulator)          # 'Handoff'
 *
 * Every object is 24-256 bytes, so all of it lives in obmalloc pools. The
 * checkpoints are a few long-lived objects created in bursts between the
 * temporaries: each burst pins the arena that was current, so after the
 * free some arenas cannot be returned while most can. The results, built
 * after the free, land in the pinned arenas' free pools first (usable_arenas
 * prefers the fullest arena), which is what lets arena freeing work.
 */
import { CPYTHON_311 } from './cpython-sizes.ts';
import { scaled, type CaseStudy, type CaseStudyOptions } from './case-study.ts';
import { startInterpreter } from './interpreter.ts';
import { Prng } from './prng.ts';
import { PythonHeap, type NumberRef, type PyDict, type PyList } from './python-heap.ts';
import { TraceBuilder } from './trace-builder.ts';
import type { TraceEvent } from '../types.ts';

export const NODES = 20_000;
/** Chance per node that a checkpoint burst (long-lived objects) follows it. */
export const CHECKPOINT_CHANCE = 1 / 2500;
/** Share of nodes that get a result after the simulation scenario is freed. */
export const RESULT_SHARE = 0.3;
/** Python 3.11 caches ints -5..256; larger ones are 28-byte objects. */
const SMALL_INT_LIMIT = 256;

type Events<T = void> = Generator<TraceEvent, T, unknown>;

interface Node {
  dict: PyDict;
  id: NumberRef;
  name: number;
  pos: number;
  coords: [NumberRef, NumberRef, NumberRef];
  load: NumberRef;
  links: PyList;
  linkInts: NumberRef[];
  note: number;
}

function decimalDigits(n: number): number {
  return String(n).length;
}

function* intObject(py: PythonHeap, value: number): Events<NumberRef> {
  return value <= SMALL_INT_LIMIT ? 0 : yield* py.int(1);
}

function* dropInt(py: PythonHeap, ref: NumberRef): Events {
  if (ref !== 0) yield* py.intDealloc(ref);
}

function* buildNode(py: PythonHeap, rng: Prng, i: number, total: number): Events<Node> {
  const b = py.b;
  const id = yield* intObject(py, i);
  // f'node-{i}': FORMAT_VALUE makes str(i), BUILD_STRING joins, the temporary goes.
  const digits = yield* py.str(decimalDigits(i));
  const name = yield* py.str(5 + decimalDigits(i));
  yield* py.release(digits);
  const coords: [NumberRef, NumberRef, NumberRef] = [yield* py.float(), yield* py.float(), yield* py.float()];
  const pos = yield* py.tuple(3);
  const load = yield* py.float();
  const links = yield* py.newList();
  const linkInts: NumberRef[] = [];
  const linkCount = rng.int(1, 6);
  for (let k = 0; k < linkCount; k++) {
    linkInts.push(yield* intObject(py, rng.int(0, total - 1)));
    yield* py.listAppend(links);
  }
  const note = yield* py.str(rng.octaveInt(12, 190));
  const dict = yield* py.dict(6);
  b.idle(4_000); // the loop body's bytecode, random(), randrange()
  return { dict, id, name, pos, coords, load, links, linkInts, note };
}

/** dict_dealloc: values in insertion order, then the keys table and the dict. */
function* dropNode(py: PythonHeap, node: Node): Events {
  yield* dropInt(py, node.id);
  yield* py.release(node.name);
  for (let k = 2; k >= 0; k--) yield* py.floatDealloc(node.coords[k]);
  yield* py.tupleDealloc(node.pos, 3);
  yield* py.floatDealloc(node.load);
  for (let k = node.linkInts.length - 1; k >= 0; k--) yield* dropInt(py, node.linkInts[k]!);
  yield* py.listDealloc(node.links);
  yield* py.release(node.note);
  yield* py.dictDealloc(node.dict);
  py.b.idle(40);
}

function* events({ scale, seed }: CaseStudyOptions): Events {
  const rng = new Prng(seed);
  const b = new TraceBuilder();
  const py = new PythonHeap(b, CPYTHON_311);
  yield* startInterpreter(py, rng);
  b.idle(3_000_000);

  const total = scaled(NODES, scale);
  const scenario = yield* py.newList();
  const checkpoints = yield* py.dict(0);
  const nodes: Node[] = [];
  for (let i = 0; i < total; i++) {
    nodes.push(yield* buildNode(py, rng, i, total));
    yield* py.listAppend(scenario);
    if (rng.chance(CHECKPOINT_CHANCE)) {
      // checkpoints[f'cp-{i}'] = (i, time(), load): kept to the end of the program.
      yield* py.str(3 + decimalDigits(i));
      yield* intObject(py, i);
      yield* py.float();
      yield* py.tuple(3);
      yield* py.dictInsert(checkpoints);
    }
  }
  yield* b.mark('After build');

  // Write the scenario out, one line per node through a BufferedWriter.
  const buffer = yield* b.malloc(8192, 'obj', 0);
  for (let i = 0; i < total; i++) {
    const line = yield* py.str(rng.int(90, 240));
    b.idle(1_500); // formatting, and a write(2) per 8 KiB
    yield* py.release(line);
  }
  yield* b.free(buffer);

  // del scenario: list_dealloc drops the nodes last to first.
  for (let i = nodes.length - 1; i >= 0; i--) yield* dropNode(py, nodes[i]!);
  nodes.length = 0;
  yield* py.listDealloc(scenario);
  yield* b.mark('After free');

  // The part of the scenario the program keeps: results for a sample of nodes.
  const results = yield* py.newList();
  for (let i = 0; i < total; i++) {
    if (!rng.chance(RESULT_SHARE)) continue;
    yield* intObject(py, i);
    yield* py.float();
    yield* py.tuple(2);
    yield* py.listAppend(results);
    b.idle(400);
  }
  b.idle(5_000_000); // fork and exec of the simulator
  b.idle(1_000_000_000); // the simulator loads and starts asking for memory
  yield* b.mark('Handoff');
}

export const arenaChurn: CaseStudy = {
  name: 'arena-churn',
  summary: 'a scenario of many small objects is built, freed and handed over; a few long-lived objects pin arenas',
  source: 'seed 002 (002_5d4cab7e66f53a60.txt), Evan Jones, PyCon 2005; design in seed 004',
  python: CPYTHON_311.version,
  description:
    'A program builds a simulation scenario of small objects (dicts with keys tables, ints, floats, 3-tuples, short strs, lists of ints: 24-256 bytes, all in obmalloc pools), with bursts of long-lived checkpoint objects between them; writes it out, frees it, then builds results for 30% of the nodes and hands over to a simulator. After free and Handoff show what arena freeing gives back and which arenas the checkpoints pin.',
  scaleNote: 'scale 1 builds 20000 nodes (~17 MB of small objects at peak) so that the committed trace stays under 5 MB; --scale 15 to 20 gives the few hundred MB of the seed',
  events,
};

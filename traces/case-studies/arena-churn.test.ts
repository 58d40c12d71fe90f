import { describe, expect, it } from 'vitest';
import { arenaChurn, NODES } from './arena-churn.ts';
import { CPYTHON_311 } from './cpython-sizes.ts';
import { startInterpreter } from './interpreter.ts';
import { Prng } from './prng.ts';
import { PythonHeap } from './python-heap.ts';
import { TraceBuilder } from './trace-builder.ts';
import { traceFacts } from './trace-facts.ts';

/** Events of the interpreter start-up that precedes the program (same seed, same PRNG draws). */
function startupEvents(seed: number): number {
  return [...startInterpreter(new PythonHeap(new TraceBuilder(), CPYTHON_311), new Prng(seed))].length;
}

describe('arena-churn (seed 002)', () => {
  const sizes: number[] = [];
  const firstNodeEvent = startupEvents(1);
  const facts = traceFacts(arenaChurn.events({ scale: 1, seed: 1 }), (e) => {
    if (e.op === 'malloc') sizes.push(e.size);
  });
  const mark = (label: string) => facts.marks.find((m) => m.label === label)!;
  const build = mark('After build');
  const free = mark('After free');
  const handoff = mark('Handoff');

  it('asks for small objects: at least 97 % of requests are 24-256 bytes, all obj domain', () => {
    const small = sizes.filter((s) => s >= 24 && s <= 256).length;
    expect(small / sizes.length).toBeGreaterThan(0.97);
  });

  it('frees the bulk: after the free, under 10 % of the peak blocks are live', () => {
    expect(build.liveBlocks).toBeGreaterThan(NODES * 10);
    expect(free.liveBlocks / build.liveBlocks).toBeLessThan(0.1);
  });

  it('keeps a few long-lived objects from the build phase, spread through it', () => {
    const kept = [...facts.endLive.values()].filter((b) => b.born > firstNodeEvent && b.born < build.index && b.size <= 256);
    // Checkpoint bursts (a str, an int, a float, a 3-tuple each) plus what the type free
    // lists keep: up to 2000 3-tuples, 100 floats, 80 dicts, 80 keys tables, 80 lists.
    const freeListed = 2000 + 100 + 80 + 80 + 80;
    expect(kept.length).toBeGreaterThan(freeListed / 2);
    expect(kept.length).toBeLessThan(freeListed + NODES * 0.01);
    const span = build.index - firstNodeEvent;
    const borns = kept.map((b) => b.born).sort((x, y) => x - y);
    expect(borns[0]! - firstNodeEvent).toBeLessThan(span / 2);
    expect(build.index - borns[borns.length - 1]!).toBeLessThan(span / 2);
  });

  it('builds most survivors after the free: results for ~30 % of nodes before the handoff', () => {
    // Each result is an int, a float and a 2-tuple: about 3 × 0.3 × NODES blocks.
    const added = handoff.liveBlocks - free.liveBlocks;
    expect(added).toBeGreaterThan(0.8 * 3 * 0.3 * NODES);
    expect(added).toBeLessThan(1.2 * 3 * 0.3 * NODES);
  });

  it('hands over after the program waits for the simulator (>= 1 s)', () => {
    expect(handoff.timeNs - free.timeNs).toBeGreaterThan(1e9);
  });
});

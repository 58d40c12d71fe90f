import { describe, expect, it } from 'vitest';
import { markedCycles, sawtooth } from './sawtooth.ts';
import { traceFacts, type TraceFacts } from './trace-facts.ts';

function run(scale: number): { facts: TraceFacts; sizes: number[]; gapsAfterTrough: number[] } {
  const sizes: number[] = [];
  const gapsAfterTrough: number[] = [];
  let troughNs = -1;
  const facts = traceFacts(sawtooth.events({ scale, seed: 1 }), (e) => {
    if (troughNs >= 0 && e.op !== 'mark') {
      gapsAfterTrough.push(e.timeNs! - troughNs);
      troughNs = -1;
    }
    if (e.op === 'mark' && e.label!.startsWith('Trough')) troughNs = e.timeNs!;
    if (e.op === 'malloc') sizes.push(e.size);
  });
  return { facts, sizes, gapsAfterTrough };
}

describe('sawtooth', () => {
  const one = run(1);

  it('marks the peak and trough of each of its 8 cycles', () => {
    expect(one.facts.marks.map((m) => m.label)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].flatMap((c) => [`Peak ${c}`, `Trough ${c}`]));
  });

  it('frees 80-95 % of the live objects in each trough', () => {
    const marks = one.facts.marks;
    for (let i = 0; i < marks.length; i += 2) {
      const kept = marks[i + 1]!.liveBlocks / marks[i]!.liveBlocks;
      expect(kept).toBeGreaterThanOrEqual(0.05 - 1e-4);
      expect(kept).toBeLessThanOrEqual(0.2 + 1e-4);
    }
  });

  it('allocates mostly small objects, some medium and a few large', () => {
    const n = one.sizes.length;
    expect(one.sizes.filter((s) => s <= 512).length / n).toBeGreaterThan(0.88);
    const large = one.sizes.filter((s) => s > 64 * 1024).length;
    expect(large).toBeGreaterThan(0);
    expect(large / n).toBeLessThan(0.01);
  });

  it('waits 0.2-0.5 s between cycles (time for decay to act)', () => {
    expect(one.gapsAfterTrough.length).toBe(7);
    for (const gap of one.gapsAfterTrough) expect(gap >= 2e8 && gap <= 5.1e8).toBe(true);
  });

  it('scales the number of cycles, not the peak: scale 2 has twice the events, a similar peak', () => {
    const two = run(2);
    expect(two.facts.events / one.facts.events).toBeGreaterThan(1.9);
    expect(two.facts.events / one.facts.events).toBeLessThan(2.1);
    expect(two.facts.peakLiveBytes / one.facts.peakLiveBytes).toBeLessThan(1.5);
    // 16 cycles, 8 marked: cycle round(k × 15 / 7) for k = 0..7 = 0, 2, 4, 6, 9, 11, 13, 15.
    expect(two.facts.marks.filter((m) => m.label.startsWith('Peak')).map((m) => m.label)).toEqual(['Peak 1', 'Peak 3', 'Peak 5', 'Peak 7', 'Peak 10', 'Peak 12', 'Peak 14', 'Peak 16']);
  });

  it('marks every cycle up to 8 and 8 evenly spread ones beyond', () => {
    expect([...markedCycles(3)]).toEqual([0, 1, 2]);
    expect([...markedCycles(100)]).toEqual([0, 14, 28, 42, 57, 71, 85, 99]);
  });
});

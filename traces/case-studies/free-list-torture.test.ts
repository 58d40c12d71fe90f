import { describe, expect, it } from 'vitest';
import { freeListTorture, roundStrings } from './free-list-torture.ts';
import { traceFacts } from './trace-facts.ts';

describe('free-list-torture (lists.py)', () => {
  let strings = 0;
  let stringFrees = 0;
  let listHeaderMallocs = 0;
  let arrayFreesDuringWork = 0;
  let afterWork = Infinity;
  let lastStringBorn = -1;
  const facts = traceFacts(freeListTorture.events({ scale: 1, seed: 1 }), (e, index, live) => {
    if (e.op === 'mark' && e.label === 'After work') afterWork = index;
    if (e.op === 'malloc' && e.size === 5037) {
      strings++;
      lastStringBorn = index;
    }
    if (e.op === 'free' && live.get(e.id!)?.size === 5037) stringFrees++;
    if (e.op === 'malloc' && e.size === 72 && lastStringBorn > 0) listHeaderMallocs++;
    if (e.op === 'free' && e.domain === 'raw' && lastStringBorn > 0 && index < afterWork) arrayFreesDuringWork++;
  });

  it('allocates Σ i for i < 500 = 124750 strings of 5037 bytes', () => {
    expect(strings).toBe(124_750);
    expect(roundStrings(499, 1)).toBe(499);
  });

  it("frees all strings but the 499 the last round's list still holds", () => {
    expect(stringFrees).toBe(124_750 - 499);
  });

  it('reuses list headers from the free list: no header malloc once the program runs', () => {
    expect(listHeaderMallocs).toBe(0);
  });

  it("frees each dropped round's item array during the work, and nothing else raw", () => {
    // Rebinding `strings` drops the lists of rounds 0..498; round 0's was empty
    // (no array), so 498 arrays are freed before After work.
    expect(arrayFreesDuringWork).toBe(498);
  });

  it('ends with the last round alive: 499 strings after del', () => {
    const del = facts.marks.find((m) => m.label === 'After del')!;
    expect(del.liveBytes).toBeGreaterThan(499 * 5037);
    expect(del.liveBytes).toBeLessThan(499 * 5037 + 3 * 1024 * 1024);
  });

  it("grows big's item array once per extend through the 2.7 series of the running sum", () => {
    // Find big's array: the raw block reallocated to 8 × 9 = 72 bytes in round 3
    // (sum 6: 6 + 0 + 3 = 9 slots); then check its whole chain.
    const sizes = new Map<string, number[]>();
    traceFacts(freeListTorture.events({ scale: 1, seed: 1 }), (e) => {
      if (e.domain !== 'raw' || (e.op !== 'malloc' && e.op !== 'realloc')) return;
      if (e.op === 'malloc') sizes.set(e.id!, [e.size]);
      else sizes.get(e.id!)!.push(e.size);
    });
    const chains = [...sizes.values()].filter((c) => c[0] === 32 && c[1] === 72);
    expect(chains.length).toBe(1);
    const chain = chains[0]!;
    // Sums 1, 6, 10, 21: 4, 9, 17, 29 slots; then 46 ... up to 132047 slots for 124750 items.
    expect(chain.slice(0, 4)).toEqual([32, 72, 136, 232]);
    expect(chain.length).toBe(58);
    expect(chain[chain.length - 1]).toBe(1_056_376);
  });
});

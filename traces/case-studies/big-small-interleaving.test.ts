import { describe, expect, it } from 'vitest';
import { bigSmallInterleaving } from './big-small-interleaving.ts';
import { traceFacts, type TraceFacts } from './trace-facts.ts';

interface StringLife {
  born: number;
  freedAt: number;
}

/** Walk the default trace once, recording every 5037-byte string and the raw realloc chain of big's item array. */
function observe(): { facts: TraceFacts; strings: StringLife[]; firstFreeOfString: number; arraySizes: number[] } {
  const strings: StringLife[] = [];
  const byId = new Map<string, StringLife>();
  let firstFreeOfString = Infinity;
  let arrayId: string | null = null;
  const arraySizes: number[] = [];
  const facts = traceFacts(bigSmallInterleaving.events({ scale: 1, seed: 1 }), (e, index, live) => {
    if (e.op === 'malloc' && e.size === 5037) {
      expect(e.domain).toBe('obj');
      const life = { born: index, freedAt: -1 };
      strings.push(life);
      byId.set(e.id!, life);
      // The first raw malloc of 32 bytes after the first string is big's item array (4 slots).
    } else if (e.op === 'malloc' && e.domain === 'raw' && e.size === 32 && strings.length === 1 && arrayId === null) {
      arrayId = e.id;
      arraySizes.push(e.size);
    } else if (e.op === 'realloc' && e.id === arrayId) {
      arraySizes.push(e.size);
    } else if (e.op === 'free' && live.get(e.id!)?.size === 5037) {
      byId.get(e.id!)!.freedAt = index;
      byId.delete(e.id!);
      firstFreeOfString = Math.min(firstFreeOfString, index);
    } else if (e.op === 'free' && e.id === arrayId) {
      arrayId = '(freed)';
    }
  });
  return { facts, strings, firstFreeOfString, arraySizes };
}

describe('big-small-interleaving (frag.py)', () => {
  const { facts, strings, firstFreeOfString, arraySizes } = observe();
  const mark = (label: string) => facts.marks.find((m) => m.label === label)!;

  it('allocates 100000 strings of 5037 bytes (obj) for big, then one more for small', () => {
    expect(strings.length).toBe(100_001);
  });

  it("keeps small's string: allocated after big's strings and before the first free, never freed", () => {
    const small = strings[100_000]!;
    expect(small.born).toBeGreaterThan(strings[99_999]!.born);
    expect(small.born).toBeLessThan(firstFreeOfString);
    expect(small.freedAt).toBe(-1);
  });

  it("frees big's strings last to first (list_dealloc order), all between After alloc and After del", () => {
    const big = strings.slice(0, 100_000);
    let outOfOrder = 0;
    for (let i = 1; i < big.length; i++) if (!(big[i]!.freedAt < big[i - 1]!.freedAt)) outOfOrder++;
    expect(outOfOrder).toBe(0);
    expect(big[99_999]!.freedAt).toBeGreaterThan(mark('After alloc').index);
    expect(big[0]!.freedAt).toBeLessThan(mark('After del').index);
  });

  it('grows the item array by raw realloc through the 2.7 series, 8 bytes a slot', () => {
    // 4, 8, 16, 25, 35, 46, 58, 72, 88 slots, ... 65 steps up to 103050 slots for 100000 items.
    expect(arraySizes.slice(0, 9)).toEqual([32, 64, 128, 200, 280, 368, 464, 576, 704]);
    expect(arraySizes.length).toBe(65);
    expect(arraySizes[arraySizes.length - 1]).toBe(103_050 * 8);
  });

  it('holds ~504 MB at After alloc, and one string plus the interpreter after del', () => {
    const alloc = mark('After alloc').liveBytes;
    expect(alloc).toBeGreaterThan(100_000 * 5037);
    expect(alloc).toBeLessThan(100_000 * 5037 + 3 * 1024 * 1024);
    expect(alloc - mark('After del').liveBytes).toBeGreaterThan(100_000 * 5037);
    expect(mark('After del').liveBytes).toBeLessThan(3 * 1024 * 1024);
  });

  it('spends realistic time: 100000 strings take 0.1-1 s, marks come in program order', () => {
    const alloc = mark('After alloc').timeNs;
    expect(alloc).toBeGreaterThan(100e6);
    expect(alloc).toBeLessThan(1e9);
    expect(mark('After gc').index).toBeGreaterThan(mark('After del').index);
  });
});

import { describe, expect, it } from 'vitest';
import { Batcher, batchEvents } from './batcher.ts';
import { IdTable } from './id-table.ts';
import { NO_ID, OP } from './types.ts';
import type { ValidRow } from './validate.ts';

const row = (over: Partial<ValidRow>): ValidRow => ({ op: OP.malloc, id: 0, idText: 'a', size: 8, align: 0, thread: 0, timeNs: NaN, domain: 0, label: null, line: 1, ...over });

describe('Batcher', () => {
  it('fills batches to capacity, then a trimmed last batch whose arrays are exactly its length', () => {
    const b = new Batcher(true, 4);
    for (let i = 0; i < 10; i++) b.push(row({ id: i, size: i * 10, timeNs: i, line: i + 2 }));
    const full = b.take();
    expect(full.map((x) => x.length)).toEqual([4, 4]);
    b.finish();
    const [last] = b.take();
    expect(last!.length).toBe(2);
    expect(last!.op.length).toBe(2);
    expect(Array.from(last!.size)).toEqual([80, 90]);
    expect(Array.from(last!.line)).toEqual([10, 11]);
    expect(b.take()).toEqual([]);
  });

  it('gives each batch its own arrays, so a kept batch is not overwritten', () => {
    const b = new Batcher(false, 2);
    b.push(row({ size: 1 }));
    b.push(row({ size: 2 }));
    b.push(row({ size: 3 }));
    b.push(row({ size: 4 }));
    const [first, second] = b.take();
    expect(Array.from(first!.size)).toEqual([1, 2]);
    expect(Array.from(second!.size)).toEqual([3, 4]);
    expect(Number.isNaN(first!.timeNs[0])).toBe(true);
  });

  it('keeps mark labels by index within the batch and unpacks back to events', () => {
    const ids = new IdTable();
    const b = new Batcher(true, 8);
    b.push(row({ id: ids.intern('x'), timeNs: 5, thread: 2, domain: 1 }));
    b.push(row({ op: OP.mark, id: NO_ID, idText: null, size: 0, label: 'here, "now"', timeNs: 6, line: 3 }));
    b.finish();
    const [batch] = b.take();
    expect(batch!.labels).toEqual(new Map([[1, 'here, "now"']]));
    expect([...batchEvents(batch!, (id) => ids.name(id), true)]).toEqual([
      { op: 'malloc', id: 'x', size: 8, align: 0, thread: 2, timeNs: 5, domain: 'raw', label: null, line: 1 },
      { op: 'mark', id: null, size: 0, align: 0, thread: 0, timeNs: 6, domain: 'obj', label: 'here, "now"', line: 3 },
    ]);
  });
});

describe('IdTable', () => {
  it('maps the same text to the same integer, in first-seen order', () => {
    const t = new IdTable();
    expect([t.intern('b'), t.intern('a'), t.intern('b')]).toEqual([0, 1, 0]);
    expect(t.size).toBe(2);
    expect(t.lookup('a')).toBe(1);
    expect(t.lookup('zz')).toBe(-1);
    expect(() => t.name(5)).toThrow(RangeError);
  });

  it('finds names appended in bulk when later looked up by text', () => {
    const t = new IdTable();
    t.appendDistinct(['p', 'q']);
    expect(t.name(1)).toBe('q');
    expect(t.lookup('q')).toBe(1);
    expect(t.add('r')).toBe(2);
    expect(t.intern('p')).toBe(0);
  });
});

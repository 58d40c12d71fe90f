import { describe, expect, it } from 'vitest';
import { IdTable } from './id-table.ts';

const b = (text: string) => Buffer.from(text, 'latin1');

/** Look a token up by its bytes, placed mid-buffer so offsets matter. */
function lookupBytes(t: IdTable, token: string): number {
  const buf = b(`,,${token},`);
  return t.lookupBytes(buf, 2, 2 + token.length);
}

function addBytes(t: IdTable, token: string): number {
  const buf = b(`xx${token}y`);
  return t.addBytes(buf, 2, 2 + token.length);
}

describe('IdTable: text and byte forms are one table', () => {
  it('finds by bytes what was added as text and the reverse', () => {
    const t = new IdTable();
    expect(t.add('obj:17')).toBe(0);
    expect(addBytes(t, '0x7f3a10')).toBe(1);
    expect(lookupBytes(t, 'obj:17')).toBe(0);
    expect(t.lookup('0x7f3a10')).toBe(1);
    expect(t.name(1)).toBe('0x7f3a10');
    expect(lookupBytes(t, 'obj:1')).toBe(-1);
    expect(lookupBytes(t, 'obj:170')).toBe(-1);
  });

  // Tokens that look alike as numbers must stay distinct: the numeric key is
  // only used for the one canonical spelling of a value.
  it('keeps numerically equal but differently spelled tokens apart', () => {
    const t = new IdTable();
    const tokens = ['16', '016', '0x10', '0x010', '0X10', '0xA', '0xa', '10', '0', '00', '0x0', '0x', '1e3', '9007199254740991', '9007199254740992', '0x1fffffffffffff', '0xfffffffffffff'];
    tokens.forEach((tok, i) => expect(t.intern(tok)).toBe(i));
    tokens.forEach((tok, i) => {
      expect(lookupBytes(t, tok)).toBe(i);
      expect(t.lookup(tok)).toBe(i);
      expect(t.name(i)).toBe(tok);
    });
    expect(t.size).toBe(tokens.length);
  });

  it('agrees with a Map on 20000 seeded random tokens of every shape, across table growth', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 48271) % 2147483647;
      return seed % n;
    };
    const t = new IdTable();
    const reference = new Map<string, number>();
    // Mismatches are collected and compared once: an expect() per token would dominate the run time.
    const wrong: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const n = rand(3) === 0 ? rand(1 << 30) : rand(5000);
      // Decimal (small, dense and large, sparse), hex, leading zeros, text: every index of the table.
      const token = [String(n), `0x${n.toString(16)}`, `0${n}`, `id${n}`, String(n * 1000003)][rand(5)]!;
      const known = reference.get(token);
      const byBytes = rand(2) === 0;
      const found = byBytes ? lookupBytes(t, token) : t.lookup(token);
      if (found !== (known ?? -1)) wrong.push(`lookup ${token}: ${found}`);
      if (known === undefined) {
        const id = byBytes ? addBytes(t, token) : t.add(token);
        if (id !== reference.size) wrong.push(`add ${token}: ${id}`);
        reference.set(token, id);
      }
    }
    for (const [token, id] of reference) {
      if (lookupBytes(t, token) !== id || t.name(id) !== token) wrong.push(`final ${token}`);
    }
    expect(wrong).toEqual([]);
    expect(reference.size).toBeGreaterThan(10000);
  });

  it('moves decimal ids from the hash table into the direct array when it widens past them', () => {
    const t = new IdTable();
    // 300000 is past the first direct array (2^16) and past 4 slots per id: it goes to the hash table.
    expect(t.add('300000')).toBe(0);
    const wrong: number[] = [];
    for (let i = 1; i <= 70000; i++) if (addBytes(t, String(i)) !== i) wrong.push(i);
    expect(wrong).toEqual([]);
    // 270000 is below 4 slots per id (70002 ids): the direct array widens to 2^19, over 300000 too,
    // and a lookup of a key in its range looks nowhere else: 300000 must have moved there.
    expect(addBytes(t, '270000')).toBe(70001);
    expect(lookupBytes(t, '300000')).toBe(0);
    expect(t.lookup('300000')).toBe(0);
    expect(lookupBytes(t, '270000')).toBe(70001);
    expect(lookupBytes(t, '300001')).toBe(-1);
    expect(lookupBytes(t, '70000')).toBe(70000);
  });

  it('indexes names appended in bulk only when looked up, with the next integers', () => {
    const t = new IdTable();
    t.add('a');
    t.appendDistinct(['12', 'b']);
    const names = b('0x5ff');
    t.appendDistinctBytes(names, 0, names.length);
    expect(t.size).toBe(4);
    expect([t.name(1), t.name(2), t.name(3)]).toEqual(['12', 'b', '0x5ff']);
    expect(lookupBytes(t, '12')).toBe(1);
    expect(t.lookup('0x5ff')).toBe(3);
    expect(t.intern('c')).toBe(4);
  });

  it('indexes bulk-appended names once when a new name is added without a lookup first', () => {
    const t = new IdTable();
    t.appendDistinct(['5', 'p']);
    expect(t.add('q')).toBe(2);
    expect(addBytes(t, '6')).toBe(3);
    expect([lookupBytes(t, '5'), lookupBytes(t, 'p'), t.lookup('q'), lookupBytes(t, '6')]).toEqual([0, 1, 2, 3]);
    // Each id sits in its table once: fill well past the first resize and every lookup still lands.
    const wrong: string[] = [];
    for (let i = 0; i < 5000; i++) if (t.add(`k${i}`) !== 4 + i) wrong.push(`k${i}`);
    for (let i = 0; i < 5000; i++) if (t.lookup(`k${i}`) !== 4 + i) wrong.push(`lookup k${i}`);
    expect(wrong).toEqual([]);
    expect((t as unknown as { textCount: number }).textCount).toBe(5002);
  });

  it('copies token bytes out for the compiled form', () => {
    const t = new IdTable();
    t.add('alpha');
    const out = new Uint8Array(8);
    expect(t.byteLength(0)).toBe(5);
    expect(t.copyName(0, out, 2)).toBe(5);
    expect(Buffer.from(out).toString('latin1', 2, 7)).toBe('alpha');
  });

  it('never finds text wider than a byte, and refuses to add it', () => {
    const t = new IdTable();
    expect(t.lookup('€1')).toBe(-1);
    expect(() => t.add('€1')).toThrow(RangeError);
    expect(() => t.name(0)).toThrow(RangeError);
  });
});

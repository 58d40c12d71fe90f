import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mergeResults } from './merge.ts';
import type { ResultFile } from './result.ts';
import { inShard, parseShard } from './shard.ts';

const fixture = (): ResultFile => JSON.parse(readFileSync(new URL('../reports/fixtures/result.json', import.meta.url), 'utf8'));

function shardOf(full: ResultFile, spec: string): ResultFile {
  const shard = parseShard(spec);
  return { ...full, options: { ...full.options, shard: spec }, runs: full.runs.filter((r) => inShard(r.matrixIndex!, shard)) };
}

describe('shards', () => {
  it('partition the matrix: disjoint, covering, balanced', () => {
    const owners = Array.from({ length: 10 }, (_, i) => [1, 2, 3].filter((k) => inShard(i, { index: k, count: 3 })));
    expect(owners.every((o) => o.length === 1)).toBe(true);
    expect(owners.flat().filter((k) => k === 1)).toHaveLength(4);
    expect(owners.flat().filter((k) => k === 3)).toHaveLength(3);
  });

  it('reject malformed specs', () => {
    expect(() => parseShard('0/2')).toThrow(/1 ≤ i ≤ n/);
    expect(() => parseShard('3/2')).toThrow(/1 ≤ i ≤ n/);
    expect(() => parseShard('a/b')).toThrow(/expected i\/n/);
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
  });
});

describe('merge', () => {
  const full = fixture();
  full.runs.forEach((r, i) => (r.matrixIndex = i));
  full.options.shard = null;

  it('gives back the unsharded result, whatever order the shards come in', () => {
    const merged = mergeResults([
      { path: 'b.json', result: shardOf(full, '2/2') },
      { path: 'a.json', result: shardOf(full, '1/2') },
    ]);
    expect(merged).toEqual(full);
  });

  it('refuses the same shard twice and shards of different commands', () => {
    const a = shardOf(full, '1/2');
    expect(() => mergeResults([{ path: 'a.json', result: a }, { path: 'a2.json', result: a }])).toThrow(/also in a\.json/);
    const other = shardOf(full, '2/2');
    other.options = { ...other.options, touch: 'none' };
    expect(() => mergeResults([{ path: 'a.json', result: a }, { path: 'b.json', result: other }])).toThrow(/options differ/);
  });
});

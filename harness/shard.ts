// Sharding the run matrix past one machine: `--shard i/n` keeps every n-th
// matrix entry starting at i−1, so shards are disjoint, cover the matrix, and
// stay balanced whatever order traces and models were given in.
import { UsageError } from './cli-errors.ts';

export interface Shard {
  /** 1-based shard number. */
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`bad --shard "${text}": expected i/n with 1 ≤ i ≤ n, e.g. 2/4`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new UsageError(`bad --shard "${text}": expected i/n with 1 ≤ i ≤ n, e.g. 2/4`);
  return { index, count };
}

export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/** Whether matrix entry `matrixIndex` (0-based) belongs to the shard. */
export function inShard(matrixIndex: number, shard: Shard | null): boolean {
  return shard === null || matrixIndex % shard.count === shard.index - 1;
}

// Joins shard result files into the result the unsharded run would have given:
// same options, runs back in matrix order, no run twice.
import { UsageError } from './cli-errors.ts';
import type { ResultFile, RunResult } from './result.ts';

function optionsKey(file: ResultFile): string {
  const { shard: _shard, ...rest } = file.options;
  return JSON.stringify(rest, Object.keys(rest).sort());
}

export function mergeResults(files: { path: string; result: ResultFile }[]): ResultFile {
  if (files.length === 0) throw new UsageError('merge needs at least one result file');
  const first = files[0]!;
  const runs: RunResult[] = [];
  const seen = new Map<number, string>();
  for (const { path, result } of files) {
    if (optionsKey(result) !== optionsKey(first.result)) {
      throw new UsageError(`${path}: run options differ from ${first.path} (${JSON.stringify(result.options)} vs ${JSON.stringify(first.result.options)}); shards must come from the same command`);
    }
    for (const run of result.runs) {
      if (run.matrixIndex === undefined) throw new UsageError(`${path}: a run has no matrixIndex; expected result files written by heapreplay run`);
      const other = seen.get(run.matrixIndex);
      if (other !== undefined) throw new UsageError(`${path}: matrix entry ${run.matrixIndex} is also in ${other}; were the same shard's results given twice?`);
      seen.set(run.matrixIndex, path);
      runs.push(run);
    }
  }
  runs.sort((a, b) => a.matrixIndex! - b.matrixIndex!);
  const createdAt = files.map((f) => f.result.createdAt).sort().at(-1)!;
  return { ...first.result, createdAt, options: { ...first.result.options, shard: null }, runs };
}

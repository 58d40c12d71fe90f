// One exporter per benchmark-tracker format, behind one interface: each turns
// a result file into the text that tracker ingests.
import type { ResultFile, RunResult } from '../../harness/result.ts';

export interface Exporter {
  /** The `--export <format>:<file>` prefix. */
  format: string;
  description: string;
  render(result: ResultFile): string;
}

/** A benchmark name that is stable across nights: trace name and model spec with params. */
export function benchmarkName(run: RunResult): string {
  const m = run.model;
  const params = Object.keys(m.params)
    .sort()
    .map((k) => `${k}=${String(m.params[k])}`)
    .join(',');
  const model = `${m.name}@${m.preset}${m.backing ? `+${m.backing}` : ''}`;
  return params ? `${run.trace.name} / ${model} [${params}]` : `${run.trace.name} / ${model}`;
}

/** Nanoseconds per replayed event from each timing sample (ms per whole replay). */
export function nsPerEventSamples(run: RunResult): number[] {
  const samples = run.replay.samplesMs ?? [];
  return run.replay.events > 0 ? samples.map((ms) => (ms * 1e6) / run.replay.events) : [];
}

export function median(sorted: number[]): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

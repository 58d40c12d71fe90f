// github-action-benchmark's `customSmallerIsBetter` input: an array of
// { name, unit, value, range?, extra? }, smaller values being better.
import type { ResultFile } from '../../harness/result.ts';
import { benchmarkName, median, nsPerEventSamples, type Exporter } from './exporter.ts';

export interface GabEntry {
  name: string;
  unit: string;
  value: number;
  range?: string;
  extra?: string;
}

const MiB = 1024 * 1024;

export function toGithubActionBenchmark(result: ResultFile): GabEntry[] {
  const out: GabEntry[] = [];
  for (const run of result.runs) {
    const name = benchmarkName(run);
    const extra = `status: ${run.status}\ntrace sha256: ${run.trace.sha256}\nevents: ${run.trace.events}`;
    out.push({ name: `${name} - peak RSS`, unit: 'MiB', value: round(run.peakRssBytes / MiB), extra });
    out.push({ name: `${name} - final RSS`, unit: 'MiB', value: round(run.finalRssBytes / MiB), extra });
    const ns = nsPerEventSamples(run).sort((a, b) => a - b);
    if (ns.length > 0) {
      const mid = median(ns);
      const spread = Math.max(mid - ns[0]!, ns[ns.length - 1]! - mid);
      out.push({ name: `${name} - replay time`, unit: 'ns/event', value: round(mid), range: `± ${round(spread)}`, extra: `${ns.length} samples` });
    }
  }
  return out;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

export const githubActionBenchmarkExporter: Exporter = {
  format: 'gab',
  description: 'github-action-benchmark customSmallerIsBetter JSON',
  render: (result) => `${JSON.stringify(toGithubActionBenchmark(result), null, 2)}\n`,
};

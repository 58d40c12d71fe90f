// Bencher Metric Format (BMF): { benchmark: { measure: { value, lower_value?, upper_value? } } }.
// Memory figures are exact (no bounds); replay latency carries the sample range.
import type { ResultFile } from '../../harness/result.ts';
import { benchmarkName, median, nsPerEventSamples, type Exporter } from './exporter.ts';

export interface BmfMetric {
  value: number;
  lower_value?: number;
  upper_value?: number;
}

export type Bmf = Record<string, Record<string, BmfMetric>>;

export function toBencherMetricFormat(result: ResultFile): Bmf {
  const out: Bmf = {};
  for (const run of result.runs) {
    const measures: Record<string, BmfMetric> = {
      'peak-rss-bytes': { value: run.peakRssBytes },
      'final-rss-bytes': { value: run.finalRssBytes },
      'peak-live-bytes': { value: run.peakLiveBytes },
    };
    const ns = nsPerEventSamples(run).sort((a, b) => a - b);
    // Bencher's built-in `latency` measure is in nanoseconds.
    if (ns.length > 0) measures.latency = { value: median(ns), lower_value: ns[0]!, upper_value: ns[ns.length - 1]! };
    out[benchmarkName(run)] = measures;
  }
  return out;
}

export const bencherExporter: Exporter = {
  format: 'bmf',
  description: 'Bencher Metric Format JSON',
  render: (result) => `${JSON.stringify(toBencherMetricFormat(result), null, 2)}\n`,
};

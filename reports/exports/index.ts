// The export formats by their `--export <format>:<file>` prefix.
import { bencherExporter } from './bencher.ts';
import type { Exporter } from './exporter.ts';
import { githubActionBenchmarkExporter } from './github-action-benchmark.ts';

export const EXPORTERS: readonly Exporter[] = [githubActionBenchmarkExporter, bencherExporter];

export function findExporter(format: string): Exporter | undefined {
  return EXPORTERS.find((e) => e.format === format);
}

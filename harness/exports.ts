// `--export <format>:<file>` on run, bench and report: the result file turned
// into a benchmark tracker's input. Targets are parsed before any replay
// starts, so a typo costs nothing; each file is written atomically.
import { resolve } from 'node:path';
import type { Exporter } from '../reports/exports/exporter.ts';
import { EXPORTERS, findExporter } from '../reports/exports/index.ts';
import { UsageError } from './cli-errors.ts';
import { writeFileAtomic } from './output-file.ts';
import type { ResultFile } from './result.ts';

export interface ExportTarget {
  format: string;
  path: string;
  exporter: Exporter;
}

/** The valid formats, for help texts and error messages: "gab (…), bmf (…)". */
export function exportFormatList(): string {
  return EXPORTERS.map((e) => `${e.format} (${e.description})`).join(', ');
}

/** Parse one `format:path`; a UsageError names the option text and the valid formats. */
export function parseExportTarget(spec: string): ExportTarget {
  const colon = spec.indexOf(':');
  if (colon < 0) throw new UsageError(`--export "${spec}" is not valid; expected format:file, e.g. gab:bench.json, with format one of ${exportFormatList()}`);
  const format = spec.slice(0, colon).trim();
  const path = spec.slice(colon + 1).trim();
  const exporter = findExporter(format);
  if (!exporter) throw new UsageError(`--export "${spec}": unknown format "${format}"; expected one of ${exportFormatList()}`);
  if (!path) throw new UsageError(`--export "${spec}": no file after "${format}:"; expected format:file, e.g. ${format}:bench.json`);
  return { format, path, exporter };
}

/** Parse every `--export`; two targets writing the same file is an error (one would silently win). */
export function parseExportTargets(specs: readonly string[] | undefined): ExportTarget[] {
  const targets = (specs ?? []).map(parseExportTarget);
  const seen = new Map<string, string>();
  for (const t of targets) {
    const key = resolve(t.path);
    const other = seen.get(key);
    if (other !== undefined) throw new UsageError(`--export ${other}:${t.path} and --export ${t.format}:${t.path} write the same file; give each export its own file`);
    seen.set(key, t.format);
  }
  return targets;
}

/** Render and write each target; returns one "format: path" line per file written. */
export async function writeExports(result: ResultFile, targets: readonly ExportTarget[]): Promise<string[]> {
  const lines: string[] = [];
  for (const t of targets) {
    await writeFileAtomic(t.path, t.exporter.render(result));
    lines.push(`export:  ${t.path} (${t.format})`);
  }
  return lines;
}

/** The yargs option shared by the commands that take it. */
export const EXPORT_OPTION = {
  type: 'string',
  array: true,
  describe: `write the results for a benchmark tracker, as format:file (repeatable); formats: ${EXPORTERS.map((e) => e.format).join(', ')}`,
} as const;

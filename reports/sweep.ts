// Parameter sweeps: runs of one trace with the same model spec (name, preset,
// backing) that differ only in parameters. Their figures read best side by
// side, one column per parameter value.
import type { RunResult } from '../harness/result.ts';
import { statusText } from './failure-text.ts';
import { formatPercent, formatBytes } from './format.ts';
import { differingParams, formatParamValue, markNames, marksOf, modelSpecLabel } from './runs.ts';
import { rssAtMark } from './summary.ts';
import type { Column, Table } from './table.ts';

export interface Sweep {
  /** The shared model spec, e.g. "glibc@2.35". */
  spec: string;
  /** The parameters that vary, in first-seen order. */
  keys: string[];
  /** The runs, in result-file order. */
  runs: RunResult[];
}

/** Sweeps among the runs of one trace, in order of the first run of each. */
export function findSweeps(runs: readonly RunResult[]): Sweep[] {
  const bySpec = new Map<string, RunResult[]>();
  for (const run of runs) {
    const spec = modelSpecLabel(run.model);
    const list = bySpec.get(spec);
    if (list) list.push(run);
    else bySpec.set(spec, [run]);
  }
  const sweeps: Sweep[] = [];
  for (const [spec, list] of bySpec) {
    if (list.length < 2) continue;
    const keys = differingParams(list);
    if (keys.length > 0) sweeps.push({ spec, keys, runs: list });
  }
  return sweeps;
}

/** A column header for one run of a sweep: its values of the varying params. */
export function sweepValueText(run: RunResult, keys: readonly string[]): string {
  return keys
    .map((k) => {
      const v = run.model.params[k];
      const value = v === undefined ? '(unset)' : formatParamValue(k, v);
      return keys.length === 1 ? value : `${k}=${value}`;
    })
    .join(', ');
}

/** Rows are figures (peak RSS, each mark, final RSS, J&W #4), columns the parameter values. */
export function sweepTable(sweep: Sweep, escape: (text: string) => string): Table {
  const marks = marksOf(sweep.runs);
  const names = markNames(marks);
  const first = sweep.keys.length === 1 ? sweep.keys[0]! : 'parameters';
  const columns: Column[] = [
    { header: escape(first), align: 'left' },
    ...sweep.runs.map((r) => ({ header: escape(sweepValueText(r, sweep.keys)), align: 'right' as const })),
  ];
  const rows: string[][] = [];
  if (sweep.runs.some((r) => r.status !== 'ok')) rows.push(['status', ...sweep.runs.map((r) => escape(statusText(r)))]);
  rows.push(['peak RSS', ...sweep.runs.map((r) => formatBytes(r.peakRssBytes))]);
  marks.forEach((m, i) => rows.push([`RSS at ${escape(names[i]!)}`, ...sweep.runs.map((r) => rssAtMark(r, m.event))]));
  rows.push(['final RSS', ...sweep.runs.map((r) => formatBytes(r.finalRssBytes))]);
  rows.push(['J&W #4', ...sweep.runs.map((r) => formatPercent(r.fragmentation.jw4))]);
  return { columns, rows };
}

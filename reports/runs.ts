// How reports name and group runs: runs of one trace go together, and each run
// gets a label that tells it apart from the other runs of that trace.
import type { ModelIdentity, ResultFile, RunOptionsRecord, RunResult, TraceIdentity } from '../harness/result.ts';
import { formatBytes } from './format.ts';

/** The runs of one trace, in the order the result file lists them. */
export interface TraceGroup {
  trace: TraceIdentity;
  runs: RunResult[];
  /** One label per run, unique within the group (see `runLabels`). */
  labels: string[];
}

/** The options a run was made with: its own record when the harness wrote one, else the file's. */
export function runOptions(result: ResultFile, run: RunResult): RunOptionsRecord {
  return (run as RunResult & { options?: RunOptionsRecord }).options ?? result.options;
}

/** `name@preset+backing`, as the CLI spells a model (no `@` when there is no preset, e.g. real allocators). */
export function modelSpecLabel(model: ModelIdentity): string {
  const top = model.preset ? `${model.name}@${model.preset}` : model.name;
  return model.backing ? `${top}+${model.backing}` : top;
}

/**
 * A parameter value as a reader wants it: sizes also in binary units
 * ("131072 (128 KiB)"). Which params are sizes is guessed from the name
 * (reports do not load the model registry, which would pull in every model).
 */
export function formatParamValue(key: string, value: number | boolean | string): string {
  if (typeof value === 'number' && value >= 1024 && /(threshold|pad|size|max|bytes)$/.test(key)) {
    return `${value} (${formatBytes(value)})`;
  }
  return String(value);
}

/** The params whose values differ between `runs` (keys in first-seen order). */
export function differingParams(runs: readonly RunResult[]): string[] {
  const keys: string[] = [];
  for (const run of runs) for (const k of Object.keys(run.model.params)) if (!keys.includes(k)) keys.push(k);
  return keys.filter((k) => {
    const first = JSON.stringify(runs[0]!.model.params[k] ?? null);
    return runs.some((r) => JSON.stringify(r.model.params[k] ?? null) !== first);
  });
}

/** A parameter value as the CLI would take it, for labels: 131072 → "128KiB" when the key names a size. */
export function compactParamValue(key: string, value: number | boolean | string): string {
  if (typeof value === 'number' && value >= 1024 && /(threshold|pad|size|max|bytes)$/.test(key)) {
    // Only exact multiples: a rounded "1.17MiB" would name a different value than the run used.
    for (const [unit, name] of [[1024 ** 4, 'TiB'], [1024 ** 3, 'GiB'], [1024 ** 2, 'MiB'], [1024, 'KiB']] as const) {
      if (value % unit === 0) return `${value / unit}${name}`;
    }
  }
  return String(value);
}

/** `k=v, k2=v2` for the given keys of a run's params. */
export function paramText(run: RunResult, keys: readonly string[]): string {
  return keys.map((k) => `${k}=${run.model.params[k] === undefined ? '(unset)' : compactParamValue(k, run.model.params[k]!)}`).join(', ');
}

/**
 * Labels for the runs of one trace: the model spec, plus the parameters that
 * differ from runs with the same spec (a sweep), plus `#n` if runs are
 * identical in both.
 */
export function runLabels(runs: readonly RunResult[]): string[] {
  const specs = runs.map((r) => modelSpecLabel(r.model));
  const labels = runs.map((run, i) => {
    const peers = runs.filter((_, j) => specs[j] === specs[i]);
    if (peers.length < 2) return specs[i]!;
    const keys = differingParams(peers);
    return keys.length > 0 ? `${specs[i]} ${paramText(run, keys)}` : specs[i]!;
  });
  const seen = new Map<string, number>();
  return labels.map((label) => {
    const n = (seen.get(label) ?? 0) + 1;
    seen.set(label, n);
    return n === 1 ? label : `${label} #${n}`;
  });
}

/** A model in a sentence under its run's heading: "glibc", "obmalloc+jemalloc". */
export function modelName(model: ModelIdentity): string {
  return model.backing ? `${model.name}+${model.backing.split('@')[0]}` : model.name;
}

/** The shortest name for a run in a sentence: the model name when no other run of the trace shares it, else its label. */
export function shortRunName(runs: readonly RunResult[], labels: readonly string[], index: number): string {
  const name = modelName(runs[index]!.model);
  return runs.filter((r) => modelName(r.model) === name).length === 1 ? name : labels[index]!;
}

/** Runs grouped by trace (name and sha256), groups in order of first appearance. */
export function groupByTrace(result: ResultFile): TraceGroup[] {
  const groups: { trace: TraceIdentity; runs: RunResult[] }[] = [];
  const byKey = new Map<string, { trace: TraceIdentity; runs: RunResult[] }>();
  for (const run of result.runs) {
    const key = `${run.trace.name}\u0000${run.trace.sha256}`;
    let group = byKey.get(key);
    if (!group) {
      group = { trace: run.trace, runs: [] };
      byKey.set(key, group);
      groups.push(group);
    }
    group.runs.push(run);
  }
  return groups.map((g) => ({ ...g, labels: runLabels(g.runs) }));
}

/** A mark as a column or row: its label and the event it sits at (labels can repeat). */
export interface MarkKey {
  label: string;
  event: number;
}

/** Every mark any run of the group reached, by event (runs that failed early have fewer). */
export function marksOf(runs: readonly RunResult[]): MarkKey[] {
  const byEvent = new Map<number, MarkKey>();
  for (const run of runs) for (const m of run.marks) if (!byEvent.has(m.event)) byEvent.set(m.event, { label: m.label, event: m.event });
  return [...byEvent.values()].sort((a, b) => a.event - b.event);
}

/** Mark names for headers: the label, with the event added where a label repeats. */
export function markNames(marks: readonly MarkKey[]): string[] {
  return marks.map((m) => (marks.filter((o) => o.label === m.label).length > 1 ? `${m.label} (event ${m.event})` : m.label));
}

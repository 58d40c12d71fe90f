// The run matrix as data: traces × models × parameter sweeps, each cell a job
// that a worker (or another machine, through a shard) can run on its own. The
// order of the jobs is the order of the results, whatever runs them: traces as
// given, then models as given, then the sweep (the first swept parameter
// varying slowest).
import { formatModelSpec, ModelSpecError, parseModelSpec, parseParamOverrides, type ModelSpec } from '../allocators/registry.ts';
import type { ParamValue, ParamValues } from '../allocators/types.ts';
import { UsageError } from './cli-errors.ts';

/** The four models a run uses when none are named. */
export const DEFAULT_MODELS = ['glibc', 'jemalloc', 'obmalloc', 'obmalloc-arenafree'] as const;

/** One `--param model.name=v1,v2,...`: a single value sets it, several sweep it. */
export interface SweepParam {
  model: string;
  param: string;
  values: ParamValue[];
}

/** One cell of the matrix; plain data, so it can cross to a worker thread. */
export interface RunJob {
  /** Position in the full matrix (shards keep the numbering). */
  index: number;
  tracePath: string;
  /** Canonical model spec, e.g. `obmalloc-arenafree@3.11+glibc@2.35`. */
  model: string;
  /** Parameter overrides per model name, as createModel takes them. */
  overrides: Record<string, ParamValues>;
}

export interface RunMatrix {
  jobs: RunJob[];
  /** `--param` options that name a model no run uses (they change nothing; the CLI warns). */
  unusedParams: string[];
}

/** Parse `--param` options; every value is checked against the registry now, before any run starts. */
export function parseSweepParams(pairs: readonly string[]): SweepParam[] {
  const out: SweepParam[] = [];
  for (const pair of pairs) {
    const m = /^([a-z0-9-]+)\.([a-z0-9_]+)=(.*)$/.exec(pair.trim());
    if (!m) throw new ModelSpecError(`bad parameter "${pair}"; expected model.param=value or model.param=v1,v2,... to sweep, e.g. glibc.trim_threshold=0,128KiB`);
    const [, model, param, list] = m as unknown as [string, string, string, string];
    if (out.some((p) => p.model === model && p.param === param)) {
      throw new UsageError(`--param ${model}.${param} is given twice; give one comma list to sweep it, e.g. ${model}.${param}=a,b`);
    }
    const values = list.split(',').map((text) => parseParamOverrides([`${model}.${param}=${text.trim()}`])[model]![param]!);
    out.push({ model, param, values });
  }
  return out;
}

function usesModel(spec: ModelSpec, model: string): boolean {
  return spec.name === model || spec.backing?.name === model;
}

/** Every combination of the swept values that apply to `spec`, first parameter slowest. */
export function sweepCombinations(spec: ModelSpec, params: readonly SweepParam[]): Record<string, ParamValues>[] {
  let combos: Record<string, ParamValues>[] = [{}];
  for (const p of params) {
    if (!usesModel(spec, p.model)) continue;
    combos = combos.flatMap((c) => p.values.map((v) => ({ ...c, [p.model]: { ...(c[p.model] ?? {}), [p.param]: v } })));
  }
  return combos;
}

export function expandMatrix(traces: readonly string[], modelTexts: readonly string[], params: readonly SweepParam[]): RunMatrix {
  if (modelTexts.length === 0) throw new UsageError('--models is empty; name at least one model, e.g. --models glibc,jemalloc');
  const specs = modelTexts.map((t) => parseModelSpec(t));
  const jobs: RunJob[] = [];
  for (const tracePath of traces) {
    for (const spec of specs) {
      for (const overrides of sweepCombinations(spec, params)) {
        jobs.push({ index: jobs.length, tracePath, model: formatModelSpec(spec), overrides });
      }
    }
  }
  const unusedParams = params.filter((p) => !specs.some((s) => usesModel(s, p.model))).map((p) => `${p.model}.${p.param}`);
  return { jobs, unusedParams };
}

/** `--models glibc,jemalloc@5.3` → the spec texts. */
export function splitModelList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

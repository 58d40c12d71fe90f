// The registry of model names, presets and parameters. Adding a model is one
// module and one line in MODELS.
import { AddressSpace, type AddressSpaceOptions } from './address-space.ts';
import { glibcModel } from './glibc/index.ts';
import { jemallocModel } from './jemalloc/index.ts';
import { obmallocModel, obmallocArenaFreeModel } from './obmalloc/index.ts';
import type { AllocatorModel, ModelDefinition, ParamSpec, ParamValue, ParamValues } from './types.ts';
import { parseBytes } from './units.ts';
import { ModelSpecError } from './model-spec-error.ts';

export const MODELS: readonly ModelDefinition[] = [glibcModel, jemallocModel, obmallocModel, obmallocArenaFreeModel];

// Re-exported so that `ModelSpecError` keeps its home here for every caller.
export { ModelSpecError };

/** A model as a run names it: `obmalloc-arenafree@3.11+jemalloc@5.1`. */
export interface ModelSpec {
  name: string;
  preset: string;
  backing: { name: string; preset: string } | null;
}

export function findModel(name: string): ModelDefinition {
  const def = MODELS.find((m) => m.name === name);
  if (!def) throw new ModelSpecError(`unknown model "${name}"; valid models: ${MODELS.map((m) => m.name).join(', ')}`);
  return def;
}

function parseOne(text: string): { name: string; preset: string } {
  const [name, preset, ...rest] = text.split('@');
  if (rest.length > 0 || !name) throw new ModelSpecError(`bad model spec "${text}"; expected name or name@preset`);
  const def = findModel(name);
  const chosen = preset ?? def.defaultPreset;
  if (!def.presets.some((p) => p.name === chosen)) {
    throw new ModelSpecError(`unknown preset "${chosen}" for ${name}; valid presets: ${def.presets.map((p) => p.name).join(', ')}`);
  }
  return { name, preset: chosen };
}

/** Parse `name[@preset][+backing[@preset]]`. An obmalloc model without a backing gets glibc. */
export function parseModelSpec(text: string): ModelSpec {
  const [top, backing, ...rest] = text.trim().split('+');
  if (rest.length > 0 || !top) throw new ModelSpecError(`bad model spec "${text}"; expected model[@preset][+backing[@preset]]`);
  const main = parseOne(top);
  const def = findModel(main.name);
  if (!def.composes) {
    if (backing !== undefined) throw new ModelSpecError(`${main.name} does not sit on a backing model; only ${MODELS.filter((m) => m.composes).map((m) => m.name).join(', ')} do`);
    return { ...main, backing: null };
  }
  const b = parseOne(backing ?? 'glibc');
  if (findModel(b.name).composes) throw new ModelSpecError(`backing model must be a system allocator, not ${b.name}`);
  return { ...main, backing: b };
}

/** The canonical text of a spec, e.g. `obmalloc-arenafree@3.11+glibc@2.35`. */
export function formatModelSpec(spec: ModelSpec): string {
  const top = `${spec.name}@${spec.preset}`;
  return spec.backing ? `${top}+${spec.backing.name}@${spec.backing.preset}` : top;
}

/** Parse one parameter value by its spec; throws with what was expected. */
export function parseParamValue(model: string, spec: ParamSpec, text: string): ParamValue {
  const fail = (expected: string): never => {
    throw new ModelSpecError(`bad value "${text}" for ${model}.${spec.name}; expected ${expected}`);
  };
  switch (spec.type) {
    case 'bytes': {
      const v = parseBytes(text);
      return v === null || v < 0 ? fail('a byte size such as 131072, 128KiB or 1MiB') : v;
    }
    case 'int': {
      const v = Number(text);
      return Number.isInteger(v) && text.trim() !== '' ? v : fail('an integer');
    }
    case 'ms': {
      const v = Number(text);
      return Number.isInteger(v) && v >= -1 && text.trim() !== '' ? v : fail('milliseconds ≥ 0, or -1 for never');
    }
    case 'bool':
      if (['true', '1', 'on', 'yes'].includes(text)) return true;
      if (['false', '0', 'off', 'no'].includes(text)) return false;
      return fail('true or false');
    case 'string':
      return spec.choices && !spec.choices.includes(text) ? fail(`one of ${spec.choices.join(', ')}`) : text;
  }
}

/**
 * Turn `model.param=value` overrides into typed values per model name.
 * Every name and value is checked against the registry.
 */
export function parseParamOverrides(pairs: readonly string[]): Record<string, ParamValues> {
  const out: Record<string, ParamValues> = {};
  for (const pair of pairs) {
    const m = /^([a-z0-9-]+)\.([a-z0-9_]+)=(.*)$/.exec(pair.trim());
    if (!m) throw new ModelSpecError(`bad parameter "${pair}"; expected model.param=value, e.g. glibc.trim_threshold=0`);
    const [, model, param, value] = m as unknown as [string, string, string, string];
    const def = findModel(model);
    const spec = def.params.find((p) => p.name === param);
    if (!spec) throw new ModelSpecError(`unknown parameter "${param}" for ${model}; valid parameters: ${def.params.map((p) => p.name).join(', ')}`);
    (out[model] ??= {})[param] = parseParamValue(model, spec, value);
  }
  return out;
}

/** A preset's values with the overrides for that model applied. */
export function resolveParams(name: string, preset: string, overrides: Record<string, ParamValues> = {}): ParamValues {
  const def = findModel(name);
  const p = def.presets.find((x) => x.name === preset);
  if (!p) throw new ModelSpecError(`unknown preset "${preset}" for ${name}`);
  return { ...p.params, ...(overrides[name] ?? {}) };
}

/** What a run needs to build a model. */
export interface ModelInstance {
  spec: ModelSpec;
  model: AllocatorModel;
  space: AddressSpace;
  /** The resolved params of the top model (and the backing's under `backing`). */
  params: ParamValues;
  backingParams: ParamValues | null;
}

/** Build a model (and its backing) on a fresh address space. */
export function createModel(spec: ModelSpec, overrides: Record<string, ParamValues> = {}, spaceOptions: AddressSpaceOptions = {}): ModelInstance {
  const space = new AddressSpace(spaceOptions);
  const params = resolveParams(spec.name, spec.preset, overrides);
  let backing: AllocatorModel | undefined;
  let backingParams: ParamValues | null = null;
  if (spec.backing) {
    backingParams = resolveParams(spec.backing.name, spec.backing.preset, overrides);
    backing = findModel(spec.backing.name).create({ space, params: backingParams, preset: spec.backing.preset, explicit: Object.keys(overrides[spec.backing.name] ?? {}) });
  }
  const model = findModel(spec.name).create({ space, params, preset: spec.preset, backing, explicit: Object.keys(overrides[spec.name] ?? {}) });
  return { spec, model, space, params, backingParams };
}

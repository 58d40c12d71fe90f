// The two obmalloc models as the registry lists them: `obmalloc` (2.3/2.4,
// arenas never freed) and `obmalloc-arenafree` (2.5 and later).
import type { AllocatorModel, ModelContext, ModelDefinition } from '../types.ts';
import { ModelSpecError } from '../model-spec-error.ts';
import { ObmallocModel } from './model.ts';
import { ARENAFREE_PARAMS, ARENAFREE_PRESETS, buildConfig, OBMALLOC_PARAMS, OBMALLOC_PRESETS } from './versions.ts';

export { ObmallocModel } from './model.ts';
export type { ObmallocConfig } from './versions.ts';

function create(name: string, arenaFreeing: boolean, ctx: ModelContext): AllocatorModel {
  if (!ctx.backing) throw new ModelSpecError(`${name} needs a backing model (e.g. ${name}+glibc)`);
  const config = buildConfig(name, ctx.preset, ctx.params, arenaFreeing, ctx.space.bits);
  return new ObmallocModel(config, ctx.space, ctx.backing);
}

export const obmallocModel: ModelDefinition = {
  name: 'obmalloc',
  description: 'CPython obmalloc before 2.5: 4 KiB pools in 256 KiB arenas that are never given back; other requests go to the backing model',
  params: OBMALLOC_PARAMS,
  presets: OBMALLOC_PRESETS,
  defaultPreset: '2.4',
  composes: true,
  create: (ctx) => create('obmalloc', false, ctx),
};

export const obmallocArenaFreeModel: ModelDefinition = {
  name: 'obmalloc-arenafree',
  description: "CPython obmalloc with arena freeing (Evan Jones, 2.5) and its later versions: usable arenas sorted by free pools, mmap arenas, 3.10+ 16 KiB pools and 1 MiB arenas",
  params: ARENAFREE_PARAMS,
  presets: ARENAFREE_PRESETS,
  defaultPreset: '3.11',
  composes: true,
  create: (ctx) => create('obmalloc-arenafree', true, ctx),
};

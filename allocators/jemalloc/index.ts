// The jemalloc model as the registry sees it: name, params, presets, factory.
import type { ModelDefinition } from '../types.ts';
import { buildConfig, JEMALLOC_PARAMS, JEMALLOC_PRESETS } from './config.ts';
import { JemallocModel } from './model.ts';

export const jemallocModel: ModelDefinition = {
  name: 'jemalloc',
  description: 'jemalloc 5 (size classes, slabs, large extents with page padding, dirty/muzzy/retained extents, decay purging on the trace clock) and jemalloc 3.6 (chunks of runs, ratio purging)',
  params: JEMALLOC_PARAMS,
  presets: JEMALLOC_PRESETS,
  defaultPreset: '5.3',
  composes: false,
  create: (ctx) => new JemallocModel(ctx.space, buildConfig(ctx.preset, ctx.params)),
};

export { JemallocModel } from './model.ts';

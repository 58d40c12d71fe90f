// The glibc (ptmalloc2) model as the registry lists it.
import type { ModelDefinition } from '../types.ts';
import { GlibcModel } from './model.ts';
import { GLIBC_PARAMS, GLIBC_PRESETS, resolveGlibcConfig } from './params.ts';

export { GlibcModel } from './model.ts';
export { resolveGlibcConfig } from './params.ts';

export const glibcModel: ModelDefinition = {
  name: 'glibc',
  description:
    'glibc ptmalloc2 (main arena): tcache, fastbins, small/large/unsorted bins, coalescing, top grown by sbrk and trimmed only at the top, mmapped chunks with the dynamic threshold',
  params: GLIBC_PARAMS,
  presets: GLIBC_PRESETS,
  defaultPreset: '2.35',
  composes: false,
  create: (ctx) => new GlibcModel(ctx.space, resolveGlibcConfig(ctx.preset, ctx.params, ctx.explicit)),
};

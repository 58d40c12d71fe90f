// Build an obmalloc model on the test backing, as the registry would.
import { AddressSpace, type AddressSpaceOptions } from '../../address-space.ts';
import type { ParamValues } from '../../types.ts';
import { obmallocArenaFreeModel, obmallocModel } from '../index.ts';
import type { ObmallocModel } from '../model.ts';
import { Driver } from './driver.ts';
import { MmapBacking } from './mmap-backing.ts';

export function build(name: 'obmalloc' | 'obmalloc-arenafree', preset: string, overrides: ParamValues = {}, spaceOptions: AddressSpaceOptions = {}) {
  const def = name === 'obmalloc' ? obmallocModel : obmallocArenaFreeModel;
  const p = def.presets.find((x) => x.name === preset);
  if (!p) throw new Error(`no preset ${preset}`);
  const space = new AddressSpace(spaceOptions);
  const backing = new MmapBacking(space);
  const model = def.create({ space, params: { ...p.params, ...overrides }, preset, backing }) as ObmallocModel;
  return { space, backing, model, driver: new Driver(model, space) };
}

/** Every preset of both models. */
export const ALL_PRESETS: ['obmalloc' | 'obmalloc-arenafree', string][] = [
  ...obmallocModel.presets.map((p) => ['obmalloc', p.name] as ['obmalloc', string]),
  ...obmallocArenaFreeModel.presets.map((p) => ['obmalloc-arenafree', p.name] as ['obmalloc-arenafree', string]),
];

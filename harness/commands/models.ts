// `heapreplay models`: every model with its presets, parameters and defaults.
import type { CommandModule } from 'yargs';
import { MODELS } from '../../allocators/registry.ts';
import type { ModelDefinition, ParamValue } from '../../allocators/types.ts';
import { formatBytes } from '../../allocators/units.ts';

function showValue(def: ModelDefinition, name: string, v: ParamValue): string {
  const spec = def.params.find((p) => p.name === name);
  if (spec?.type === 'bytes' && typeof v === 'number') return `${v} (${formatBytes(v)})`;
  return String(v);
}

/** The text `heapreplay models` prints. */
export function describeModels(): string {
  const lines: string[] = [];
  for (const def of MODELS) {
    lines.push(`${def.name}${def.composes ? ' (+backing: glibc by default, e.g. ' + def.name + '+jemalloc)' : ''}`);
    lines.push(`  ${def.description}`);
    lines.push('  presets:');
    for (const p of def.presets) {
      lines.push(`    ${def.name}@${p.name}${p.name === def.defaultPreset ? ' (default)' : ''}: ${p.description}`);
    }
    lines.push('  parameters (default preset value; --param ' + def.name + '.<name>=<value>):');
    const defaults = def.presets.find((p) => p.name === def.defaultPreset)!.params;
    for (const spec of def.params) {
      const v = defaults[spec.name];
      lines.push(`    ${spec.name} = ${v === undefined ? '(unset)' : showValue(def, spec.name, v)}  ${spec.description}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

export const modelsCommand: CommandModule = {
  command: 'models',
  describe: 'List every allocator model with its presets, parameters and defaults',
  handler: () => {
    process.stdout.write(describeModels());
  },
};

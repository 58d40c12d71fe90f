// `heapreplay generate <name> [--scale s] [--seed n] -o <file>`: write a
// case-study trace; `heapreplay generate --list`: what there is to generate.
import type { CommandModule } from 'yargs';
import { CASE_STUDIES, CASE_STUDY_NAMES, DEFAULT_SCALE, DEFAULT_SEED, findCaseStudy, writeCaseStudy, type CaseStudy } from '../../traces/case-studies/index.ts';
import { UsageError } from '../cli-errors.ts';

interface GenerateArgs {
  name?: string;
  scale: number;
  seed: number;
  output?: string;
  list: boolean;
}

/** The text `generate --list` prints: one line per case study, then where it comes from. */
export function describeCaseStudies(): string {
  const width = Math.max(...CASE_STUDY_NAMES.map((n) => n.length));
  const lines = CASE_STUDIES.map((s) => `${s.name.padEnd(width)}  ${s.summary}\n${' '.repeat(width)}  (${s.source}; CPython ${s.python})`);
  return `${lines.join('\n')}\n\ndefaults: --seed ${DEFAULT_SEED} --scale ${DEFAULT_SCALE} (the committed traces/<name>.csv.gz)\n`;
}

/** Check the arguments and return the case study they name. */
export function resolveGenerateArgs(args: Pick<GenerateArgs, 'name' | 'scale' | 'seed' | 'output'>): { study: CaseStudy; output: string } {
  if (!args.name) throw new UsageError(`generate: name a case study (${CASE_STUDY_NAMES.join(', ')}) or use --list`);
  const study = findCaseStudy(args.name);
  if (!study) throw new UsageError(`generate: unknown case study "${args.name}"; expected one of: ${CASE_STUDY_NAMES.join(', ')}`);
  if (typeof args.scale !== 'number' || !Number.isFinite(args.scale) || args.scale <= 0) {
    const shown = Number.isNaN(args.scale) ? 'something that is not a number' : String(args.scale);
    throw new UsageError(`generate: --scale must be a number > 0, not ${shown}`);
  }
  if (typeof args.seed !== 'number' || !Number.isSafeInteger(args.seed) || args.seed < 0) {
    const shown = Number.isNaN(args.seed) ? 'something that is not a number' : String(args.seed);
    throw new UsageError(`generate: --seed must be a non-negative integer, not ${shown}`);
  }
  if (!args.output) throw new UsageError('generate: give the output file with -o <file> (.csv or .csv.gz)');
  return { study, output: args.output };
}

export const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate [name]',
  describe: 'Write a case-study trace from its generator (see --list)',
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: `case study: ${CASE_STUDY_NAMES.join(', ')}` })
      .option('scale', { type: 'number', default: DEFAULT_SCALE, describe: 'multiply the case study\'s counts (> 0)' })
      .option('seed', { type: 'number', default: DEFAULT_SEED, describe: 'PRNG seed (non-negative integer)' })
      .option('output', { alias: 'o', type: 'string', describe: 'trace file to write; gzip when it ends in .gz' })
      .option('list', { type: 'boolean', default: false, describe: 'list the case studies and exit' }) as never,
  handler: async (args) => {
    if (args.list) {
      process.stdout.write(describeCaseStudies());
      return;
    }
    const { study, output } = resolveGenerateArgs(args);
    const summary = await writeCaseStudy(study, output, { scale: args.scale, seed: args.seed });
    process.stdout.write(`${study.name} → ${output}: ${summary.events} events, ${summary.bytes} bytes, sha256 ${summary.sha256}\n`);
  },
};

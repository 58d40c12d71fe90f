// `heapreplay compare baseline.json current.json`: what changed, what regressed.
// Exit 0 when nothing regressed, 1 on a regression, 2 on bad input.
import type { CommandModule } from 'yargs';
import { compareResults, type CompareOptions } from '../../reports/compare.ts';
import { renderComparisonMarkdown, verdictLine } from '../../reports/compare-markdown.ts';
import { UsageError } from '../cli-errors.ts';
import { writeFileAtomic } from '../output-file.ts';
import { readResultFile } from '../result-file.ts';

interface CompareArgs {
  baseline: string;
  current: string;
  threshold: string;
  'time-threshold': string;
  report?: string;
}

/** "1%" → 0.01, "0.5 %" → 0.005, "0" → 0. */
export function parsePercent(text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!m) throw new UsageError(`bad ${option} "${text}": expected a percentage such as 1% or 0.5%`);
  return Number(m[1]) / 100;
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare <baseline> <current>',
  describe: 'Diff two result files; exit 1 when a figure regressed past the threshold',
  builder: (y) =>
    y
      .positional('baseline', { type: 'string', demandOption: true, describe: 'result JSON of the last good run' })
      .positional('current', { type: 'string', demandOption: true, describe: 'result JSON to check' })
      .option('threshold', { type: 'string', default: '1%', describe: 'memory figures worse by more than this regress' })
      .option('time-threshold', { type: 'string', default: '10%', describe: 'slowdown that, if significant, regresses' })
      .option('report', { type: 'string', describe: 'write the markdown diff report here' }) as never,
  handler: async (args) => {
    const options: CompareOptions = { threshold: parsePercent(args.threshold, '--threshold'), timeThreshold: parsePercent(args['time-threshold'], '--time-threshold') };
    const baseline = await readResultFile(args.baseline);
    const current = await readResultFile(args.current);
    const comparison = compareResults(baseline, current, options);
    const markdown = renderComparisonMarkdown(comparison, options);
    if (args.report) await writeFileAtomic(args.report, markdown);
    process.stdout.write(`${markdown}\n`);
    if (args.report) process.stderr.write(`report: ${args.report}\n`);
    process.stderr.write(`${verdictLine(comparison)}\n`);
    if (comparison.regressions > 0) process.exitCode = 1;
  },
};

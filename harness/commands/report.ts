// `heapreplay report results.json -o report.md`: render the markdown report
// (and its SVG charts) again from a result file, without replaying anything.
import { basename, dirname, join } from 'node:path';
import type { CommandModule } from 'yargs';
import { renderMarkdownReport } from '../../reports/markdown.ts';
import { EXPORT_OPTION, parseExportTargets, writeExports } from '../exports.ts';
import { writeFileAtomic } from '../output-file.ts';
import { readResultFile } from '../result-file.ts';
import type { ResultFile } from '../result.ts';

/** The report's charts are named after it: `out.md` gets `out-<trace>.svg` beside it. */
export function chartBaseName(reportPath: string): string {
  return basename(reportPath).replace(/\.(md|markdown)$/i, '');
}

/**
 * Write the markdown report and its charts. Charts go first, so a report on
 * disk never links to a chart that is not there; each file is atomic.
 * Returns the paths written, the report last.
 */
export async function writeReport(result: ResultFile, reportPath: string): Promise<string[]> {
  const chartDir = dirname(reportPath);
  const { markdown, files } = renderMarkdownReport(result, { chartDir, chartBaseName: chartBaseName(reportPath) });
  const written: string[] = [];
  for (const f of files) {
    const path = join(chartDir, f.name);
    await writeFileAtomic(path, f.content);
    written.push(path);
  }
  await writeFileAtomic(reportPath, markdown);
  written.push(reportPath);
  return written;
}

interface ReportArgs {
  results: string;
  output?: string;
  export?: string[];
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <results>',
  describe: 'Render the markdown report (and SVG charts) again from a result JSON file',
  builder: (y) =>
    y
      .positional('results', { type: 'string', demandOption: true, describe: 'result JSON written by heapreplay run --json' })
      .option('output', { alias: 'o', type: 'string', describe: 'write the report here (charts beside it); without it the markdown goes to stdout and no charts are written' })
      .option('export', EXPORT_OPTION)
      .example('$0 report out.json -o out.md', 'out.md plus out-<trace>.svg charts')
      .example('$0 report bench.json --export gab:gab.json --export bmf:bmf.json', 'benchmark-tracker files from a result file') as never,
  handler: async (args) => {
    const exports = parseExportTargets(args.export);
    const result = await readResultFile(args.results);
    if (exports.length > 0) {
      // The export lines go to stderr: stdout may be the markdown itself.
      for (const line of await writeExports(result, exports)) process.stderr.write(`${line}\n`);
    }
    if (!args.output) {
      // With only exports asked for, the markdown on stdout would be noise.
      if (exports.length === 0) process.stdout.write(renderMarkdownReport(result, { chartDir: '.', chartBaseName: 'report' }).markdown);
      return;
    }
    const written = await writeReport(result, args.output);
    const charts = written.length - 1;
    process.stdout.write(`report: ${args.output}${charts > 0 ? ` (+ ${charts} SVG chart${charts === 1 ? '' : 's'} beside it)` : ''}\n`);
  },
};

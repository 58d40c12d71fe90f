// `heapreplay import --from heaptrack|valgrind <file> -o trace.csv.gz`: turn
// another tool's allocation log into a trace v1 file.
import type { CommandModule } from 'yargs';
import { importHeaptrack } from '../../traces/importers/heaptrack.ts';
import { importValgrind } from '../../traces/importers/valgrind.ts';

export const IMPORT_FORMATS = ['heaptrack', 'valgrind'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface ImportArgs {
  from: ImportFormat;
  file: string;
  output: string;
  name?: string;
}

export async function executeImport(args: ImportArgs): Promise<void> {
  const { counts, trace } = args.from === 'heaptrack' ? await importHeaptrack(args.file, args.output, args.name) : await importValgrind(args.file, args.output, args.name);
  const notes: string[] = [];
  if (counts.droppedFrees > 0) notes.push(`${counts.droppedFrees} frees of unknown blocks dropped`);
  if (counts.skippedLines > 0) notes.push(`${counts.skippedLines} lines skipped (other processes or calls not modelled)`);
  process.stdout.write(`imported ${trace.events} events from ${args.file} (${args.from}) → ${args.output}${notes.length ? `; ${notes.join('; ')}` : ''}\n`);
}

export const importCommand: CommandModule<object, ImportArgs> = {
  command: 'import <file>',
  describe: "Convert heaptrack data or valgrind --trace-malloc output into a trace",
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'heaptrack.*.zst/.gz, or a valgrind log' })
      .option('from', { choices: IMPORT_FORMATS, demandOption: true, describe: 'the tool that wrote the file' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'the trace to write (.csv or .csv.gz)' })
      .option('name', { type: 'string', describe: 'trace name in the metadata (default: the output file name)' })
      .example('$0 import --from valgrind vg.log -o app.csv.gz', 'from valgrind --trace-malloc=yes --log-file=vg.log ./app')
      .example('$0 import --from heaptrack heaptrack.app.1234.zst -o app.csv.gz', 'from a heaptrack recording') as never,
  handler: async (args) => {
    await executeImport(args);
  },
};

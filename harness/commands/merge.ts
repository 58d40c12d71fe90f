// `heapreplay merge a.json b.json ... -o all.json`: join shard results.
import type { CommandModule } from 'yargs';
import { mergeResults } from '../merge.ts';
import { writeFileAtomic } from '../output-file.ts';
import { formatResultFile, readResultFile } from '../result-file.ts';

interface MergeArgs {
  files: string[];
  output: string;
}

export const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge <files..>',
  describe: 'Join the result files of shards (--shard i/n) into one, in matrix order',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'shard result JSON files' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'merged result JSON' }) as never,
  handler: async (args) => {
    const files = [];
    for (const path of args.files) files.push({ path, result: await readResultFile(path) });
    const merged = mergeResults(files);
    await writeFileAtomic(args.output, formatResultFile(merged));
    process.stdout.write(`merged ${files.length} files, ${merged.runs.length} runs → ${args.output}\n`);
  },
};

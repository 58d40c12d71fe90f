// The heapreplay command line. Each command lives in harness/commands/ and is
// registered here; errors become a message and an exit code, never a stack trace.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { reportError, EXIT_BAD_INPUT } from './cli-errors.ts';
import { benchCommand } from './commands/bench.ts';
import { calibrateCommand } from './commands/calibrate.ts';
import { compareCommand } from './commands/compare.ts';
import { compileCommand } from './commands/compile.ts';
import { generateCommand } from './commands/generate.ts';
import { historyCommand } from './commands/history.ts';
import { importCommand } from './commands/import.ts';
import { mergeCommand } from './commands/merge.ts';
import { modelsCommand } from './commands/models.ts';
import { realCommand } from './commands/real.ts';
import { recordCommand } from './commands/record.ts';
import { reportCommand } from './commands/report.ts';
import { runCommand } from './commands/run.ts';
import { validateCommand } from './commands/validate.ts';

export async function main(argv: string[]): Promise<void> {
  try {
    await yargs(argv)
      .scriptName('heapreplay')
      .usage('$0 <command> [options]\n\nReplay allocation traces through allocator models and report RSS, fragmentation and retention.')
      .command(runCommand)
      .command(reportCommand)
      .command(benchCommand)
      .command(validateCommand)
      .command(compileCommand)
      .command(generateCommand)
      .command(modelsCommand)
      .command(compareCommand)
      .command(mergeCommand)
      .command(historyCommand)
      .command(realCommand)
      .command(calibrateCommand)
      .command(recordCommand)
      .command(importCommand)
      .demandCommand(1, 'name a command; see --help')
      .strict()
      .help()
      .alias('h', 'help')
      .version()
      .wrap(Math.min(110, process.stdout.columns || 100))
      .fail((msg, err) => {
        if (err) throw err;
        process.stderr.write(`heapreplay: ${msg}\n(see heapreplay --help)\n`);
        process.exit(EXIT_BAD_INPUT);
      })
      .parseAsync();
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

await main(hideBin(process.argv));

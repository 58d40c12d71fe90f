// `heapreplay compile <in> <out>`: validate a trace once and store it in the
// compiled binary form, which replays without parsing.
import type { CommandModule } from 'yargs';
import { formatBytes } from '../../allocators/units.ts';
import { compileTrace } from '../../traces/compiled.ts';
import { groupDigits } from './validate.ts';

interface CompileArgs {
  in: string;
  out: string;
  lenient: boolean;
}

export const compileCommand: CommandModule<object, CompileArgs> = {
  command: 'compile <in> <out>',
  describe: 'Validate a trace and write its compiled binary form (.hrt) for fast repeated replay',
  builder: (y) =>
    y
      .positional('in', { type: 'string', demandOption: true, describe: 'trace to compile (.csv, .csv.gz or .hrt)' })
      .positional('out', { type: 'string', demandOption: true, describe: 'compiled trace to write (conventionally .hrt)' })
      .option('lenient', { type: 'boolean', default: false, describe: 'count and skip bad rows instead of stopping at the first' }) as never,
  handler: async (args) => {
    const started = performance.now();
    const summary = await compileTrace(args.in, args.out, { lenient: args.lenient });
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(summary.events / seconds) : 0;
    process.stdout.write(
      `${args.in} -> ${args.out}: ${groupDigits(summary.events)} events, ${groupDigits(summary.bytes)} bytes (${formatBytes(summary.bytes)}) written in ${seconds.toFixed(2)} s (${groupDigits(rate)} events/s)\n`,
    );
    if (summary.skippedRows > 0) {
      process.stderr.write(`skipped ${groupDigits(summary.skippedRows)} bad rows (lenient); the first:\n`);
      for (const p of summary.problems) process.stderr.write(`  ${p}\n`);
    }
  },
};

// `heapreplay record -o out.csv.gz -- <cmd...>`: run a program under the
// recorder shim and write its allocations as a trace v1 file.
import type { CommandModule } from 'yargs';
import { formatBytes } from '../../allocators/units.ts';
import { recordTrace } from '../../traces/recorder/record.ts';
import { UsageError } from '../cli-errors.ts';

export interface RecordArgs {
  /** The command when given without `--` (it may then hold no options of its own). */
  cmd?: (string | number)[];
  /** yargs puts everything after `--` here, after the command name `record`. */
  _?: (string | number)[];
  output: string;
  name?: string;
  env?: string[];
}

/** `KEY=VALUE` pairs for the recorded command's environment. */
export function parseEnvPairs(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(pair);
    if (!m) throw new UsageError(`bad --env "${pair}"; expected NAME=value, e.g. PYTHONMALLOC=malloc`);
    env[m[1]!] = m[2]!;
  }
  return env;
}

export async function executeRecord(args: RecordArgs): Promise<number> {
  const command = [...(args.cmd ?? []), ...(args._ ?? []).slice(1)].map(String);
  if (command.length === 0) throw new UsageError('name the command to record after --, e.g. heapreplay record -o out.csv.gz -- python3 frag.py');
  const env = args.env ? parseEnvPairs(args.env) : undefined;
  const s = await recordTrace({ output: args.output, command, ...(args.name ? { name: args.name } : {}), ...(env ? { env } : {}) });
  const lines = [
    `recorded ${s.trace.events} events (${s.marks} marks) from "${command.join(' ')}" → ${s.output} (${formatBytes(s.trace.bytes)})`,
  ];
  const dropped = s.droppedFrees + s.reallocsAsMalloc + s.missedFrees;
  if (dropped > 0) {
    lines.push(`  adjusted: ${s.droppedFrees} frees of blocks allocated before the recorder loaded were dropped, ${s.reallocsAsMalloc} reallocs of such blocks became mallocs, ${s.missedFrees} missed frees were closed`);
  }
  if (s.otherProcesses > 0) lines.push(`  ${s.otherProcesses} other process image(s) (children, or the launcher before an exec) were not recorded`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (s.exitCode !== 0) {
    process.stderr.write(`heapreplay: warning: the command exited with code ${s.exitCode}; the trace holds what it did until then\n`);
    return 1;
  }
  return 0;
}

export const recordCommand: CommandModule<object, RecordArgs> = {
  command: 'record [cmd..]',
  describe: 'Run a command under the recorder (LD_PRELOAD) and write its allocations as a trace',
  builder: (y) =>
    y
      .positional('cmd', { type: 'string', array: true, describe: 'the command and its arguments, after --' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'the trace to write (.csv or .csv.gz)' })
      .option('name', { type: 'string', describe: 'trace name in the metadata (default: the output file name)' })
      .option('env', { type: 'string', array: true, describe: 'NAME=value for the command (repeatable), e.g. PYTHONMALLOC=malloc' })
      .example('$0 record -o frag.csv.gz --env PYTHONMALLOC=malloc -- python3 frag.py', 'record a Python program; it drops marks with ctypes.CDLL(None).heapreplay_mark(b"label")') as never,
  handler: async (args) => {
    const code = await executeRecord(args);
    if (code !== 0) process.exitCode = code;
  },
};

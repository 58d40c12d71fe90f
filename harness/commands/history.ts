// `heapreplay history append|report`: keep the night's key figures in a JSONL
// file and chart the last N nights.
import { readFile } from 'node:fs/promises';
import type { Argv, CommandModule } from 'yargs';
import { formatHistoryLine, historyEntry, parseHistory, renderHistoryReport, type HistoryEntry } from '../../reports/history.ts';
import { UsageError } from '../cli-errors.ts';
import { writeFileAtomic } from '../output-file.ts';
import { readResultFile } from '../result-file.ts';
import { gitCommit } from '../version.ts';

export async function readHistory(path: string, missingOk: boolean): Promise<{ text: string; entries: HistoryEntry[] }> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && missingOk) return { text: '', entries: [] };
    throw new UsageError(`${path}: cannot read history file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const { entries, error } = parseHistory(text);
  if (error) throw new UsageError(`${path}:${error.line}: ${error.message}`);
  return { text, entries };
}

/** Append the night's figures to the history file (rewritten whole, atomically). */
export async function appendHistory(historyPath: string, resultPath: string, date: string): Promise<HistoryEntry> {
  const result = await readResultFile(resultPath);
  const { text } = await readHistory(historyPath, true);
  const entry = historyEntry(result, date, result.tool.commit ?? (await gitCommit()));
  const prefix = text && !text.endsWith('\n') ? `${text}\n` : text;
  await writeFileAtomic(historyPath, prefix + formatHistoryLine(entry));
  return entry;
}

interface HistoryArgs {
  action: 'append' | 'report';
  file: string;
  history?: string;
  nights: number;
  output?: string;
  date?: string;
}

export const historyCommand: CommandModule<object, HistoryArgs> = {
  command: 'history <action> <file>',
  describe: 'append: add a result file\'s key figures to --history; report: chart the last --nights of a history file',
  builder: (y: Argv) =>
    y
      .positional('action', { choices: ['append', 'report'] as const, demandOption: true })
      .positional('file', { type: 'string', demandOption: true, describe: 'append: result JSON; report: history JSONL' })
      .option('history', { type: 'string', describe: 'history JSONL file to append to (append)' })
      .option('nights', { type: 'number', default: 30, describe: 'how many nights the report covers' })
      .option('output', { alias: 'o', type: 'string', describe: 'write the report here (report)' })
      .option('date', { type: 'string', describe: 'the night\'s date (ISO); default now' }) as never,
  handler: async (args) => {
    if (args.action === 'append') {
      if (!args.history) throw new UsageError('history append needs --history <file.jsonl>');
      const entry = await appendHistory(args.history, args.file, args.date ?? new Date().toISOString());
      process.stdout.write(`appended ${entry.runs.length} runs for ${entry.date} to ${args.history}\n`);
      return;
    }
    if (!(args.nights >= 1)) throw new UsageError(`--nights must be at least 1, not ${args.nights}`);
    const { entries } = await readHistory(args.file, false);
    const report = renderHistoryReport(entries, Math.floor(args.nights));
    if (args.output) {
      await writeFileAtomic(args.output, report);
      process.stdout.write(`history report: ${args.output}\n`);
    } else process.stdout.write(report);
  },
};

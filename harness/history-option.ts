// `--history <file.jsonl>` on run and bench: append the night's figures through
// the same `appendHistory` that `heapreplay history append` uses, so a history
// written either way has the same lines.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryEntry } from '../reports/history.ts';
import { appendHistory, readHistory } from './commands/history.ts';
import { writeFileAtomic } from './output-file.ts';
import { formatResultFile } from './result-file.ts';
import type { ResultFile } from './result.ts';

export const HISTORY_OPTION = {
  type: 'string',
  describe: 'append the key figures (peak/final RSS, events/s per run) to this history JSONL file',
} as const;

/** Fail before any replay when the history file exists but is not a history (a typo'd path would otherwise cost a whole run). */
export async function checkHistoryFile(historyPath: string): Promise<void> {
  await readHistory(historyPath, true);
}

/**
 * Append `result` to the history. `appendHistory` reads a result file: the one
 * the command wrote with --json when there is one, else a temporary copy.
 */
export async function appendResultToHistory(historyPath: string, result: ResultFile, writtenJson: string | undefined, date = new Date().toISOString()): Promise<HistoryEntry> {
  if (writtenJson !== undefined) return appendHistory(historyPath, writtenJson, date);
  const dir = await mkdtemp(join(tmpdir(), 'heapreplay-history-'));
  try {
    const tmp = join(dir, 'result.json');
    await writeFileAtomic(tmp, formatResultFile(result));
    return await appendHistory(historyPath, tmp, date);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

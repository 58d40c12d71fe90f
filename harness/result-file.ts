// Reading result JSON back: every consumer (report, compare, merge, history)
// gets a checked ResultFile or a UsageError that names the file.
import { readFile } from 'node:fs/promises';
import { UsageError } from './cli-errors.ts';
import { RESULT_SCHEMA, type ResultFile } from './result.ts';

export async function readResultFile(path: string): Promise<ResultFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${path}: cannot read result file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path}: not valid JSON (${(err as Error).message}); expected a heapreplay result file`);
  }
  const obj = data as Partial<ResultFile> | null;
  if (!obj || typeof obj !== 'object' || obj.schema !== RESULT_SCHEMA) {
    throw new UsageError(`${path}: expected "schema": "${RESULT_SCHEMA}", found ${JSON.stringify(obj && typeof obj === 'object' ? obj.schema : obj)}`);
  }
  if (!Array.isArray(obj.runs)) throw new UsageError(`${path}: expected a "runs" array`);
  obj.runs.forEach((run, i) => {
    for (const field of ['trace', 'model', 'status', 'peakRssBytes', 'finalRssBytes', 'marks', 'fragmentation', 'replay'] as const) {
      if (run?.[field] === undefined) throw new UsageError(`${path}: runs[${i}] has no "${field}"; expected a heapreplay result file`);
    }
  });
  return obj as ResultFile;
}

/** The result as JSON text, with a newline: what every writer of result files emits. */
export function formatResultFile(result: ResultFile): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

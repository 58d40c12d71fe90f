import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureResult } from '../reports/fixtures/build-fixture.ts';
import { parseHistory } from '../reports/history.ts';
import { UsageError } from './cli-errors.ts';
import { appendResultToHistory, checkHistoryFile } from './history-option.ts';
import { writeFileAtomic } from './output-file.ts';
import { formatResultFile } from './result-file.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hr-history-opt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('--history', () => {
  it('appends one line per call, from the result in memory or the JSON written', async () => {
    const result = buildFixtureResult();
    const history = join(dir, 'h.jsonl');
    await appendResultToHistory(history, result, undefined, '2026-01-01T00:00:00.000Z');
    const json = join(dir, 'r.json');
    await writeFileAtomic(json, formatResultFile(result));
    await appendResultToHistory(history, result, json, '2026-01-02T00:00:00.000Z');
    const { entries, error } = parseHistory(await readFile(history, 'utf8'));
    expect(error).toBeNull();
    expect(entries.map((e) => e.date)).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z']);
    expect(entries[0]!.runs).toHaveLength(result.runs.length);
    expect(entries[0]!.runs[0]!.peakRssBytes).toBe(result.runs[0]!.peakRssBytes);
    expect(entries[1]).toEqual({ ...entries[0], date: '2026-01-02T00:00:00.000Z' });
  });

  it('refuses, before any work, a file that is not a history', async () => {
    const bad = join(dir, 'notes.txt');
    await writeFile(bad, 'hello\n');
    await expect(checkHistoryFile(bad)).rejects.toThrow(UsageError);
    await expect(checkHistoryFile(bad)).rejects.toThrow(/notes\.txt:1: not valid JSON/);
    await expect(checkHistoryFile(join(dir, 'missing.jsonl'))).resolves.toBeUndefined();
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ResultFile } from '../harness/result.ts';
import { formatHistoryLine, historyEntry, parseHistory, renderHistoryReport } from './history.ts';

const fixture = (): ResultFile => JSON.parse(readFileSync(new URL('./fixtures/result.json', import.meta.url), 'utf8'));

describe('history', () => {
  it('round-trips entries through JSONL', () => {
    const e = historyEntry(fixture(), '2026-11-20T03:00:00Z', 'abcdef1234567');
    const { entries, error } = parseHistory(formatHistoryLine(e) + formatHistoryLine(e));
    expect(error).toBeNull();
    expect(entries).toHaveLength(2);
    expect(entries[0]!.runs[0]!.peakRssBytes).toBe(fixture().runs[0]!.peakRssBytes);
  });

  it('names the bad line', () => {
    const e = historyEntry(fixture(), '2026-11-20T03:00:00Z', null);
    const { error } = parseHistory(`${formatHistoryLine(e)}\n{oops\n`);
    expect(error).toEqual({ line: 3, message: expect.stringContaining('not valid JSON') });
  });

  it('charts the last N nights and marks the night a figure moved', () => {
    const nights = ['2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20'].map((d, i) => {
      const r = fixture();
      if (i >= 2) r.runs[3]!.peakRssBytes += 1024 * 1024; // jemalloc peak moves on the 19th
      if (i === 3) r.runs[0]!.replay.eventsPerSecond *= 0.95; // 5 %: not a move
      return historyEntry(r, `${d}T03:00:00Z`, null);
    });
    const md = renderHistoryReport(nights, 3);
    expect(md).toContain('the last 3 nights');
    expect(md).not.toContain('2026-11-17');
    const moveRows = md.split('\n').filter((l) => l.startsWith('| 2026'));
    expect(moveRows).toHaveLength(1);
    expect(moveRows[0]).toContain('2026-11-19');
    expect(moveRows[0]).toContain('jemalloc');
    expect(moveRows[0]).toContain('peak RSS');
    expect(md).toContain('x-axis ["2026-11-18", "2026-11-19", "2026-11-20"]');
    expect((md.match(/```mermaid/g) ?? []).length).toBe(2 * 3); // 2 traces × 3 figures
  });
});

import { describe, expect, it } from 'vitest';
import { smallRun } from './fixtures/small-result.ts';
import { runLabels } from './runs.ts';
import { findSweeps, sweepTable } from './sweep.ts';
import { markdownTableStyle, renderTable } from './table.ts';
import { escapeMarkdown } from './escape.ts';

const MiB = 1024 * 1024;

function withParams(model: string, preset: string, rss: number, params: Record<string, number | string | boolean>) {
  const run = smallRun(model, preset, rss);
  run.model.params = params;
  return run;
}

describe('sweep detection', () => {
  it('groups runs with the same spec that differ in params, and only those', () => {
    const runs = [
      withParams('glibc', '2.35', 490 * MiB, { mmap_threshold: 131072, top_pad: 131072 }),
      withParams('jemalloc', '5.3', 11 * MiB, { tcache: true }),
      withParams('glibc', '2.35', 12 * MiB, { mmap_threshold: 4096, top_pad: 131072 }),
      withParams('glibc', '2.26', 12 * MiB, { mmap_threshold: 4096, top_pad: 131072 }),
    ];
    const sweeps = findSweeps(runs);
    expect(sweeps).toHaveLength(1);
    expect(sweeps[0]!.spec).toBe('glibc@2.35');
    expect(sweeps[0]!.keys).toEqual(['mmap_threshold']);
    expect(sweeps[0]!.runs).toEqual([runs[0], runs[2]]);
    expect(runLabels(runs)).toEqual(['glibc@2.35 mmap_threshold=128KiB', 'jemalloc@5.3', 'glibc@2.35 mmap_threshold=4KiB', 'glibc@2.26']);
  });

  it('is not a sweep when same-spec runs have equal params (they get #n labels instead)', () => {
    const runs = [withParams('glibc', '2.35', MiB, { a: 1 }), withParams('glibc', '2.35', MiB, { a: 1 })];
    expect(findSweeps(runs)).toEqual([]);
    expect(runLabels(runs)).toEqual(['glibc@2.35', 'glibc@2.35 #2']);
  });

  it('renders figures by parameter value', () => {
    const runs = [
      withParams('glibc', '2.35', 12 * MiB, { mmap_threshold: 4096 }),
      withParams('glibc', '2.35', 490 * MiB, { mmap_threshold: 131072 }),
    ];
    const table = sweepTable(findSweeps(runs)[0]!, escapeMarkdown);
    // peak 8 MiB and J&W #4 = 1 → 100 % for both (smallRun); the mark differs.
    expect(renderTable(table, markdownTableStyle)).toBe(
      [
        '| mmap\\_threshold  | 4096 (4 KiB) | 131072 (128 KiB) |',
        '| ---------------- | -----------: | ---------------: |',
        '| peak RSS         |        8 MiB |            8 MiB |',
        '| RSS at After del |       12 MiB |          490 MiB |',
        '| final RSS        |       12 MiB |          490 MiB |',
        '| J&W #4           |        100 % |            100 % |',
      ].join('\n'),
    );
  });

  it('names each varying parameter in the header when several vary, and adds a status row on failure', () => {
    const a = withParams('jemalloc', '5.3', MiB, { dirty_decay_ms: 0, tcache: true });
    const b = withParams('jemalloc', '5.3', MiB, { dirty_decay_ms: 10000, tcache: false });
    b.status = 'oom';
    b.failure = { event: 7, reason: 'limit', rssBytes: MiB, largestFreeRangeBytes: null };
    const table = sweepTable(findSweeps([a, b])[0]!, (s) => s);
    expect(table.columns.map((c) => c.header)).toEqual(['parameters', 'dirty_decay_ms=0, tcache=true', 'dirty_decay_ms=10000, tcache=false']);
    expect(table.rows[0]).toEqual(['status', 'ok', 'OOM at event 7']);
  });
});

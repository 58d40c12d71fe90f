import { describe, expect, it } from 'vitest';
import type { RetentionRecord } from '../harness/result.ts';
import { smallRun } from './fixtures/small-result.ts';
import { FINDINGS_PER_MARK, groupFindings, omittedSentence, retentionSentence } from './retention-text.ts';

const MiB = 1024 * 1024;

describe('retentionSentence', () => {
  it('names the block that blocks glibc’s trim (the brief’s example)', () => {
    const f: RetentionRecord = { mark: 'After del', kind: 'trim-blocked', bytes: 498 * MiB, text: 'x', blockId: '100001', blockSize: 5037, blockEvent: 100003 };
    expect(retentionSentence('glibc', f)).toBe(
      "glibc keeps 498 MiB after 'After del': a 5037-byte block (id 100001, allocated at event 100003) sits above 498 MiB of free chunks and blocks the trim.",
    );
  });

  it('falls back to the kind and the model’s own sentence when there is no structure', () => {
    const f: RetentionRecord = { mark: 'After del', kind: 'trim-blocked', bytes: 481 * MiB, text: 'An arena sits above the free heap' };
    expect(retentionSentence('obmalloc+glibc', f)).toBe(
      "obmalloc+glibc keeps 481 MiB after 'After del' below a live chunk that blocks the trim: an arena sits above the free heap.",
    );
  });

  it('uses the long description when the model gave no text', () => {
    const f: RetentionRecord = { mark: 'm', kind: 'fastbins', bytes: 64 * 1024, text: '' };
    expect(retentionSentence('glibc', f)).toBe("glibc keeps 64 KiB after 'm' in fastbin chunks, which are not coalesced until a consolidation.");
  });

  it('says how many live blocks pin obmalloc arenas and how much each holds', () => {
    // 96 MiB / 312 blocks = 315.08 KiB → "315 KiB"
    const f: RetentionRecord = { mark: 'Fragmented', kind: 'arena-pinned', bytes: 96 * MiB, text: 'x', liveBlocks: 312, blockId: 'obj:4411', blockSize: 32, blockEvent: 7710 };
    expect(retentionSentence('obmalloc-arenafree', f)).toBe(
      "obmalloc-arenafree keeps 96 MiB after 'Fragmented' in arenas that 312 live blocks keep alive (315 KiB held per live block); one of them is a 32-byte block (id obj:4411, allocated at event 7710).",
    );
  });

  it('says when decay purges dirty pages, relative to the mark', () => {
    // mark at 9 ms, purge at 259 ms → 250 ms later
    const f: RetentionRecord = { mark: 'Fragmented', kind: 'dirty-pages', bytes: 24 * MiB, text: 'x', purgeAtNs: 259_000_000 };
    expect(retentionSentence('jemalloc', f, 9_000_000)).toBe(
      "jemalloc keeps 24 MiB after 'Fragmented' in dirty pages waiting for decay; decay purges them 250 ms later, at trace time 259 ms, if the allocator is used again.",
    );
    expect(retentionSentence('jemalloc', { ...f, mark: '(end)', purgeAtNs: -1 })).toBe(
      'jemalloc keeps 24 MiB at the end of the trace in dirty pages waiting for decay; decay will not purge them (decay disabled).',
    );
  });

  it('counts the live regions that pin jemalloc slabs', () => {
    const f: RetentionRecord = { mark: 'm', kind: 'slab-slack', bytes: 2 * MiB, text: 'x', liveBlocks: 1 };
    expect(retentionSentence('jemalloc', f)).toBe("jemalloc keeps 2 MiB after 'm' in free regions of partly used slabs, pinned by 1 live region.");
  });
});

describe('groupFindings', () => {
  it('orders marks by event with (end) last, findings biggest first, and sums what it leaves out', () => {
    const run = smallRun('glibc', '2.35', 8 * MiB);
    run.marks.unshift({ label: 'Early', event: 2, timeNs: 2000, rssBytes: MiB, liveBytes: MiB, mappedBytes: MiB, freeResidentBytes: 0 });
    run.freeResidentBytes = 0;
    const sizes = [1, 7, 3, 5, 2, 6, 4]; // KiB: 7 findings, 5 shown (7,6,5,4,3), 2 left out (2+1 = 3 KiB)
    run.retention = [
      { mark: '(end)', kind: 'metadata', bytes: 1024, text: 'x' },
      ...sizes.map((k): RetentionRecord => ({ mark: 'After del', kind: 'tcache', bytes: k * 1024, text: `t${k}` })),
      { mark: 'Early', kind: 'top-pad', bytes: 0, text: 'zero bytes are not shown' },
      { mark: 'Early', kind: 'top-pad', bytes: 4096, text: 'top' },
    ];
    const groups = groupFindings(run, 'glibc');
    expect(groups.map((g) => g.mark)).toEqual(['Early', 'After del', '(end)']);
    expect(groups[0]!.sentences).toHaveLength(1);
    const del = groups[1]!;
    expect(del.sentences).toHaveLength(FINDINGS_PER_MARK);
    expect(del.sentences.map((s) => /keeps (\d+) KiB/.exec(s)![1])).toEqual(['7', '6', '5', '4', '3']);
    expect(omittedSentence(del.omitted)).toBe('2 smaller findings hold 3 KiB in all.');
    // After del: rss 8 MiB − live 1 MiB = 7 MiB free resident, findings explain 28 KiB → 7 MiB − 28 KiB unexplained.
    expect(del.unexplainedBytes).toBe(7 * MiB - 28 * 1024);
  });

  it('points marks whose findings repeat the mark before back to the first of them', () => {
    const run = smallRun('glibc', '2.35', 8 * MiB);
    run.marks = [1, 2, 3].map((e) => ({ label: `m${e}`, event: e, timeNs: e, rssBytes: MiB, liveBytes: MiB, mappedBytes: MiB, freeResidentBytes: 0 }));
    const f = (mark: string, bytes: number): RetentionRecord => ({ mark, kind: 'tcache', bytes, text: 'x' });
    run.retention = [f('m1', 4096), f('m2', 4096), f('m3', 4096), f('(end)', 8192)];
    expect(groupFindings(run, 'glibc').map((g) => g.sameAs ?? null)).toEqual([null, 'm1', 'm1', null]);
  });

  it('collapses (end) findings that repeat the last mark', () => {
    const run = smallRun('glibc', '2.35', 8 * MiB);
    run.retention = [run.retention[0]!, { ...run.retention[0]!, mark: '(end)' }];
    const groups = groupFindings(run, 'glibc');
    expect(groups[1]).toMatchObject({ mark: '(end)', sentences: [], sameAs: 'After del' });
    run.retention[1] = { ...run.retention[1]!, bytes: 1 };
    expect(groupFindings(run, 'glibc')[1]!.sameAs).toBeUndefined();
  });
});

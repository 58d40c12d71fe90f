import { describe, expect, it } from 'vitest';
import { smallRun } from './fixtures/small-result.ts';
import { failureSentence, statusText } from './failure-text.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('failure sentences', () => {
  it('explains a 32-bit allocation failure by the largest free range', () => {
    const run = smallRun('glibc', '2.35', MiB);
    run.status = 'alloc-failed';
    // 1181114368 B = 1.09999… GiB → "1.1 GiB"
    run.failure = { event: 9123, line: 9130, reason: 'malloc returned NULL', requestBytes: 256 * MiB, largestFreeRangeBytes: 38 * MiB, freeAddressBytes: 1181114368 };
    expect(statusText(run)).toBe('allocation failed at event 9123');
    expect(failureSentence(run, null)).toBe(
      'the 256 MiB request at event 9123 (line 9130) failed: the largest free range was 38 MiB while 1.1 GiB of address space was free.',
    );
  });

  it('uses the reason when the address space says nothing (64-bit)', () => {
    const run = smallRun('glibc', '2.35', MiB);
    run.status = 'alloc-failed';
    run.failure = { event: 4, reason: 'model returned 0', requestBytes: 100, largestFreeRangeBytes: null };
    expect(failureSentence(run, null)).toBe('the 100 B request at event 4 failed: model returned 0.');
  });

  it('says how far past the limit an OOM kill went', () => {
    const run = smallRun('obmalloc', '2.4', MiB);
    run.status = 'oom';
    run.failure = { event: 8412, line: 8419, reason: 'limit', rssBytes: 2 * GiB + 3 * 4096, largestFreeRangeBytes: null };
    expect(statusText(run)).toBe('OOM at event 8412');
    // 3 pages over → "12 KiB past"
    expect(failureSentence(run, 2 * GiB)).toBe('OOM kill at event 8412 (line 8419): RSS reached 2 GiB, 12 KiB past the 2 GiB limit.');
    expect(failureSentence(run, null)).toBe('OOM kill at event 8412 (line 8419): RSS reached 2 GiB.');
  });

  it('says nothing for a run that finished', () => {
    expect(failureSentence(smallRun('glibc', '2.35', MiB), null)).toBeNull();
  });
});

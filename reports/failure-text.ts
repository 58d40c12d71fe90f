// Why a run stopped, in words: the request that found no contiguous range
// (seed 000) or the event that pushed RSS past the limit (seed 003). Plain
// text; callers escape it.
import type { RunResult } from '../harness/result.ts';
import { formatBytes } from './format.ts';

/** The status cell of a summary table: "ok", "OOM at event N", "allocation failed at event N". */
export function statusText(run: RunResult): string {
  if (run.status === 'ok') return 'ok';
  const at = run.failure ? ` at event ${run.failure.event}` : '';
  return run.status === 'oom' ? `OOM${at}` : `allocation failed${at}`;
}

/**
 * A sentence for a failed run, or null when it did not fail. E.g. "the 256 MiB
 * request at event 9123 failed: the largest free range was 38 MiB while
 * 1.1 GiB of address space was free."
 */
export function failureSentence(run: RunResult, memoryLimitBytes: number | null): string | null {
  if (run.status === 'ok') return null;
  const f = run.failure;
  if (!f) return run.status === 'oom' ? 'the run was OOM-killed (no details recorded).' : 'an allocation failed (no details recorded).';
  const where = `event ${f.event}${f.line !== undefined ? ` (line ${f.line})` : ''}`;
  const reason = f.reason.trim();
  if (run.status === 'oom') {
    const rss = f.rssBytes;
    if (rss === undefined) return `OOM kill at ${where}${reason ? `: ${reason}` : ''}.`;
    if (memoryLimitBytes === null) return `OOM kill at ${where}: RSS reached ${formatBytes(rss)}.`;
    const over = rss - memoryLimitBytes;
    // Rounded figures alike ("2 GiB passed the 2 GiB limit") say nothing; name the overshoot instead.
    const past = over > 0 ? `, ${formatBytes(over)} past` : ' at';
    return `OOM kill at ${where}: RSS reached ${formatBytes(rss)}${past} the ${formatBytes(memoryLimitBytes)} limit.`;
  }
  const request = f.requestBytes !== undefined ? `the ${formatBytes(f.requestBytes)} request` : 'the request';
  let why = '';
  if (f.largestFreeRangeBytes !== null && f.largestFreeRangeBytes !== undefined) {
    why = `: the largest free range was ${formatBytes(f.largestFreeRangeBytes)}`;
    if (f.freeAddressBytes !== null && f.freeAddressBytes !== undefined) why += ` while ${formatBytes(f.freeAddressBytes)} of address space was free`;
  } else if (reason) {
    why = `: ${reason}`;
  }
  return `${request} at ${where} failed${why}.`;
}

// Which job a free worker thread takes next. Two aims pull apart: a worker
// that keeps to one trace decodes it once (replayable-trace.ts), and the
// workers should finish together. So a worker stays on its trace while that
// trace has jobs left; a worker without one starts the biggest trace no other
// worker has (longest first, so the small ones fill the gaps at the end); and
// only when every trace left is in another worker's hands does it help with
// the one that has the most work left, decoding that trace a second time
// rather than sitting idle. The order of the results never depends on this:
// they land at their matrix position.
import type { RunJob } from './matrix.ts';

interface TraceWork {
  path: string;
  /** Estimated cost of one job of this trace (any unit, the same for every trace). */
  weight: number;
  /** Jobs not yet handed out, in matrix order. */
  pending: RunJob[];
  /** Workers now on this trace. */
  holders: number;
}

export class JobScheduler {
  private readonly traces: TraceWork[] = [];
  /** The trace each worker is on (undefined before its first job). */
  private readonly on = new Map<number, TraceWork>();
  private left: number;

  /** `weightOf(path)`: the estimated cost of one run of that trace, e.g. its event count. */
  constructor(jobs: readonly RunJob[], weightOf: (tracePath: string) => number) {
    const byPath = new Map<string, TraceWork>();
    for (const job of jobs) {
      let work = byPath.get(job.tracePath);
      if (!work) {
        work = { path: job.tracePath, weight: weightOf(job.tracePath), pending: [], holders: 0 };
        byPath.set(job.tracePath, work);
        this.traces.push(work);
      }
      work.pending.push(job);
    }
    this.left = jobs.length;
  }

  /** Jobs not yet handed out. */
  get remaining(): number {
    return this.left;
  }

  /** The next job for `worker`, or null when every job has been handed out. */
  next(worker: number): RunJob | null {
    if (this.left === 0) return null;
    let work = this.on.get(worker);
    if (!work || work.pending.length === 0) {
      const fresh = this.largest((w) => w.holders === 0);
      work = fresh ?? this.largest(() => true)!;
      this.moveTo(worker, work);
    }
    this.left--;
    return work.pending.shift()!;
  }

  private moveTo(worker: number, work: TraceWork): void {
    const previous = this.on.get(worker);
    if (previous) previous.holders--;
    this.on.set(worker, work);
    work.holders++;
  }

  /** The trace with pending jobs and the most work left among those `eligible` accepts. */
  private largest(eligible: (w: TraceWork) => boolean): TraceWork | null {
    let best: TraceWork | null = null;
    let bestWork = -1;
    for (const w of this.traces) {
      if (w.pending.length === 0 || !eligible(w)) continue;
      const work = w.weight * w.pending.length;
      // Strictly more: among equals the trace met first in the matrix wins.
      if (work > bestWork) {
        best = w;
        bestWork = work;
      }
    }
    return best;
  }
}

/**
 * Bytes per event of each stored form, roughly, so that file sizes compare as
 * event counts: gzip CSV ~6, plain CSV ~30, compiled ~36 (measured on the
 * bundled case studies and their compiled forms).
 */
export function estimatedEvents(path: string, bytes: number): number {
  const lower = path.toLowerCase();
  const perEvent = lower.endsWith('.gz') ? 6 : lower.endsWith('.hrt') ? 36 : 30;
  return bytes / perEvent;
}

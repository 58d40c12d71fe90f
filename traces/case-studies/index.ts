// The registry of case-study generators and the one function that writes a
// case study's trace file. `heapreplay generate` and the committed-trace
// script both go through `writeCaseStudy`, so the two cannot disagree.
import { writeTrace, type WriteTraceSummary } from '../writer.ts';
import { bigSmallInterleaving } from './big-small-interleaving.ts';
import { CASE_STUDY_COLUMNS, DEFAULT_SCALE, DEFAULT_SEED, caseStudyMeta, type CaseStudy, type CaseStudyOptions } from './case-study.ts';
import { freeListTorture } from './free-list-torture.ts';
import { arenaChurn } from './arena-churn.ts';
import { oomRamp } from './oom-ramp.ts';
import { sawtooth } from './sawtooth.ts';
import { addressSpace32bit } from './address-space-32bit.ts';

export { DEFAULT_SCALE, DEFAULT_SEED, type CaseStudy, type CaseStudyOptions } from './case-study.ts';

export const CASE_STUDIES: readonly CaseStudy[] = [bigSmallInterleaving, freeListTorture, arenaChurn, addressSpace32bit, oomRamp, sawtooth];

export const CASE_STUDY_NAMES: readonly string[] = CASE_STUDIES.map((s) => s.name);

export function findCaseStudy(name: string): CaseStudy | undefined {
  return CASE_STUDIES.find((s) => s.name === name);
}

/** Where the committed trace of a case study lives, relative to the repository root. */
export function committedTracePath(name: string): string {
  return `traces/${name}.csv.gz`;
}

/** Generate a case study into `path` (gzip when it ends in .gz), atomically. */
export async function writeCaseStudy(study: CaseStudy, path: string, options: Partial<CaseStudyOptions> = {}): Promise<WriteTraceSummary> {
  const full: CaseStudyOptions = { scale: options.scale ?? DEFAULT_SCALE, seed: options.seed ?? DEFAULT_SEED };
  if (!(full.scale > 0) || !Number.isFinite(full.scale)) throw new Error(`scale must be a number > 0, not ${full.scale}`);
  if (!Number.isSafeInteger(full.seed) || full.seed < 0) throw new Error(`seed must be a non-negative integer, not ${full.seed}`);
  return writeTrace(path, caseStudyMeta(study, full), study.events(full), { columns: CASE_STUDY_COLUMNS });
}

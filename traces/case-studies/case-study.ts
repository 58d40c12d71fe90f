// What a case-study generator is: a named, seeded, scalable program model
// that yields trace events lazily, plus the metadata written with its trace.
import type { TraceColumn, TraceEvent, TraceMeta } from '../types.ts';

export interface CaseStudyOptions {
  /** Multiplies the case study's counts; 1 is the committed trace. */
  scale: number;
  /** PRNG seed. */
  seed: number;
}

export interface CaseStudy {
  /** The name `heapreplay generate` takes and the committed file's stem. */
  readonly name: string;
  /** One line for `generate --list`. */
  readonly summary: string;
  /** The seed text and program it models, e.g. "seed 001 (001_fbe06dc51bcf7cec.txt), frag.py". */
  readonly source: string;
  /** The CPython build whose request sizes the trace carries. */
  readonly python: string;
  /** What the trace shows, for the metadata and for readers of the file. */
  readonly description: string;
  /** Run hints the harness honours (`address-space: 32`, `memory-limit: 2GiB`). */
  readonly hints?: TraceMeta;
  /** Said when scale 1 is smaller than the program the seed describes. */
  readonly scaleNote?: string;
  /** The events, produced lazily: memory stays bounded by the live set, not the event count. */
  events(options: CaseStudyOptions): Generator<TraceEvent, void, unknown>;
}

export const DEFAULT_SEED = 1;
export const DEFAULT_SCALE = 1;

/** The columns every case-study trace uses (no memalign, no threads). */
export const CASE_STUDY_COLUMNS: readonly TraceColumn[] = ['op', 'id', 'size', 'time_ns', 'domain', 'label'];

/** Metadata lines for a generated trace, in a fixed order so files are byte-stable. */
export function caseStudyMeta(study: CaseStudy, options: CaseStudyOptions): TraceMeta {
  const meta: TraceMeta = {
    name: study.name,
    source: study.source,
    generator: `heapreplay generate ${study.name} --seed ${options.seed} --scale ${options.scale}`,
    seed: String(options.seed),
    scale: String(options.scale),
    python: study.python,
    description: study.description,
  };
  if (study.scaleNote) meta['scale-note'] = study.scaleNote;
  for (const [k, v] of Object.entries(study.hints ?? {})) meta[k] = v;
  return meta;
}

/** A count multiplied by the scale, at least `min`. */
export function scaled(count: number, scale: number, min = 1): number {
  return Math.max(min, Math.round(count * scale));
}

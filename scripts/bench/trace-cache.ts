// The bench's traces, generated once and kept under node_modules/.cache so a
// rerun starts measuring at once. An entry is keyed by generator, scale, seed
// and a hash of the generators' source, so editing a generator never lets a
// stale trace be measured; entries of older generator versions are removed.
// A small JSON file beside the traces, written last, marks an entry complete.
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../harness/output-file.ts';
import { PACKAGE_ROOT } from '../../harness/version.ts';
import { compileTrace, writeCompiledTrace } from '../../traces/compiled.ts';
import { findCaseStudy, writeCaseStudy } from '../../traces/case-studies/index.ts';
import { generatorTraceSource } from './generator-source.ts';

export const BENCH_CACHE_DIR = join(PACKAGE_ROOT, 'node_modules', '.cache', 'heapreplay', 'bench');
const CASE_STUDY_DIR = join(PACKAGE_ROOT, 'traces', 'case-studies');

export interface CachedTrace {
  generator: string;
  scale: number;
  seed: number;
  events: number;
  /** The gzip CSV form; null for traces compiled straight from the generator. */
  csvPath: string | null;
  hrtPath: string;
  hrtBytes: number;
}

export interface CacheOptions {
  /** Also keep the trace as CSV.gz (the ingest figures need it); else compile straight from the generator. */
  csv: boolean;
  dir?: string;
  log?: (line: string) => void;
}

let sourceHash: Promise<string> | null = null;

/** A short hash of every case-study source file (tests excluded): the generators' version. */
export function generatorSourceHash(): Promise<string> {
  sourceHash ??= (async () => {
    const names = (await readdir(CASE_STUDY_DIR)).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts')).sort();
    const hash = createHash('sha256');
    for (const n of names) hash.update(n).update('\0').update(await readFile(join(CASE_STUDY_DIR, n)));
    return hash.digest('hex').slice(0, 12);
  })();
  return sourceHash;
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}

/** The cached trace of `generator` at `scale` and `seed`, made now if missing. */
export async function cachedCaseStudy(generator: string, scale: number, seed: number, options: CacheOptions): Promise<CachedTrace> {
  const study = findCaseStudy(generator);
  if (!study) throw new Error(`no case-study generator "${generator}"`);
  const dir = options.dir ?? BENCH_CACHE_DIR;
  const stem = `${generator}-scale${scale}-seed${seed}-${options.csv ? 'csv' : 'direct'}-`;
  const key = `${stem}${await generatorSourceHash()}`;
  const done = join(dir, `${key}.json`);
  if (await exists(done)) return JSON.parse(await readFile(done, 'utf8')) as CachedTrace;

  // Older generator versions of the same entry are dead weight (the big ones are gigabytes).
  for (const n of await readdir(dir).catch(() => [] as string[])) if (n.startsWith(stem) && !n.startsWith(key)) await rm(join(dir, n), { force: true });

  const log = options.log ?? (() => {});
  const hrtPath = join(dir, `${key}.hrt`);
  let csvPath: string | null = null;
  let events: number;
  const started = performance.now();
  if (options.csv) {
    csvPath = join(dir, `${key}.csv.gz`);
    log(`generating ${generator} --scale ${scale} --seed ${seed} into the bench cache (once)...`);
    await writeCaseStudy(study, csvPath, { scale, seed });
    events = (await compileTrace(csvPath, hrtPath)).events;
  } else {
    log(`generating ${generator} --scale ${scale} --seed ${seed} straight into a compiled trace in the bench cache (once)...`);
    events = (await writeCompiledTrace(generatorTraceSource(study, { scale, seed }), hrtPath)).events;
  }
  log(`  ${events} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const entry: CachedTrace = { generator, scale, seed, events, csvPath, hrtPath, hrtBytes: (await stat(hrtPath)).size };
  await writeFileAtomic(done, `${JSON.stringify(entry, null, 2)}\n`);
  return entry;
}

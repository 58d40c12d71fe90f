// `npm run bench`: how fast heapreplay is and how much memory it needs, each
// figure against its target. Sections (run in this order, --only to pick):
//   replay  events/s per model, one core, on compiled traces of ≥ 10 M events
//           (sawtooth --scale 16, free-list-torture --scale 41), each model in
//           a child process of its own (replay-child.ts), so that no model's
//           figure depends on which models V8 saw before it; first, for
//           comparison, the same trace through a model that does nothing
//           (bench/bump-model.ts): the replayer's own cost, the ceiling of
//           every model's figure
//   ingest  CSV.gz → validated batches, and CSV.gz → compiled .hrt
//   native  heapreplay's glibc replay time ÷ the native replayer's (real glibc),
//           with touch full (the target) and with touch none (allocator work
//           alone); and, for comparison with the replay target, how many events
//           per second real glibc and real jemalloc replay natively, with the
//           native replay's user and system CPU
//   memory  peak RSS of a heapreplay process replaying a ~100 M-event trace,
//           one child process per model. The trace (sawtooth --scale 160) is
//           compiled once straight from the streaming generator into .hrt (no
//           CSV), cached, and replayed from the .hrt by the `run` code path.
//   suite   wall time of `heapreplay run --default-suite --jobs 2`
// Traces are generated once into node_modules/.cache/heapreplay/bench/.
//
//   npm run bench -- [--quick] [--only replay,native] [--runs 3] [--json figures.json]
//
// --quick shrinks every trace so the whole bench takes seconds (a smoke test:
// its figures say nothing about the targets). Exit 0 whether or not targets are
// met: this measures, `compare` and CI decide.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeFileAtomic } from '../harness/output-file.ts';
import { formatFigure, machine, SECTIONS, bytesText, type Figure, type Section } from './bench/figures.ts';
import { BENCH_MODELS, measureIngest, measureMemory, measureNative, measureNativeSpeed, measureReplayAlone, measureSuite, replayFigure, traceLabel } from './bench/sections.ts';
import type { Timing } from './bench/clock.ts';
import { HARNESS_ONLY } from './bench/bump-model.ts';
import { cachedCaseStudy, type CachedTrace } from './bench/trace-cache.ts';

export const BENCH_SCHEMA = 'heapreplay-bench/1';

export interface BenchScriptOptions {
  quick: boolean;
  only: Section[];
  runs: number;
  json?: string;
  /** Where lines go (stdout by default). */
  log?: (line: string) => void;
}

/** Generator scales: ≥ 10 M events for replay, ~100 M for memory; quick mode a few tens of thousands. */
export function benchScales(quick: boolean): { sawtooth: number; freeListTorture: number; memory: number } {
  return quick ? { sawtooth: 0.02, freeListTorture: 0.02, memory: 0.02 } : { sawtooth: 16, freeListTorture: 41, memory: 160 };
}

/** `--only replay,native --only suite` → the sections, in bench order; an unknown name is an error listing the valid ones. */
export function parseSections(values: readonly string[]): Section[] {
  const named = values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const n of named) if (!(SECTIONS as readonly string[]).includes(n)) throw new Error(`--only ${n}: unknown section; expected one or more of ${SECTIONS.join(', ')}`);
  return named.length === 0 ? [...SECTIONS] : SECTIONS.filter((s) => named.includes(s));
}

export async function runBench(options: BenchScriptOptions): Promise<{ figures: Figure[] }> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const m = machine();
  const scales = benchScales(options.quick);
  const runs = options.quick ? 1 : options.runs;
  log(`heapreplay bench${options.quick ? ' --quick (smoke test: small traces, the figures do not speak to the targets)' : ''}`);
  log(`machine: ${m.cpu}, ${m.cores} cores, ${bytesText(m.memoryBytes)} RAM, ${m.platform}`);
  log(`node ${m.node}, ${m.date}`);
  log(`runs per figure: ${runs} (median reported, with spread)`);
  const figures: Figure[] = [];
  const report = (f: Figure): void => {
    figures.push(f);
    log(formatFigure(f));
  };
  const wants = (s: Section): boolean => options.only.includes(s);
  const cacheLog = (line: string): void => log(`  (${line.trim()})`);
  const trace = (generator: string, scale: number, csv: boolean): Promise<CachedTrace> => cachedCaseStudy(generator, scale, 1, { csv, log: cacheLog });

  // The glibc replay times on sawtooth, reused by the native ratio when both sections run.
  let glibcSawtooth: Timing[] | null = null;

  if (wants('replay')) {
    log('\n== replay speed: each model in a process of its own, one replay at a time, page residency on (touch full), compiled trace ==');
    for (const t of [await trace('sawtooth', scales.sawtooth, true), await trace('free-list-torture', scales.freeListTorture, true)]) {
      const harness = await measureReplayAlone(t, HARNESS_ONLY, runs);
      report(replayFigure(t, HARNESS_ONLY, harness));
      for (const model of BENCH_MODELS) {
        const measured = await measureReplayAlone(t, model, runs);
        if (t.generator === 'sawtooth' && model === 'glibc') glibcSawtooth = measured.timings;
        report(replayFigure(t, model, measured, harness));
      }
    }
  }
  if (wants('ingest')) {
    log('\n== ingest speed ==');
    for (const f of await measureIngest(await trace('sawtooth', scales.sawtooth, true), runs)) report(f);
  }
  if (wants('native')) {
    log('\n== against native: the same trace through real glibc (harness/real/replay.c) ==');
    const t = await trace('sawtooth', scales.sawtooth, true);
    glibcSawtooth ??= (await measureReplayAlone(t, 'glibc', runs)).timings;
    report(await measureNative(t, runs, glibcSawtooth, 'full'));
    const untouched = (await measureReplayAlone(t, 'glibc', runs, 'none')).timings;
    report(await measureNative(t, runs, untouched, 'none'));
    // Real jemalloc's own speed beside its model's: with touch full as the models replay, and touch none (its own work).
    for (const touch of ['full', 'none'] as const) {
      const jemalloc = await measureNativeSpeed(t, 'jemalloc', runs, touch);
      if (!jemalloc) {
        log('  (real jemalloc is not installed: apt-get install libjemalloc2 for its native figures)');
        break;
      }
      report(jemalloc);
    }
  }
  if (wants('memory')) {
    const t = await trace('sawtooth', scales.memory, false);
    log(`\n== memory: ${traceLabel(t)}, compiled straight from the streaming generator (no CSV), one child process per model ==`);
    await measureMemory(t, BENCH_MODELS, report);
  }
  if (wants('suite')) {
    log('\n== default suite ==');
    report(await measureSuite(options.quick ? await trace('sawtooth', scales.sawtooth, true) : null));
  }

  const judged = figures.filter((f) => f.met !== null);
  const missed = judged.filter((f) => f.met === false);
  log(`\n${judged.length - missed.length} of ${judged.length} figures meet their targets${missed.length ? `; not met: ${[...new Set(missed.map((f) => f.section))].join(', ')}` : ''}`);
  if (options.json) {
    const doc = { schema: BENCH_SCHEMA, machine: m, quick: options.quick, runs, sections: options.only, figures };
    await writeFileAtomic(options.json, `${JSON.stringify(doc, null, 2)}\n`);
    log(`figures: ${options.json}`);
  }
  return { figures };
}

async function main(argv: string[]): Promise<void> {
  const args = await yargs(argv)
    .scriptName('npm run bench --')
    .option('quick', { type: 'boolean', default: false, describe: 'smoke mode: small traces, finishes in seconds' })
    .option('only', { type: 'string', array: true, describe: `sections to run (comma list or repeated): ${SECTIONS.join(', ')}` })
    .option('runs', { type: 'number', default: 3, describe: 'measurements per figure (median and spread reported)' })
    .option('json', { type: 'string', describe: 'write the figures here as JSON' })
    .strict()
    .help()
    .parseAsync();
  if (!Number.isInteger(args.runs) || args.runs < 1) throw new Error(`--runs ${args.runs}: expected a whole number ≥ 1`);
  await runBench({ quick: args.quick, only: parseSections(args.only ?? []), runs: args.runs, json: args.json });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await main(hideBin(process.argv));
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  }
}

// The byte-identical results guard: every bundled case-study trace replayed
// through the four models, reduced to a digest that is committed in
// harness/expected/<trace>.json. Speed work on the replay path must not move a
// single figure; the guard test replays and compares, and
// scripts/update-expected.ts rewrites the files after a deliberate model change.
//
// A digest keeps the figures a reader of a failing diff wants to see in clear
// (status, peaks, marks, fragmentation, retention kinds and bytes, failure)
// and hashes the rest (the timeline, the address maps, and the whole result
// minus the timing fields), so the files stay small but nothing escapes.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileTrace } from '../traces/compiled.ts';
import { hashFile } from '../traces/reader.ts';
import { writeFileAtomic } from './output-file.ts';
import type { RunJob } from './matrix.ts';
import type { Fragmentation, FailureRecord, RunResult, RunStatus } from './result.ts';
import { runMatrix } from './worker-pool.ts';

/** The models every bundled trace is checked against (their default presets, glibc backing). */
export const GUARDED_MODELS: readonly string[] = ['glibc', 'jemalloc', 'obmalloc', 'obmalloc-arenafree'];

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const EXPECTED_DIR = join(REPO_ROOT, 'harness', 'expected');
const TRACES_DIR = join(REPO_ROOT, 'traces');
const BUNDLED_SUFFIX = '.csv.gz';

export interface MarkDigest {
  label: string;
  event: number;
  rssBytes: number;
  liveBytes: number;
  mappedBytes: number;
  /** sha256 of the address map drawn at the mark (null when none was drawn). */
  mapSha256: string | null;
}

/** One retention finding without its sentence (the sentence is covered by resultSha256). */
export type RetentionDigest = [mark: string, kind: string, bytes: number, blockId: string | null];

export interface RunDigest {
  model: string;
  status: RunStatus;
  events: number;
  peakRssBytes: number;
  finalRssBytes: number;
  peakLiveBytes: number;
  finalLiveBytes: number;
  peakMappedBytes: number;
  internalFragmentationBytes: number;
  freeResidentBytes: number;
  fragmentation: Fragmentation;
  failure: FailureRecord | null;
  marks: MarkDigest[];
  retention: RetentionDigest[];
  timelinePoints: number;
  timelineSha256: string;
  /** sha256 of the canonical JSON of the whole result without the timing and trace-form fields. */
  resultSha256: string;
}

export interface ExpectedFile {
  /** Read by people: what this file is and how to regenerate it. */
  about: string;
  trace: string;
  /** sha256 of traces/<trace>.csv.gz the digests were made from. */
  traceSha256: string;
  runs: RunDigest[];
}

const ABOUT =
  'Expected replay results of this bundled trace (byte-identical guard, harness/expected-guard-*.test.ts). ' +
  'Regenerate with `node --import tsx scripts/update-expected.ts` only after a deliberate model or metrics change, never to make a speed change pass.';

/** JSON with object keys sorted at every level, so a hash does not depend on the order fields were built in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The result as the guard compares it: without the replay timing, the matrix
 * position, and the trace's path and file hash (the guard replays a compiled
 * copy, whose path and bytes differ from the bundled CSV; the expected file
 * pins the CSV's hash instead).
 */
export function comparableResult(r: RunResult): unknown {
  const { replay: _replay, matrixIndex: _index, trace, ...rest } = r;
  const { path: _path, sha256: _sha, ...traceRest } = trace;
  return { ...rest, trace: traceRest };
}

export function digestRun(model: string, r: RunResult): RunDigest {
  return {
    model,
    status: r.status,
    events: r.trace.events,
    peakRssBytes: r.peakRssBytes,
    finalRssBytes: r.finalRssBytes,
    peakLiveBytes: r.peakLiveBytes,
    finalLiveBytes: r.finalLiveBytes,
    peakMappedBytes: r.peakMappedBytes,
    internalFragmentationBytes: r.internalFragmentationBytes,
    freeResidentBytes: r.freeResidentBytes,
    fragmentation: r.fragmentation,
    failure: r.failure,
    marks: r.marks.map((m) => ({
      label: m.label,
      event: m.event,
      rssBytes: m.rssBytes,
      liveBytes: m.liveBytes,
      mappedBytes: m.mappedBytes,
      mapSha256: m.map ? sha256(canonicalJson(m.map)) : null,
    })),
    retention: r.retention.map((f) => [f.mark, f.kind, f.bytes, f.blockId ?? null]),
    timelinePoints: r.timeline.event.length,
    timelineSha256: sha256(canonicalJson(r.timeline)),
    resultSha256: sha256(canonicalJson(comparableResult(r))),
  };
}

/** Names of the bundled traces (traces/<name>.csv.gz), sorted. */
export async function bundledTraceNames(): Promise<string[]> {
  const files = await readdir(TRACES_DIR);
  return files
    .filter((f) => f.endsWith(BUNDLED_SUFFIX))
    .map((f) => basename(f, BUNDLED_SUFFIX))
    .sort();
}

/** Test files the guard is split into, so that vitest replays them side by side. */
export const GUARD_SHARDS = 2;

/**
 * The bundled traces guard shard `k` (0-based) of `n` replays: the traces
 * dealt out largest file first to the lightest shard, so the shards take
 * about the same time and every trace is in exactly one.
 */
export async function guardShard(k: number, n = GUARD_SHARDS): Promise<string[]> {
  const names = await bundledTraceNames();
  const sized = await Promise.all(names.map(async (name) => ({ name, bytes: (await stat(bundledTracePath(name))).size })));
  sized.sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : 1));
  const load = new Array<number>(n).fill(0);
  const shards: string[][] = Array.from({ length: n }, () => []);
  for (const t of sized) {
    const lightest = load.indexOf(Math.min(...load));
    load[lightest]! += t.bytes;
    shards[lightest]!.push(t.name);
  }
  return shards[k]!.sort();
}

export function bundledTracePath(name: string): string {
  return join(TRACES_DIR, name + BUNDLED_SUFFIX);
}

export function expectedPath(name: string): string {
  return join(EXPECTED_DIR, `${name}.json`);
}

export async function readExpected(name: string): Promise<ExpectedFile> {
  return JSON.parse(await readFile(expectedPath(name), 'utf8')) as ExpectedFile;
}

/**
 * Replay bundled traces through every guarded model, the way `heapreplay run`
 * does (run-job: trace hints, default presets), from compiled copies so the
 * CSV is parsed once per trace. `workers` > 1 runs the models on worker threads.
 */
export async function replayBundled(names: readonly string[], workers: number): Promise<Map<string, ExpectedFile>> {
  const dir = await mkdtemp(join(tmpdir(), 'heapreplay-expected-'));
  try {
    const jobs: RunJob[] = [];
    const shas = new Map<string, string>();
    for (const name of names) {
      const compiled = join(dir, `${name}.hrt`);
      await compileTrace(bundledTracePath(name), compiled);
      shas.set(name, await hashFile(bundledTracePath(name)));
      for (const model of GUARDED_MODELS) jobs.push({ index: jobs.length, tracePath: compiled, model, overrides: {} });
    }
    const results = await runMatrix(jobs, {}, workers);
    const out = new Map<string, ExpectedFile>();
    names.forEach((name, t) => {
      const runs = GUARDED_MODELS.map((model, m) => digestRun(model, results[t * GUARDED_MODELS.length + m]!));
      out.set(name, { about: ABOUT, trace: name, traceSha256: shas.get(name)!, runs });
    });
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Indented JSON with arrays of plain values (and retention tuples) kept on one
 * line: a changed figure shows as a one-line diff, and the files stay short.
 */
export function formatExpected(file: ExpectedFile): string {
  const flat = (v: unknown): boolean => v === null || typeof v !== 'object' || (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object'));
  const write = (v: unknown, indent: string): string => {
    if (flat(v)) return JSON.stringify(v);
    const inner = indent + '  ';
    if (Array.isArray(v)) return v.length === 0 ? '[]' : `[\n${v.map((x) => inner + write(x, inner)).join(',\n')}\n${indent}]`;
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (entries.length <= 6 && entries.every(([, x]) => flat(x))) return JSON.stringify(v);
    return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${write(x, inner)}`).join(',\n')}\n${indent}}`;
  };
  return write(file, '') + '\n';
}

export async function writeExpected(file: ExpectedFile): Promise<void> {
  await writeFileAtomic(expectedPath(file.trace), formatExpected(file));
}

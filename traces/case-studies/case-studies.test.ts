// Every case study: deterministic, valid v1, carries its metadata, and the
// committed traces/<name>.csv.gz is exactly what its generator writes today.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTrace } from '../open.ts';
import { formatTraceHeader, formatTraceRow } from '../writer.ts';
import { CASE_STUDY_COLUMNS, caseStudyMeta } from './case-study.ts';
import { CASE_STUDIES, committedTracePath, findCaseStudy, writeCaseStudy } from './index.ts';
import { liveMarkLabel } from './oom-ramp.ts';
import { traceFacts } from './trace-facts.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SMALL = 0.02;

/** The CSV text a generator produces, hashed as it streams (no gzip, so zlib versions do not matter). */
function generatedCsv(name: string): { sha256: string; events: number; labels: string[] } {
  const study = findCaseStudy(name)!;
  const options = { scale: 1, seed: 1 };
  const hash = createHash('sha256');
  hash.update(formatTraceHeader(caseStudyMeta(study, options), CASE_STUDY_COLUMNS));
  let events = 0;
  const labels: string[] = [];
  let chunk = '';
  for (const e of study.events(options)) {
    chunk += formatTraceRow(e, CASE_STUDY_COLUMNS) + '\n';
    events++;
    if (e.op === 'mark') labels.push(e.label!);
    if (chunk.length > 1 << 16) {
      hash.update(chunk);
      chunk = '';
    }
  }
  hash.update(chunk);
  return { sha256: hash.digest('hex'), events, labels };
}

const EXPECTED_MARKS: Record<string, string[]> = {
  'big-small-interleaving': ['After alloc', 'After del', 'After gc'],
  'free-list-torture': ['After work', 'After del'],
  'arena-churn': ['After build', 'After free', 'Handoff'],
  'address-space-32bit': ['After fill', 'After free', 'Before big request'],
  'oom-ramp': ['1 GiB live', '2 GiB live', '3 GiB live', '4 GiB live'],
  sawtooth: [1, 2, 3, 4, 5, 6, 7, 8].flatMap((c) => [`Peak ${c}`, `Trough ${c}`]),
};

/** Marks at scale SMALL: one sawtooth cycle; oom-ramp's steps shrink with the scale (1 GiB × 0.02 ≈ 20.5 MiB). */
function smallScaleMarks(name: string): string[] {
  if (name === 'sawtooth') return ['Peak 1', 'Trough 1'];
  if (name === 'oom-ramp') return [1, 2, 3, 4].map((k) => liveMarkLabel(k, SMALL));
  return EXPECTED_MARKS[name]!;
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heapreplay-cs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('case-study registry', () => {
  it('has exactly the six case studies of the brief', () => {
    expect(CASE_STUDIES.map((s) => s.name).sort()).toEqual(Object.keys(EXPECTED_MARKS).sort());
  });

  it('writes byte-identical gzip files for the same seed and scale', async () => {
    const study = findCaseStudy('address-space-32bit')!;
    const a = await writeCaseStudy(study, join(dir, 'gz-a.csv.gz'), { scale: 0.5, seed: 9 });
    const b = await writeCaseStudy(study, join(dir, 'gz-b.csv.gz'), { scale: 0.5, seed: 9 });
    expect(b.sha256).toBe(a.sha256);
    expect(await readFile(join(dir, 'gz-b.csv.gz'))).toEqual(await readFile(join(dir, 'gz-a.csv.gz')));
  });
});

describe.each(CASE_STUDIES.map((s) => s.name))('%s', (name) => {
  const study = findCaseStudy(name)!;

  it('writes the same bytes for the same seed and different bytes for another seed', async () => {
    // Plain CSV keeps this quick; the gzip layer is checked once below.
    const a = await writeCaseStudy(study, join(dir, `${name}-a.csv`), { scale: SMALL, seed: 3 });
    const b = await writeCaseStudy(study, join(dir, `${name}-b.csv`), { scale: SMALL, seed: 3 });
    const c = await writeCaseStudy(study, join(dir, `${name}-c.csv`), { scale: SMALL, seed: 4 });
    expect(b.sha256).toBe(a.sha256);
    expect(c.sha256).not.toBe(a.sha256);
    expect(await readFile(join(dir, `${name}-b.csv`))).toEqual(await readFile(join(dir, `${name}-a.csv`)));
  });

  it('keeps the v1 rules (live ids, short integer ids, time never going back) for several seeds', () => {
    for (const seed of [1, 2, 99]) {
      const facts = traceFacts(study.events({ scale: SMALL, seed }));
      expect(facts.mallocs).toBeGreaterThan(0);
      expect(facts.marks.map((m) => m.label)).toEqual(smallScaleMarks(name));
    }
  });

  it('writes the metadata the brief asks for', () => {
    const meta = caseStudyMeta(study, { scale: 1, seed: 1 });
    for (const key of ['name', 'source', 'seed', 'scale', 'python', 'description']) expect(meta[key], key).toBeTruthy();
    expect(meta.name).toBe(name);
    expect(meta.source).toMatch(/seed 00\d|synthetic/);
  });

  it('has a committed trace under 5 MB that equals what the generator writes at the defaults', async () => {
    const path = join(root, committedTracePath(name));
    expect((await stat(path)).size).toBeLessThan(5 * 1024 * 1024);
    const stored = gunzipSync(await readFile(path));
    const fresh = generatedCsv(name);
    expect(createHash('sha256').update(stored).digest('hex'), `run scripts/regenerate-traces.ts ${name}`).toBe(fresh.sha256);
    expect(fresh.labels).toEqual(EXPECTED_MARKS[name]);
  });

  it('validates with openTrace: every row read, none skipped, the marks in order', async () => {
    const source = await openTrace(join(root, committedTracePath(name)));
    expect(source.meta.name).toBe(name);
    expect(source.hasTime).toBe(true);
    let events = 0;
    const labels: string[] = [];
    for await (const batch of source.batches()) {
      events += batch.length;
      for (const [, label] of [...batch.labels.entries()].sort((x, y) => x[0] - y[0])) labels.push(label);
    }
    expect(source.skippedRows).toBe(0);
    expect(labels).toEqual(EXPECTED_MARKS[name]);
    expect(events).toBeGreaterThan(10_000);
  });
});

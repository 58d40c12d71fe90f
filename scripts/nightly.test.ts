// Runs the nightly workflow's own steps locally, at a small scale: the shard
// jobs, then the merge-and-compare job, and checks that the merged shards equal
// the unsharded run apart from timing fields.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultFile } from '../harness/result.ts';
import { nightly, shardFileName } from './nightly.ts';

const SCALE = 0.005;
// Two models keep the test quick; the workflow runs the default four.
const MODELS = 'glibc,obmalloc-arenafree';
let dir: string;
const logs: string[] = [];
const log = (line: string): void => void logs.push(line);

/** The `npm run nightly -- ...` argument lists in the workflow, with the matrix expanded. */
async function workflowSteps(): Promise<string[][]> {
  const text = await readFile(new URL('../.github/workflows/nightly.yml', import.meta.url), 'utf8');
  const shards = /shard: \[([\d, ]+)\]/.exec(text)![1]!.split(',').map((s) => s.trim());
  const count = /SHARDS: (\d+)/.exec(text)![1]!;
  const steps: string[][] = [];
  for (const m of text.matchAll(/run: npm run nightly -- (.+)/g)) {
    const args = m[1]!.trim();
    if (args.includes('${{ matrix.shard }}')) {
      for (const s of shards) steps.push(args.replaceAll('${{ matrix.shard }}', s).replaceAll('${{ env.SHARDS }}', count).split(/\s+/));
    } else steps.push(args.split(/\s+/));
  }
  return steps;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Everything but the timing fields, for identity checks. */
function withoutTiming(r: ResultFile): unknown {
  return { ...r, createdAt: null, options: { ...r.options, shard: null }, runs: r.runs.map((run) => ({ ...run, trace: { ...run.trace, path: null }, replay: null })) };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heapreplay-nightly-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('nightly workflow steps', () => {
  it('shard jobs then the merge job equal the unsharded run, and a changed model regresses', async () => {
    const steps = await workflowSteps();
    expect(steps.length).toBe(3); // two shard jobs, one merge job
    const shardDir = join(dir, 'sharded');
    const baselineDir = join(dir, 'baseline');
    for (const args of steps) {
      const shard = option(args, '--shard');
      const merge = args.includes('--merge');
      const code = await nightly({
        out: shardDir,
        scale: SCALE,
        shard,
        merge,
        jobs: 2,
        models: MODELS,
        baseline: merge ? join(baselineDir, 'results.json') : undefined,
        history: merge ? join(baselineDir, 'history.jsonl') : undefined,
        summaryFile: merge ? join(dir, 'summary.md') : undefined,
        log,
      });
      expect(code).toBe(0);
      if (shard) await readFile(join(shardDir, shardFileName(shard)), 'utf8');
    }
    const merged = JSON.parse(await readFile(join(shardDir, 'results.json'), 'utf8')) as ResultFile;
    expect(await readFile(join(dir, 'summary.md'), 'utf8')).toContain('no baseline');
    expect(await readFile(join(baselineDir, 'history.jsonl'), 'utf8')).toContain('heapreplay-history/1');

    const whole = join(dir, 'whole');
    expect(await nightly({ out: whole, scale: SCALE, merge: false, jobs: 1, models: MODELS, log })).toBe(0);
    const unsharded = JSON.parse(await readFile(join(whole, 'results.json'), 'utf8')) as ResultFile;
    expect(merged.runs.length).toBe(unsharded.runs.length);
    expect(withoutTiming(merged)).toEqual(withoutTiming(unsharded));

    // Tonight becomes the baseline; a baseline with less memory makes tonight a regression.
    const baseline = structuredClone(unsharded);
    baseline.runs[0]!.peakRssBytes = Math.floor(baseline.runs[0]!.peakRssBytes / 2);
    await writeFile(join(dir, 'better-baseline.json'), JSON.stringify(baseline));
    const code = await nightly({ out: shardDir, scale: SCALE, merge: true, baseline: join(dir, 'better-baseline.json'), summaryFile: join(dir, 'summary2.md'), log });
    expect(code).toBe(1);
    expect(await readFile(join(dir, 'summary2.md'), 'utf8')).toContain('REGRESSION');
    expect(await readFile(join(shardDir, 'compare.md'), 'utf8')).toContain('peak RSS');
  }, 240_000);
});

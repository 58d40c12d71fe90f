// `heapreplay compare` end to end: a tuning change that raises memory on
// sawtooth exits 1 and names the figures; a result compared with itself exits 0.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCaseStudy, writeCaseStudy } from '../../traces/case-studies/index.ts';
import { PACKAGE_ROOT } from '../version.ts';
import { executeRun, type RunArgs } from './run.ts';

const BIN = join(PACKAGE_ROOT, 'bin', 'heapreplay.js');
let dir = '';

function runArgs(trace: string, json: string, param: string[]): RunArgs {
  return { traces: [trace], models: 'glibc', param, touch: 'full', lenient: false, json, jobs: 1, progress: false, 'default-suite': false };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hr-compare-'));
  const trace = join(dir, 'sawtooth.csv.gz');
  await writeCaseStudy(findCaseStudy('sawtooth')!, trace, { scale: 0.25 });
  const quiet = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await executeRun(runArgs(trace, join(dir, 'base.json'), []));
    // A bigger top_pad keeps more of each trough's free memory at the top of the heap.
    await executeRun(runArgs(trace, join(dir, 'tuned.json'), ['glibc.top_pad=64MiB']));
  } finally {
    process.stdout.write = quiet;
  }
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('heapreplay compare', () => {
  it('exits 0 for a result compared with itself', async () => {
    const r = await execa('node', [BIN, 'compare', join(dir, 'base.json'), join(dir, 'base.json')], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('No regression in 1 matched runs');
  }, 60_000);

  it('exits 1 after a param change that raises memory, naming the regressed figures and the change', async () => {
    const report = join(dir, 'diff.md');
    const r = await execa('node', [BIN, 'compare', join(dir, 'base.json'), join(dir, 'tuned.json'), '--report', report], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/RSS at 'Trough 1' .*▲ worse +\| ❌/);
    expect(r.stdout).toMatch(/final RSS .*▲ worse +\| ❌/);
    expect(r.stdout).toContain('top\\_pad: 131072 → 67108864');
  }, 60_000);

  it('exits 2 on a file that is not a result', async () => {
    await writeFile(join(dir, 'junk.json'), '{"schema":"other"}');
    const r = await execa('node', [BIN, 'compare', join(dir, 'junk.json'), join(dir, 'base.json')], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('junk.json: expected "schema": "heapreplay-result/1"');
    const bad = await execa('node', [BIN, 'compare', join(dir, 'base.json'), join(dir, 'base.json'), '--threshold', 'lots'], { reject: false });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('bad --threshold "lots"');
  }, 60_000);
});

// `npm run bench -- --quick` end to end, as a smoke test: every section runs
// and prints a figure. (The figures of quick mode are too small to mean much;
// the full bench is `npm run bench`, never run by the tests.)
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../harness/version.ts';
import { benchScales, parseSections } from './bench.ts';
import { figure, meets, SECTIONS, TARGETS, type Figure } from './bench/figures.ts';
import { HARNESS_ONLY } from './bench/bump-model.ts';
import { replayFigure } from './bench/sections.ts';
import type { CachedTrace } from './bench/trace-cache.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hr-bench-script-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bench options', () => {
  it('--only takes comma lists and repeats, keeps bench order, and rejects unknown sections', () => {
    expect(parseSections([])).toEqual([...SECTIONS]);
    expect(parseSections(['suite,replay', 'native'])).toEqual(['replay', 'native', 'suite']);
    expect(() => parseSections(['replay,speed'])).toThrow(/--only speed: unknown section; expected one or more of replay, ingest, native, memory, suite/);
  });

  it('uses traces of at least 10 M events for replay and ~100 M for memory (sawtooth: ~0.64 M events per unit of scale)', () => {
    const full = benchScales(false);
    expect(full.sawtooth * 0.64e6).toBeGreaterThanOrEqual(10e6);
    expect(full.memory * 0.64e6).toBeGreaterThanOrEqual(100e6);
    expect(benchScales(true).sawtooth).toBeLessThan(1);
  });
});

describe('figures', () => {
  it('judge each kind of target at its boundary', () => {
    expect(meets(5e6, TARGETS.replay)).toBe(true);
    expect(meets(4.99e6, TARGETS.replay)).toBe(false);
    expect(meets(5, TARGETS.native)).toBe(true);
    expect(meets(5.01, TARGETS.native)).toBe(false);
    expect(meets(2 * 1024 ** 3, TARGETS.memory)).toBe(false);
    expect(meets(10, TARGETS.suite)).toBe(false);
    expect(meets(9.9, TARGETS.suite)).toBe(true);
    expect(meets(NaN, TARGETS.suite)).toBeNull();
    expect(figure({ section: 'suite', name: 'x', value: 3, unit: 's', text: '3 s', target: null, detail: '' }).met).toBeNull();
  });
});

describe('replay figures', () => {
  const trace = { generator: 'sawtooth', scale: 16, events: 10_000_000 } as CachedTrace;
  const run = (cpuMs: number) => ({ events: 10_000_000, timings: [{ wallMs: cpuMs, cpuMs }], simulatedPeakRssBytes: 1 });

  it('the harness-alone figure has no target and says what it leaves a model of the 200 ns an event has at 5 M ev/s', () => {
    const f = replayFigure(trace, HARNESS_ONLY, run(1400));
    expect(f.target).toBeNull();
    expect(f.met).toBeNull();
    expect(f.name).toMatch(/^harness alone/);
    expect(f.detail).toContain('140 ns of CPU per event with a model that does nothing');
    expect(f.detail).toContain('leaves a model 60 ns of the 200 ns');
  });

  it("a model's figure is judged and splits its CPU per event into the replayer's share and the model's", () => {
    const f = replayFigure(trace, 'glibc', run(5000), run(1400));
    expect(f.met).toBe(false);
    expect(f.text).toBe('2.00 M ev/s');
    expect(f.detail).toContain('500 ns of CPU per event, of which the replayer alone takes ~140 ns (the bump model\'s figure) and the model ~360 ns');
  });
});

describe('npm run bench -- --quick', () => {
  it('prints the machine and a figure in every section, and writes them as JSON', async () => {
    const json = join(dir, 'figures.json');
    const r = await execa(process.execPath, ['--import', 'tsx', join(PACKAGE_ROOT, 'scripts', 'bench.ts'), '--quick', '--json', json], { cwd: PACKAGE_ROOT, reject: false, env: { CI: '1' } });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^machine: .+, \d+ cores/m);
    expect(r.stdout).toMatch(/^node v\d+\.\d+\.\d+, \d{4}-\d\d-\d\dT/m);
    for (const heading of ['replay speed', 'ingest speed', 'against native', 'memory', 'default suite']) expect(r.stdout).toContain(`== ${heading}`);
    const doc = JSON.parse(await readFile(json, 'utf8')) as { schema: string; quick: boolean; figures: Figure[] };
    expect(doc.schema).toBe('heapreplay-bench/1');
    expect(doc.quick).toBe(true);
    const count = (s: string): number => doc.figures.filter((f) => f.section === s).length;
    // 4 models × 2 traces; 2 ingest paths; 2 ratios (touch full, none); 4 models; 1 suite run (quick: no target, so 16 are judged)
    const judged = (s: string): number => doc.figures.filter((f) => f.section === s && f.target !== null).length;
    expect(SECTIONS.map(judged)).toEqual([8, 2, 2, 4, 0]);
    // Beside the models, each replay trace through the bump model: the replayer alone, for comparison.
    expect(doc.figures.filter((f) => f.section === 'replay' && f.target === null).map((f) => f.name.split(' on ')[0])).toEqual(['harness alone (no-op bump model, for comparison)', 'harness alone (no-op bump model, for comparison)']);
    for (const f of doc.figures.filter((x) => x.section === 'replay' && x.target !== null)) expect(f.detail).toMatch(/of which the replayer alone takes ~\d+ ns/);
    expect(count('suite')).toBe(1);
    // Beside the ratios, real jemalloc's own native speed (no target), when its library is installed (.ci/run installs it).
    const comparison = doc.figures.filter((f) => f.section === 'native' && f.target === null);
    expect(comparison.map((f) => f.name.split(' on ')[0])).toEqual(r.stdout.includes('real jemalloc is not installed') ? [] : ['real jemalloc natively, touch full,', 'real jemalloc natively, touch none,']);
    // The native figures carry the native replay's CPU, user (the allocator's work) apart from system (page faults).
    for (const f of doc.figures.filter((x) => x.section === 'native')) expect(f.detail).toMatch(/the native replay's CPU: user \d+\.\d\d s \(\d+ ns per event[^)]*\), system \d+\.\d\d s/);
    for (const f of doc.figures) {
      expect(Number.isFinite(f.value) && f.value > 0).toBe(true);
      expect(r.stdout).toContain(`${f.name}: ${f.text}`);
    }
    expect(r.stdout).toMatch(/\d+ of 16 figures meet their targets/);
  }, 180_000);
});

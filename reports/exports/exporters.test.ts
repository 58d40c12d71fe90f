import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ResultFile } from '../../harness/result.ts';
import { toBencherMetricFormat, bencherExporter } from './bencher.ts';
import { checkBmf, checkGab } from './format-check.ts';
import { toGithubActionBenchmark, githubActionBenchmarkExporter } from './github-action-benchmark.ts';
import { findExporter } from './index.ts';

const load = (rel: string): unknown => JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'));
const result = (): ResultFile => load('../fixtures/result.json') as ResultFile;

describe('format checks', () => {
  it('accept the documented examples and reject broken ones', () => {
    expect(checkGab(load('./fixtures/gab-custom-smaller-is-better.json'))).toEqual([]);
    expect(checkBmf(load('./fixtures/bencher-bmf.json'))).toEqual([]);
    expect(checkGab([{ name: 'x', unit: 'MiB', value: '3' }])).toContain('[0].value: expected a finite number');
    expect(checkBmf({ b: { latency: { value: 1, lower_value: 2 } } })).toContain('b.latency: lower_value above value');
  });
});

describe('github-action-benchmark export', () => {
  it('writes customSmallerIsBetter entries for every run', () => {
    const r = result();
    r.runs[0]!.replay.samplesMs = [10, 12, 11];
    const doc = toGithubActionBenchmark(r);
    expect(checkGab(doc)).toEqual([]);
    expect(checkGab(JSON.parse(githubActionBenchmarkExporter.render(r)))).toEqual([]);
    const peak = doc.find((e) => e.name.startsWith('big-small-interleaving / jemalloc') && e.name.endsWith('peak RSS'))!;
    expect(peak.unit).toBe('MiB');
    expect(peak.value).toBeCloseTo(r.runs[3]!.peakRssBytes / 1048576, 3);
    const time = doc.find((e) => e.unit === 'ns/event')!;
    // median 11 ms over 300003 events = 36.666 ns/event; spread max(11-10, 12-11) ms = 3.333 ns/event
    expect(time.value).toBeCloseTo(36.666, 2);
    expect(time.range).toBe('± 3.333');
  });
});

describe('Bencher export', () => {
  it('writes BMF with exact memory figures and a latency range from samples', () => {
    const r = result();
    r.runs[0]!.replay.samplesMs = [10, 12, 11];
    const doc = toBencherMetricFormat(r);
    expect(checkBmf(doc)).toEqual([]);
    expect(checkBmf(JSON.parse(bencherExporter.render(r)))).toEqual([]);
    expect(Object.keys(doc)).toHaveLength(10);
    const first = Object.values(doc)[0]!;
    expect(first['peak-rss-bytes']!.value).toBe(r.runs[0]!.peakRssBytes);
    expect(first.latency!.lower_value).toBeCloseTo(33.333, 2);
    expect(first.latency!.upper_value).toBeCloseTo(40, 2);
  });

  it('is found by its --export prefix', () => {
    expect(findExporter('bmf')).toBe(bencherExporter);
    expect(findExporter('gab')).toBe(githubActionBenchmarkExporter);
    expect(findExporter('csv')).toBeUndefined();
  });
});

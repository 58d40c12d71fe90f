import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ResultFile } from '../harness/result.ts';
import { compareResults, type CompareOptions } from './compare.ts';
import { renderComparisonMarkdown } from './compare-markdown.ts';

const fixture = (): ResultFile => JSON.parse(readFileSync(new URL('./fixtures/result.json', import.meta.url), 'utf8'));
const options: CompareOptions = { threshold: 0.01, timeThreshold: 0.1 };

describe('compare', () => {
  it('finds nothing when a result is compared with itself', () => {
    const c = compareResults(fixture(), fixture(), options);
    expect(c.runs).toHaveLength(10);
    expect(c.regressions).toBe(0);
    expect(c.onlyBaseline).toEqual([]);
    expect(c.onlyCurrent).toEqual([]);
    expect(renderComparisonMarkdown(c, options)).toContain('No regression in 10 matched runs');
  });

  it('flags a memory figure worse past the threshold and lists smaller changes without flagging them', () => {
    const cur = fixture();
    cur.runs[3]!.peakRssBytes = Math.round(cur.runs[3]!.peakRssBytes * 1.05); // +5 %: regression
    cur.runs[4]!.finalRssBytes = Math.round(cur.runs[4]!.finalRssBytes * 1.005); // +0.5 %: listed only
    const c = compareResults(fixture(), cur, options);
    expect(c.regressions).toBe(1);
    const peak = c.runs[3]!.deltas.find((d) => d.figure === 'peak RSS')!;
    expect(peak.regression).toBe(true);
    expect(peak.relative).toBeCloseTo(0.05, 3);
    const fin = c.runs[4]!.deltas.find((d) => d.figure === 'final RSS')!;
    expect(fin.regression).toBe(false);
    expect(fin.relative).toBeGreaterThan(0);
    const md = renderComparisonMarkdown(c, options);
    expect(md).toContain('1 of 10 matched runs regressed');
    expect(md).toMatch(/peak RSS +\|.*\+5\.00 % \| ▲ worse +\| ❌ +\|/);
    expect(md).toMatch(/final RSS +\|.*\+0\.50 % \| ▲ worse +\| +\|$/m);
  });

  it('treats a better figure as no regression and a status change to oom as one', () => {
    const cur = fixture();
    cur.runs[0]!.peakRssBytes = Math.round(cur.runs[0]!.peakRssBytes * 0.5);
    cur.runs[1]!.status = 'oom';
    const c = compareResults(fixture(), cur, options);
    expect(c.runs[0]!.regression).toBe(false);
    expect(c.runs[1]!.regression).toBe(true);
    expect(c.regressions).toBe(1);
  });

  it('matches runs by trace name when the sha256 changed, and lists unmatched runs', () => {
    const cur = fixture();
    for (const r of cur.runs) if (r.trace.name === 'address-space-32bit') r.trace.sha256 = 'f'.repeat(64);
    cur.runs.pop();
    const c = compareResults(fixture(), cur, options);
    expect(c.runs).toHaveLength(9);
    expect(c.onlyBaseline).toHaveLength(1);
    expect(c.onlyBaseline[0]).toContain('obmalloc-arenafree');
  });

  it('needs both a slowdown past the time threshold and a significant test for a timing regression', () => {
    const slowSamples = Array.from({ length: 30 }, (_, i) => 120 + (i % 5));
    const fastSamples = Array.from({ length: 30 }, (_, i) => 100 + (i % 5));
    const base = fixture();
    const cur = fixture();
    base.runs[0]!.replay = { events: 1000, seconds: 0.1, eventsPerSecond: 10_000, samplesMs: fastSamples };
    cur.runs[0]!.replay = { events: 1000, seconds: 0.12, eventsPerSecond: 8_200, samplesMs: slowSamples };
    const c = compareResults(base, cur, options);
    const t = c.runs[0]!.deltas.find((d) => d.unit === 'events/s')!;
    expect(t.test!.pValue).toBeLessThan(0.01);
    expect(t.regression).toBe(true);
    // Same slowdown ratio but noisy overlapping samples: not significant, no regression.
    const noisyA = Array.from({ length: 6 }, (_, i) => [60, 160, 90, 130, 70, 150][i]!);
    const noisyB = Array.from({ length: 6 }, (_, i) => [70, 170, 100, 140, 80, 160][i]!);
    base.runs[0]!.replay.samplesMs = noisyA;
    cur.runs[0]!.replay.samplesMs = noisyB;
    const c2 = compareResults(base, cur, options);
    const t2 = c2.runs[0]!.deltas.find((d) => d.unit === 'events/s')!;
    expect(t2.test!.pValue).toBeGreaterThan(0.05);
    expect(t2.regression).toBe(false);
    // Deterministic p-value.
    expect(compareResults(base, cur, options).runs[0]!.deltas.at(-1)!.test!.pValue).toBe(t2.test!.pValue);
  });

  it('escapes untrusted trace names in the report', () => {
    const base = fixture();
    const cur = fixture();
    for (const f of [base, cur]) f.runs[0]!.trace.name = '<img src=x>|evil';
    cur.runs[0]!.peakRssBytes *= 2;
    const md = renderComparisonMarkdown(compareResults(base, cur, options), options);
    expect(md).not.toContain('<img');
    expect(md).toContain('&lt;img src=x&gt;\\|evil');
  });
});

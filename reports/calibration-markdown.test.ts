import { describe, expect, it } from 'vitest';
import { compareRss, type CalibrationResult, type CalibrationTrace, type PointComparison } from '../harness/calibrate.ts';
import { formatSignedBytes, formatSignedPct, renderCalibrationMarkdown, renderCalibrationTerminal, summaryTable, traceTable, worstTable } from './calibration-markdown.ts';

const MiB = 1024 * 1024;

function point(p: string, model: number, real: number, kind: PointComparison['kind'] = 'mark'): PointComparison {
  return { point: p, kind, event: kind === 'mark' ? 1 : null, ...compareRss(model, real) };
}

const sawtooth: CalibrationTrace = {
  name: 'saw|tooth',
  path: 'traces/sawtooth.csv.gz',
  sha256: 'ab'.repeat(32),
  events: 635043,
  skipped: null,
  note: null,
  pairs: [
    {
      model: 'glibc@2.35',
      real: 'glibc (real)@2.36',
      modelStatus: 'ok',
      realStatus: 'ok',
      realSeconds: 0.5,
      realRuns: 1,
      points: [point('Peak *1*', 100 * MiB, 100 * MiB + 64 * 1024), point('peak', 100 * MiB, 100 * MiB, 'peak'), point('final', 50 * MiB, 40 * MiB, 'final')],
    },
    {
      model: 'jemalloc@5.3',
      real: 'jemalloc (real)@5.3.0',
      modelStatus: 'ok',
      realStatus: 'alloc-failed',
      realSeconds: 0.25,
      realRuns: 1,
      points: [point('Peak *1*', 120 * MiB, 100 * MiB), point('peak', 0, 0, 'peak'), point('final', 4096, 0, 'final')],
    },
  ],
};

const skipped: CalibrationTrace = { name: 'address-space-32bit', path: 'x.csv.gz', sha256: 'cd'.repeat(32), events: 0, skipped: 'needs a 32-bit process', note: null, pairs: [] };

const result: CalibrationResult = {
  schema: 'heapreplay-calibration/1',
  tool: { name: 'heapreplay', version: '0.1.0', commit: null },
  createdAt: '2025-01-01T00:00:00.000Z',
  options: { models: ['glibc@2.35', 'jemalloc@5.3'], touch: 'full', idleMs: 0, tickNs: 0, realRuns: 1, lenient: false, params: [], env: {} },
  traces: [skipped, sawtooth],
  worst: [
    { model: 'glibc', marks: 1, byPct: { model: 'glibc@2.35', trace: 'saw|tooth', point: 'Peak *1*', comparison: compareRss(100 * MiB, 100 * MiB + 64 * 1024) }, byBytes: null, byOutside: null },
    { model: 'jemalloc', marks: 1, byPct: null, byBytes: { model: 'jemalloc@5.3', trace: 'saw|tooth', point: 'Peak *1*', comparison: compareRss(120 * MiB, 100 * MiB) }, byOutside: null },
  ],
  runs: [],
};

describe('several real runs', () => {
  it('shows the median, the real range and how far outside it the model lies', () => {
    const spreadTrace: CalibrationTrace = {
      ...sawtooth,
      pairs: [
        {
          ...sawtooth.pairs[1]!,
          realRuns: 3,
          points: [{ ...point('Trough 7', 208 * MiB, 188 * MiB), spread: { runs: 3, realMinBytes: 188 * MiB, realMaxBytes: 201 * MiB, outsideBytes: 7 * MiB } }],
        },
      ],
    };
    const t = traceTable(spreadTrace, (s) => s);
    expect(t.columns.map((c) => c.header)).toEqual(['model', 'point', 'model RSS', 'real RSS (median)', 'error', 'error %', 'real min–max', 'outside']);
    expect(t.rows[0]).toEqual(['jemalloc@5.3', 'Trough 7', '208 MiB', '188 MiB', '+20 MiB', '+10.6 %', '188 MiB–201 MiB', '+7 MiB']);
    const worst = worstTable(
      [{ model: 'jemalloc', marks: 1, byPct: null, byBytes: null, byOutside: { model: 'jemalloc@5.3', trace: 'sawtooth', point: 'Trough 7', comparison: compareRss(208 * MiB, 188 * MiB), outsideBytes: 7 * MiB, spread: spreadTrace.pairs[0]!.points[0]!.spread! } }],
      (s) => s,
      true,
    );
    expect(worst.rows[0]!.slice(6)).toEqual(['+7 MiB (208 MiB vs 188 MiB–201 MiB)', 'sawtooth, Trough 7']);
    const md = renderCalibrationMarkdown({ ...result, options: { ...result.options, realRuns: 3 }, traces: [spreadTrace] });
    expect(md).toContain('replayed every trace 3 times');
    expect(md).toContain('farthest outside the real spread');
  });
});

describe('signed formatting', () => {
  it('signs bytes and percentages, two decimals below 1 %', () => {
    expect(formatSignedBytes(20 * MiB)).toBe('+20 MiB');
    expect(formatSignedBytes(-64 * 1024)).toBe('-64 KiB');
    expect(formatSignedBytes(0)).toBe('0 B');
    expect(formatSignedPct(20)).toBe('+20.0 %');
    // 64 KiB of 100.0625 MiB = 0.0625 % → two decimals
    expect(formatSignedPct(compareRss(100 * MiB, 100 * MiB + 64 * 1024).errorPct)).toBe('-0.06 %');
    expect(formatSignedPct(0.001)).toBe('0.00 %');
    expect(formatSignedPct(null)).toBe('n/a');
  });
});

describe('calibration tables', () => {
  it('has one row per point per model, with model − real', () => {
    const t = traceTable(sawtooth, (s) => s);
    expect(t.columns.map((c) => c.header)).toEqual(['model', 'point', 'model RSS', 'real RSS', 'error', 'error %']);
    expect(t.rows).toHaveLength(6);
    expect(t.rows[0]).toEqual(['glibc@2.35', 'Peak *1*', '100 MiB', '100 MiB', '-64 KiB', '-0.06 %']);
    expect(t.rows[2]).toEqual(['glibc@2.35', '(final)', '50 MiB', '40 MiB', '+10 MiB', '+25.0 %']);
    expect(t.rows[3]).toEqual(['jemalloc@5.3', 'Peak *1*', '120 MiB', '100 MiB', '+20 MiB', '+20.0 %']);
    // real RSS 0 and model 4 KiB: no percentage
    expect(t.rows[5]!.slice(4)).toEqual(['+4 KiB', 'n/a']);
  });

  it('summarises each trace and model by its largest mark error, and marks skipped traces', () => {
    const t = summaryTable(result.traces, (s) => s);
    expect(t.rows[0]).toEqual(['address-space-32bit', 'all', 'skipped', '', '', '']);
    expect(t.rows[1]![3]).toBe('-0.06 % (-64 KiB) at Peak *1*');
    expect(t.rows[1]![5]).toBe('+25.0 % (+10 MiB)');
    expect(t.rows[2]![3]).toBe('+20.0 % (+20 MiB) at Peak *1*');
  });

  it('gives each model its worst line', () => {
    const t = worstTable(result.worst, (s) => s);
    expect(t.rows).toEqual([
      ['glibc', '1', '-0.06 % (-64 KiB; 100 MiB vs 100 MiB)', 'saw|tooth, Peak *1*', 'n/a', ''],
      ['jemalloc', '1', 'n/a', '', '+20.0 % (+20 MiB; 120 MiB vs 100 MiB)', 'saw|tooth, Peak *1*'],
    ]);
  });
});

describe('renderCalibrationMarkdown', () => {
  const md = renderCalibrationMarkdown(result);

  it('escapes names and labels taken from traces', () => {
    expect(md).toContain('saw\\|tooth');
    expect(md).toContain('Peak \\*1\\*');
    expect(md).not.toMatch(/\| saw\|tooth/);
    // every table row of a section has the same number of unescaped cell separators
    const rows = md.split('\n').filter((l) => l.startsWith('| '));
    for (const row of rows) expect(row.endsWith(' |')).toBe(true);
  });

  it('says why a trace was skipped, and names a run that stopped early', () => {
    expect(md).toContain('Skipped: needs a 32-bit process.');
    expect(md).toContain('jemalloc (real)@5.3.0 stopped early (alloc-failed)');
    expect(md).toContain('### saw\\|tooth');
    expect(md).toContain('635,043 events replayed');
    expect(md).toContain('glibc (real)@2.36 0.50 s, jemalloc (real)@5.3.0 0.25 s');
  });

  it('is the same bytes for the same result', () => {
    expect(renderCalibrationMarkdown(structuredClone(result))).toBe(md);
  });

  it('has a terminal form without markdown escapes', () => {
    const text = renderCalibrationTerminal(result);
    expect(text).toContain('saw|tooth, Peak *1*');
    expect(text).toContain('address-space-32bit skipped: needs a 32-bit process');
  });
});

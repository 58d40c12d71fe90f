import { describe, expect, it } from 'vitest';
import { buildChartData, resampleMax, type ChartSeries } from './chart-data.ts';
import { smallResult, smallRun } from './fixtures/small-result.ts';
import { groupByTrace } from './runs.ts';
import { MERMAID_POINTS, niceCeiling, renderMermaidChart } from './mermaid.ts';

const MiB = 1024 * 1024;

function series(events: number[], values: number[], stoppedAt: number | null = null): ChartSeries {
  return { label: 's', color: { hex: '#000000', name: 'black' }, events, values, stoppedAt, stopNote: null, dashed: false };
}

describe('resampleMax', () => {
  it('keeps the maximum of each slice and holds the level between points', () => {
    // events 0..9 in 5 slices of 2: [0,1] [2,3] [4,5] [6,7] [8,9]
    const s = series([0, 3, 4, 9], [10, 50, 20, 5]);
    expect(resampleMax(s, 9, 5)).toEqual([10, 50, 20, 20, 20]);
    // the last point (event 9) is inside slice [8,9]: max(level 20, 5) = 20
  });
  it('keeps a one-event spike that falls between sample positions', () => {
    const s = series([0, 57, 58, 99], [1, 100, 1, 1]);
    const out = resampleMax(s, 99, 10);
    expect(Math.max(...(out as number[]))).toBe(100);
  });
  it('leaves slices after a failed run stopped empty', () => {
    const s = series([0, 4], [7, 8], 4);
    expect(resampleMax(s, 9, 5)).toEqual([7, 7, 8, null, null]);
  });
});

describe('niceCeiling', () => {
  it('rounds the axis top up to a round number', () => {
    expect(niceCeiling(2048)).toBe(2500);
    expect(niceCeiling(496)).toBe(500);
    expect(niceCeiling(11.6)).toBe(12);
    expect(niceCeiling(0)).toBe(1);
  });
});

describe('mermaid xychart', () => {
  const result = smallResult([smallRun('glibc', '2.35', 7 * MiB), smallRun('jemalloc', '5.3', 2 * MiB)]);
  const group = groupByTrace(result)[0]!;
  const text = renderMermaidChart(buildChartData(group.trace.name, group.runs, group.labels));

  it('has the xychart-beta shape: front matter, quoted title, numeric x axis, one line per series', () => {
    const lines = text.split('\n');
    expect(lines[0]).toBe('```mermaid');
    expect(lines.slice(1, 7)).toEqual(['---', 'config:', '  themeVariables:', '    xyChart:', '      plotColorPalette: "#1f77b4, #ff7f0e, #7f7f7f"', '---']);
    expect(lines[7]).toBe('xychart-beta');
    expect(lines[8]).toBe('    title "RSS over time: tiny"');
    expect(lines[9]).toBe('    x-axis "event" 0 --> 9');
    // peak 8 MiB → axis top 8; values below 10 MiB get 2 decimals (none needed here)
    expect(lines[10]).toBe('    y-axis "RSS (MiB)" 0 --> 8');
    // 10 events → 10 slices of one event; timeline points at 0, 4, 9 with the level held between.
    expect(lines[11]).toBe('    line [1, 1, 1, 1, 8, 8, 8, 8, 8, 7]');
    expect(lines[12]).toBe('    line [1, 1, 1, 1, 8, 8, 8, 8, 8, 2]');
    expect(lines[13]).toBe('    line [0, 0, 0, 0, 4, 4, 4, 4, 4, 1]');
    expect(lines[14]).toBe('```');
    expect(lines[16]).toBe(
      'Line 1 (blue) = glibc@2.35 · line 2 (orange) = jemalloc@5.3 · line 3 (grey) = live bytes; y in MiB, x = event index, at most 100 points per line (maximum of each slice).',
    );
  });

  it('never has more than MERMAID_POINTS values per line', () => {
    const run = smallRun('glibc', '2.35', MiB);
    run.trace.events = 1_000_000;
    run.timeline = { event: [0, 999_999], timeNs: [0, 1], liveBytes: [0, 0], rssBytes: [MiB, MiB], mappedBytes: [MiB, MiB] };
    const g = groupByTrace(smallResult([run]))[0]!;
    const out = renderMermaidChart(buildChartData('big', g.runs, g.labels));
    for (const line of out.split('\n').filter((l) => l.startsWith('    line ['))) {
      expect(line.split(',')).toHaveLength(MERMAID_POINTS);
    }
  });

  it('cannot be broken by a hostile trace name or model label', () => {
    const run = smallRun('glibc', '2.35', MiB, { trace: '<script>|x"\n```' });
    run.model.name = 'evil"`<b>';
    const g = groupByTrace(smallResult([run]))[0]!;
    const out = renderMermaidChart(buildChartData(g.trace.name, g.runs, g.labels));
    const block = out.slice(0, out.indexOf('\n```\n') + 4);
    // exactly one fence pair, and the title line keeps one quoted string
    expect(block.match(/```/g)).toHaveLength(2);
    const title = block.split('\n').find((l) => l.startsWith('    title '))!;
    expect(title).toBe('    title "RSS over time: _script__x_ ___"');
    expect(out).not.toContain('<');
    expect(out).toContain('evil"\\`&lt;b&gt;@2.35');
  });
});

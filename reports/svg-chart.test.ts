import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ResultFile } from '../harness/result.ts';
import { buildChartData, type ChartSeries } from './chart-data.ts';
import { smallResult, smallRun } from './fixtures/small-result.ts';
import { checkXml } from './fixtures/xml-check.ts';
import { groupByTrace } from './runs.ts';
import { byteAxisStep, eventAxisStep, formatEventTick, reduceToPixels, renderSvgChart } from './svg-chart.ts';

const MiB = 1024 * 1024;
const fixture = JSON.parse(readFileSync(new URL('./fixtures/result.json', import.meta.url), 'utf8')) as ResultFile;

function chartOf(result: ResultFile, index = 0): string {
  const g = groupByTrace(result)[index]!;
  return renderSvgChart(buildChartData(g.trace.name, g.runs, g.labels));
}

describe('SVG chart', () => {
  it('is well-formed XML with one polyline per run plus live bytes and one line per mark', () => {
    for (const [i, runs, marks] of [
      [0, 6, 3],
      [1, 4, 3],
    ] as const) {
      const svg = chartOf(fixture, i);
      const elements = checkXml(svg);
      expect(elements[0]).toBe('svg');
      expect(elements.filter((e) => e === 'polyline')).toHaveLength(runs + 1);
      expect(svg.match(/<line [^>]*stroke-dasharray="3 3"/g)).toHaveLength(marks);
    }
  });

  it('marks where failed runs stopped', () => {
    const svg = chartOf(fixture, 1);
    expect(svg).toContain('>OOM</text>');
    expect(svg).toContain('>malloc failed</text>');
    expect(svg).toContain('glibc@2.35 (stopped at event 9,123)');
  });

  it('has y ticks in binary units and x ticks in events', () => {
    // peak 8 MiB: a 1 MiB step gives 8 steps (> 6), 2 MiB gives 4 → 0 B, 2, 4, 6, 8 MiB.
    // 10 events, last 9: step 1 gives 9 steps (> 8), 2 gives 5 → 0, 2, 4, 6, 8.
    const svg = chartOf(smallResult([smallRun('glibc', '2.35', 7 * MiB)]));
    const yLabels = [...svg.matchAll(/<text x="78" y="[\d.]+">([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(yLabels).toEqual(['0 B', '2 MiB', '4 MiB', '6 MiB', '8 MiB']);
    const xBlock = svg.slice(svg.indexOf('<g class="x-labels"'), svg.indexOf('</g>', svg.indexOf('<g class="x-labels"')));
    expect([...xBlock.matchAll(/>([^<]+)<\/text>/g)].map((m) => m[1])).toEqual(['0', '2', '4', '6', '8']);
  });

  it('is deterministic: same data, same bytes, coordinates with one decimal', () => {
    const a = chartOf(fixture, 0);
    expect(chartOf(JSON.parse(JSON.stringify(fixture)) as ResultFile, 0)).toBe(a);
    const numbers = [...a.matchAll(/ (?:x|y|x1|y1|x2|y2|points|d)="([^"]*)"/g)].flatMap((m) => m[1]!.match(/-?\d+(?:\.\d+)?/g) ?? []);
    expect(numbers.length).toBeGreaterThan(1000);
    expect(numbers.filter((n) => /\.\d{2,}/.test(n))).toEqual([]);
  });

  it('escapes hostile labels', () => {
    const run = smallRun('glibc', '2.35', MiB, { trace: '<script>|x', mark: '"><script>alert(1)</script>' });
    const svg = chartOf(smallResult([run]));
    expect(() => checkXml(svg)).not.toThrow();
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;|x');
  });
});

describe('axis helpers', () => {
  it('picks power-of-two byte steps and 1/2/5 event steps', () => {
    expect(byteAxisStep(496 * MiB)).toBe(128 * MiB); // 496/64 = 7.75 → 8 steps > 6; 128 → 4
    expect(byteAxisStep(2 * 1024 * MiB + 12288)).toBe(512 * MiB); // just over 2 GiB: 5 steps of 512 MiB
    expect(eventAxisStep(300002)).toBe(50000); // 20000 → 16 steps, 50000 → 7
    expect(formatEventTick(250000)).toBe('250k');
    expect(formatEventTick(1_200_000)).toBe('1.2M');
    expect(formatEventTick(500)).toBe('500');
  });

  it('reduces a series per pixel column but keeps spikes and the last point', () => {
    const s: ChartSeries = {
      label: 's',
      color: { hex: '#000000', name: 'black' },
      events: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      values: [1, 1, 9, 1, 1, 1, 0, 1, 1, 5],
      stoppedAt: null,
      stopNote: null,
      dashed: false,
    };
    // everything maps to two columns: events 0..4 → 0, 5..9 → 1
    const pts = reduceToPixels(s, (e) => (e < 5 ? 0 : 1));
    expect(pts).toEqual([
      [0, 1],
      [2, 9],
      [6, 0],
      [9, 5],
    ]);
  });
});

// RSS over time as a mermaid `xychart-beta`, which GitHub renders inline. The
// chart type has no legend, so the colours are pinned in the front matter and a
// text legend under the block says which line is which.
import { type ChartData, resampleMax } from './chart-data.ts';
import { escapeMarkdown, escapeMermaid } from './escape.ts';
import { formatCount } from './format.ts';

const MIB = 1024 * 1024;
/** Points per line: enough for the shape, few enough for a readable block. */
export const MERMAID_POINTS = 100;

/** The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k) at or above `v`, for the y-axis top. */
export function niceCeiling(v: number): number {
  if (!(v > 0)) return 1;
  const exp = Math.floor(Math.log10(v));
  for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    const candidate = step * 10 ** exp;
    if (candidate >= v - 1e-9) return Number(candidate.toPrecision(12));
  }
  return 10 ** (exp + 1);
}

function decimalsFor(maxMiB: number): number {
  return maxMiB >= 100 ? 0 : maxMiB >= 10 ? 1 : 2;
}

/** The fenced mermaid block and, under it, the text legend (markdown). */
export function renderMermaidChart(data: ChartData): string {
  const lines = data.series.map((s) => resampleMax(s, data.lastEvent, MERMAID_POINTS));
  let max = 0;
  for (const values of lines) for (const v of values) if (v !== null && v > max) max = v;
  const maxMiB = max / MIB;
  const digits = decimalsFor(maxMiB);
  // A line cannot have gaps: before its first point and after a run stopped (the process is gone) it is 0.
  const format = (v: number | null): string => (v === null ? '0' : String(Number((v / MIB).toFixed(digits))));
  const out: string[] = [
    '```mermaid',
    '---',
    'config:',
    '  themeVariables:',
    '    xyChart:',
    `      plotColorPalette: "${data.series.map((s) => s.color.hex).join(', ')}"`,
    '---',
    'xychart-beta',
    `    title "${escapeMermaid(data.title)}"`,
    `    x-axis "event" 0 --> ${data.lastEvent}`,
    `    y-axis "RSS (MiB)" 0 --> ${niceCeiling(maxMiB)}`,
  ];
  for (const values of lines) out.push(`    line [${values.map(format).join(', ')}]`);
  out.push('```');
  const legend = data.series.map((s, i) => {
    const stopped = s.stoppedAt === null ? '' : ` (stops at event ${formatCount(s.stoppedAt)}, then 0)`;
    return `line ${i + 1} (${s.color.name}) = ${escapeMarkdown(s.label)}${stopped}`;
  });
  return `${out.join('\n')}\n\n${capitalise(legend.join(' · '))}; y in MiB, x = event index, at most ${MERMAID_POINTS} points per line (maximum of each slice).`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// RSS over time as a standalone SVG file, for offline reading and CI
// artifacts: axes with ticks in human units, one polyline per run plus live
// bytes, marks as labelled vertical lines, and a legend. Output is a pure
// function of the data (fixed number formatting, no timestamps).
import type { ChartData, ChartSeries } from './chart-data.ts';
import { escapeXml } from './escape.ts';
import { formatBytes, formatCount } from './format.ts';

const WIDTH = 880;
const PLOT_LEFT = 84;
const PLOT_RIGHT = WIDTH - 24;
const PLOT_HEIGHT = 300;
const TITLE_HEIGHT = 34;
const MARK_ROW_HEIGHT = 14;
const MAX_MARK_ROWS = 4;
const LEGEND_ROW_HEIGHT = 18;
/** Rough glyph width of the 11–12 px sans-serif used, to lay out labels without measuring text. */
const CHAR_WIDTH = 6.6;

function fixed(v: number): string {
  return v.toFixed(1);
}

/** Y-axis step: a power of two times a binary unit, so ticks read 128 MiB, 256 MiB... with at most 6 steps. */
export function byteAxisStep(max: number): number {
  let step = 1;
  while (Math.ceil(max / step) > 6) step *= 2;
  return step;
}

/** X-axis step: 1/2/5 × 10^k events with at most 8 steps. */
export function eventAxisStep(last: number): number {
  for (let pow = 1; ; pow *= 10) {
    for (const m of [1, 2, 5]) if (Math.ceil(last / (m * pow)) <= 8) return m * pow;
  }
}

/** 1_200_000 → "1.2M", 250_000 → "250k": short tick labels. */
export function formatEventTick(n: number): string {
  if (n >= 1e6) return `${Number((n / 1e6).toFixed(2))}M`;
  if (n >= 1e3) return `${Number((n / 1e3).toFixed(1))}k`;
  return String(n);
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * Points of a series reduced to what the plot can show: per pixel column its
 * lowest and highest point in the order they occur, so spikes and drops stay.
 */
export function reduceToPixels(series: ChartSeries, toX: (event: number) => number): [number, number][] {
  const out: [number, number][] = [];
  const { events, values } = series;
  let col = Number.NaN;
  let lo = -1;
  let hi = -1;
  const flush = (): void => {
    if (lo < 0) return;
    const [a, b] = lo <= hi ? [lo, hi] : [hi, lo];
    out.push([events[a]!, values[a]!]);
    if (b !== a) out.push([events[b]!, values[b]!]);
  };
  for (let i = 0; i < events.length; i++) {
    const c = Math.round(toX(events[i]!));
    if (c !== col) {
      flush();
      col = c;
      lo = hi = i;
    } else {
      if (values[i]! < values[lo]!) lo = i;
      if (values[i]! > values[hi]!) hi = i;
    }
  }
  flush();
  const last = events.length - 1;
  if (last >= 0 && (out.length === 0 || out[out.length - 1]![0] !== events[last])) out.push([events[last]!, values[last]!]);
  return out;
}

/** Assign each mark label to the first row where it does not overlap the previous label. */
function layoutMarkLabels(xs: readonly number[], widths: readonly number[]): number[] {
  const rowEnds: number[] = [];
  return xs.map((x, i) => {
    let row = rowEnds.findIndex((end) => end + 6 <= x);
    if (row < 0) row = rowEnds.length < MAX_MARK_ROWS ? rowEnds.length : rowEnds.indexOf(Math.min(...rowEnds));
    rowEnds[row] = x + widths[i]!;
    return row;
  });
}

export function renderSvgChart(data: ChartData): string {
  let maxValue = 0;
  for (const s of data.series) for (const v of s.values) if (v > maxValue) maxValue = v;
  const yStep = byteAxisStep(maxValue);
  const yMax = Math.max(1, Math.ceil(maxValue / yStep)) * yStep;
  const xLast = Math.max(1, data.lastEvent);
  const xStep = eventAxisStep(xLast);

  const markTexts = data.marks.map((m) => truncate(m.label, 28));
  const plotWidth = PLOT_RIGHT - PLOT_LEFT;
  const toX = (event: number): number => PLOT_LEFT + (event / xLast) * plotWidth;
  const markXs = data.marks.map((m) => toX(m.event));
  const labelWidths = markTexts.map((t) => [...t].length * CHAR_WIDTH);
  // Layout works on the span each label covers, wherever its anchor puts it.
  const labelStarts = markXs.map((x, i) => (x + labelWidths[i]! <= WIDTH - 4 ? x : x - labelWidths[i]!));
  const markRows = layoutMarkLabels(labelStarts, labelWidths);
  const rowsUsed = markRows.length > 0 ? Math.max(...markRows) + 1 : 0;
  const plotTop = TITLE_HEIGHT + rowsUsed * MARK_ROW_HEIGHT + 8;
  const plotBottom = plotTop + PLOT_HEIGHT;
  const toY = (v: number): number => plotBottom - (v / yMax) * PLOT_HEIGHT;

  // Legend entries flow left to right and wrap.
  const legendTop = plotBottom + 52;
  const legend: { x: number; y: number; s: ChartSeries; text: string }[] = [];
  let lx = PLOT_LEFT;
  let ly = legendTop;
  for (const s of data.series) {
    const text = truncate(s.stoppedAt === null ? s.label : `${s.label} (stopped at event ${formatCount(s.stoppedAt)})`, 70);
    const w = 30 + [...text].length * CHAR_WIDTH + 18;
    if (lx + w > PLOT_RIGHT && lx > PLOT_LEFT) {
      lx = PLOT_LEFT;
      ly += LEGEND_ROW_HEIGHT;
    }
    legend.push({ x: lx, y: ly, s, text });
    lx += w;
  }
  const height = ly + LEGEND_ROW_HEIGHT;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(data.title)}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(data.title)}</title>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(truncate(data.title, 110))}</text>`,
  );

  // Grid and y ticks.
  out.push('<g class="y-axis" stroke="#e0e0e0">');
  for (let v = 0; v <= yMax; v += yStep) out.push(`<line x1="${PLOT_LEFT}" y1="${fixed(toY(v))}" x2="${PLOT_RIGHT}" y2="${fixed(toY(v))}"/>`);
  out.push('</g>', '<g class="y-labels" text-anchor="end" fill="#333333">');
  for (let v = 0; v <= yMax; v += yStep) out.push(`<text x="${PLOT_LEFT - 6}" y="${fixed(toY(v) + 4)}">${escapeXml(formatBytes(v))}</text>`);
  out.push('</g>');
  out.push(`<text x="16" y="${fixed((plotTop + plotBottom) / 2)}" text-anchor="middle" transform="rotate(-90 16 ${fixed((plotTop + plotBottom) / 2)})" fill="#333333">RSS</text>`);

  // X ticks.
  out.push('<g class="x-labels" text-anchor="middle" fill="#333333">');
  for (let e = 0; e <= xLast; e += xStep) {
    out.push(`<line x1="${fixed(toX(e))}" y1="${plotBottom}" x2="${fixed(toX(e))}" y2="${plotBottom + 5}" stroke="#333333"/>`);
    out.push(`<text x="${fixed(toX(e))}" y="${plotBottom + 19}">${escapeXml(formatEventTick(e))}</text>`);
  }
  out.push('</g>');
  out.push(`<text x="${fixed((PLOT_LEFT + PLOT_RIGHT) / 2)}" y="${plotBottom + 38}" text-anchor="middle" fill="#333333">event index</text>`);

  // Axes.
  out.push(`<path d="M${PLOT_LEFT} ${plotTop}V${plotBottom}H${PLOT_RIGHT}" fill="none" stroke="#333333"/>`);

  // Marks.
  out.push('<g class="marks" font-size="11" fill="#444444">');
  data.marks.forEach((m, i) => {
    const x = fixed(markXs[i]!);
    const labelY = TITLE_HEIGHT + markRows[i]! * MARK_ROW_HEIGHT + 10;
    // A label that would run off the right edge is set to the left of its line.
    const fitsRight = markXs[i]! + labelWidths[i]! <= WIDTH - 4;
    const anchor = fitsRight ? ' dx="2"' : ' dx="-2" text-anchor="end"';
    out.push(`<line x1="${x}" y1="${labelY + 3}" x2="${x}" y2="${plotBottom}" stroke="#888888" stroke-dasharray="3 3"/>`);
    out.push(`<text x="${x}" y="${labelY}"${anchor}>${escapeXml(markTexts[i]!)}</text>`);
  });
  out.push('</g>');

  // Series.
  out.push('<g class="series" fill="none" stroke-width="1.6" stroke-linejoin="round">');
  // Runs that stop at the same point (same failure in several models) get one note, not a smudge of overlapping ones.
  const notesAt = new Set<string>();
  for (const s of data.series) {
    const points = reduceToPixels(s, toX);
    if (points.length === 0) continue;
    const dash = s.dashed ? ' stroke-dasharray="6 3"' : '';
    out.push(`<polyline stroke="${s.color.hex}"${dash} points="${points.map(([e, v]) => `${fixed(toX(e))},${fixed(toY(v))}`).join(' ')}"/>`);
    if (s.stoppedAt !== null) {
      const [e, v] = points[points.length - 1]!;
      const x = toX(e);
      const y = toY(v);
      out.push(`<path d="M${fixed(x - 5)} ${fixed(y - 5)}L${fixed(x + 5)} ${fixed(y + 5)}M${fixed(x - 5)} ${fixed(y + 5)}L${fixed(x + 5)} ${fixed(y - 5)}" stroke="${s.color.hex}" stroke-width="2"/>`);
      const at = `${fixed(x)},${fixed(y)}`;
      if (s.stopNote && !notesAt.has(at)) {
        notesAt.add(at);
        const halfWidth = ([...s.stopNote].length * CHAR_WIDTH) / 2;
        const anchor = x + halfWidth > WIDTH - 4 ? ' text-anchor="end"' : ' text-anchor="middle"';
        out.push(`<text x="${fixed(x)}" y="${fixed(y - 9)}"${anchor} fill="${s.color.hex}" stroke="none" font-size="11">${escapeXml(s.stopNote)}</text>`);
      }
    }
  }
  out.push('</g>');

  // Legend.
  out.push('<g class="legend" fill="#222222">');
  for (const item of legend) {
    const dash = item.s.dashed ? ' stroke-dasharray="6 3"' : '';
    out.push(`<line x1="${fixed(item.x)}" y1="${item.y - 4}" x2="${fixed(item.x + 24)}" y2="${item.y - 4}" stroke="${item.s.color.hex}" stroke-width="3"${dash}/>`);
    out.push(`<text x="${fixed(item.x + 30)}" y="${item.y}">${escapeXml(item.text)}</text>`);
  }
  out.push('</g>', '</svg>', '');
  return out.join('\n');
}

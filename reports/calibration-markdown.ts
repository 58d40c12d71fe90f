// Renders a calibration (harness/calibrate.ts) as markdown: how far each model
// is from the real allocator it imitates, worst case first, then every mark of
// every trace. Error is model − real: positive means the model claims more
// resident memory than the real allocator holds.
import type { CalibrationPair, CalibrationResult, CalibrationTrace, ModelWorst, PointComparison, WorstError } from '../harness/calibrate.ts';
import { escapeMarkdown, escapeTerminal, markdownCode } from './escape.ts';
import { formatBytes, formatCount } from './format.ts';
import { markdownTableStyle, renderTable, terminalTableStyle, type Column, type Table } from './table.ts';

/** Signed bytes: "+1.5 MiB", "-132 KiB", "0 B". */
export function formatSignedBytes(bytes: number): string {
  if (bytes === 0) return '0 B';
  return `${bytes > 0 ? '+' : '-'}${formatBytes(Math.abs(bytes))}`;
}

/** Signed percentage, two decimals below 1 % and one above: "+0.04 %", "-74.0 %"; null (real RSS 0) → "n/a". */
export function formatSignedPct(pct: number | null): string {
  if (pct === null) return 'n/a';
  const text = Math.abs(pct).toFixed(Math.abs(pct) < 1 ? 2 : 1);
  if (Number(text) === 0) return '0.00 %';
  return `${pct > 0 ? '+' : '-'}${text} %`;
}

type Escape = (text: string) => string;

const right = (header: string): Column => ({ header, align: 'right' });
const left = (header: string): Column => ({ header, align: 'left' });

function worstCell(w: WorstError | null, esc: Escape): { value: string; where: string } {
  if (!w) return { value: 'n/a', where: '' };
  const c = w.comparison;
  return {
    value: `${formatSignedPct(c.errorPct)} (${formatSignedBytes(c.errorBytes)}; ${formatBytes(c.modelBytes)} vs ${formatBytes(c.realBytes)})`,
    where: `${esc(w.trace)}, ${esc(w.point)}`,
  };
}

function outsideCell(w: WorstError | null, esc: Escape): { value: string; where: string } {
  if (!w || w.outsideBytes === undefined || !w.spread) return { value: 'none: every mark within', where: '' };
  return {
    value: `${formatSignedBytes(w.outsideBytes)} (${formatBytes(w.comparison.modelBytes)} vs ${formatBytes(w.spread.realMinBytes)}–${formatBytes(w.spread.realMaxBytes)})`,
    where: `${esc(w.trace)}, ${esc(w.point)}`,
  };
}

/**
 * One row per model: its worst mark by |%| and by |bytes| over every trace,
 * and, when the real allocators ran several times, the mark where the model
 * lies farthest outside what the real runs spanned.
 */
export function worstTable(worst: readonly ModelWorst[], esc: Escape, withSpread = false): Table {
  const columns = [left('model'), right('marks'), right('largest error by %'), left('at'), right('largest error by bytes'), left('at')];
  if (withSpread) columns.push(right('farthest outside the real spread'), left('at'));
  return {
    columns,
    rows: worst.map((w) => {
      const pct = worstCell(w.byPct, esc);
      const bytes = worstCell(w.byBytes, esc);
      const row = [esc(w.model), formatCount(w.marks), pct.value, pct.where, bytes.value, bytes.where];
      if (withSpread) {
        const outside = outsideCell(w.byOutside, esc);
        row.push(outside.value, outside.where);
      }
      return row;
    }),
  };
}

function largestMarkError(pair: CalibrationPair): PointComparison | null {
  let worst: PointComparison | null = null;
  for (const p of pair.points) {
    if (p.kind !== 'mark') continue;
    if (worst === null || Math.abs(p.errorBytes) > Math.abs(worst.errorBytes)) worst = p;
  }
  return worst;
}

function errorText(p: { errorBytes: number; errorPct: number | null } | null | undefined): string {
  return p ? `${formatSignedPct(p.errorPct)} (${formatSignedBytes(p.errorBytes)})` : 'n/a';
}

/** One row per trace × model: the largest mark error, and the peak and final errors. */
export function summaryTable(traces: readonly CalibrationTrace[], esc: Escape): Table {
  const rows: string[][] = [];
  for (const t of traces) {
    if (t.skipped !== null) {
      rows.push([esc(t.name), 'all', 'skipped', '', '', '']);
      continue;
    }
    for (const pair of t.pairs) {
      const worst = largestMarkError(pair);
      rows.push([
        esc(t.name),
        esc(pair.model),
        esc(pair.real),
        worst ? `${errorText(worst)} at ${esc(worst.point)}` : 'no marks',
        errorText(pair.points.find((p) => p.kind === 'peak')),
        errorText(pair.points.find((p) => p.kind === 'final')),
      ]);
    }
  }
  return { columns: [left('trace'), left('model'), left('real'), right('largest mark error'), right('peak error'), right('final error')], rows };
}

/**
 * Every point of one trace: rows per model, marks in trace order, then peak
 * and final. With several real runs the real RSS is their median, and two
 * columns show their range and how far outside it the model lies.
 */
export function traceTable(trace: CalibrationTrace, esc: Escape): Table {
  const withSpread = trace.pairs.some((pair) => pair.points.some((p) => p.spread !== undefined));
  const rows: string[][] = [];
  for (const pair of trace.pairs) {
    for (const p of pair.points) {
      const row = [
        esc(pair.model),
        p.kind === 'mark' ? esc(p.point) : `(${p.point})`,
        formatBytes(p.modelBytes),
        formatBytes(p.realBytes),
        formatSignedBytes(p.errorBytes),
        formatSignedPct(p.errorPct),
      ];
      if (withSpread) {
        row.push(p.spread ? `${formatBytes(p.spread.realMinBytes)}–${formatBytes(p.spread.realMaxBytes)}` : '', p.spread ? formatSignedBytes(p.spread.outsideBytes) : '');
      }
      rows.push(row);
    }
  }
  const columns = [left('model'), left('point'), right('model RSS'), right(withSpread ? 'real RSS (median)' : 'real RSS'), right('error'), right('error %')];
  if (withSpread) columns.push(right('real min–max'), right('outside'));
  return { columns, rows };
}

function statusLines(pair: CalibrationPair): string[] {
  const out: string[] = [];
  if (pair.modelStatus !== 'ok') out.push(`${pair.model} stopped early (${pair.modelStatus}); marks after the stop are not compared.`);
  if (pair.realStatus !== 'ok') out.push(`${pair.real} stopped early (${pair.realStatus}); marks after the stop are not compared.`);
  return out;
}

export function renderCalibrationMarkdown(result: CalibrationResult): string {
  const esc = escapeMarkdown;
  const md = (t: Table): string => renderTable(t, markdownTableStyle);
  const o = result.options;
  const out: string[] = [];
  out.push('# Calibration: models against the real allocators', '');
  const between =
    o.tickNs === 'auto'
      ? "advances at the pace the model's real counterpart measured (`--tick-ns auto`, wall ns per event of the real replay)"
      : o.tickNs > 0
        ? `advances ${o.tickNs} ns per event (\`--tick-ns ${o.tickNs}\`)`
        : 'stands still, as the native replayer runs a trace in about a second (`--tick-ns 0`)';
  out.push(
    `Each trace is replayed through each model and through the real allocator it imitates (the native replayer, ` +
      `${markdownCode('heapreplay real')}), with the same touch policy (${markdownCode(o.touch)}) and the same marks: ` +
      `each mark adds ${o.idleMs} ms to both clocks (${markdownCode(`--idle-ms ${o.idleMs}`)}, slept for real before RSS is read); ` +
      `between events the model's clock ${between}, while the real allocator sees the wall clock. ` +
      `Error = model RSS − real RSS; the percentage is of the real RSS. Real RSS is the replayer's anonymous resident memory ` +
      `(resident − shared, as the models count only anonymous pages) minus its baseline, taken before any library initialised.`,
    '',
  );
  if (o.realRuns > 1) {
    out.push(
      `Each real allocator replayed every trace ${o.realRuns} times (${markdownCode(`--real-runs ${o.realRuns}`)}): real RSS is the median of the runs, ` +
        `"real min–max" their range and "outside" how far the model lies beyond it (0 when within). Real glibc repeats itself to the page; ` +
        `real jemalloc does not, because its decay follows the wall clock and purges whole extents as epochs pass, so a model that follows ` +
        `the trace's clock can be right and still differ from one real run.`,
      '',
    );
  }
  const params = o.params.length > 0 ? ` Model parameters: ${o.params.map((p) => markdownCode(p)).join(', ')}.` : '';
  const env = Object.keys(o.env).length > 0 ? ` Real runs' environment: ${Object.entries(o.env).map(([k, v]) => markdownCode(`${k}=${v}`)).join(', ')}.` : '';
  out.push(`Models: ${o.models.map((m) => markdownCode(m)).join(', ')}.${params}${env} Tool ${markdownCode(`${result.tool.name} ${result.tool.version}`)}${result.tool.commit ? ` at ${markdownCode(result.tool.commit.slice(0, 12))}` : ''}.`, '');
  out.push('## Worst error per model', '', 'Largest |error| over every mark of every calibrated trace.', '');
  out.push(md(worstTable(result.worst, esc, o.realRuns > 1)), '');
  out.push('## Per trace', '', 'The largest mark error (by bytes) of each trace and model, and the error of peak and final RSS.', '');
  out.push(md(summaryTable(result.traces, esc)), '');
  for (const t of result.traces) {
    out.push(`### ${esc(t.name)}`, '');
    const events = t.skipped === null ? `, ${formatCount(t.events)} events replayed` : '';
    out.push(`${markdownCode(t.path)} (sha256 ${markdownCode(t.sha256.slice(0, 12))}${events}).`, '');
    if (t.skipped !== null) {
      out.push(`Skipped: ${esc(t.skipped)}.`, '');
      continue;
    }
    if (t.note !== null) out.push(`Note: ${esc(t.note)}.`, '');
    out.push(`Real replay time (the real allocator's clock): ${t.pairs.map((p) => `${esc(p.real)} ${p.realSeconds.toFixed(2)} s`).join(', ')}.`, '');
    for (const pair of t.pairs) for (const line of statusLines(pair)) out.push(esc(line), '');
    out.push(md(traceTable(t, esc)), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** The compact terminal form: the worst-error table and the per-trace summary. */
export function renderCalibrationTerminal(result: CalibrationResult): string {
  const esc = escapeTerminal;
  const style = terminalTableStyle('  ');
  const spread = result.options.realRuns > 1;
  const heading = `worst error per model (model − real${spread ? ` median of ${result.options.realRuns} runs` : ''}, over every mark)`;
  const out: string[] = [heading, renderTable(worstTable(result.worst, esc, spread), style), ''];
  out.push('per trace', renderTable(summaryTable(result.traces, esc), style), '');
  for (const t of result.traces) if (t.skipped !== null) out.push(`  ${esc(t.name)} skipped: ${esc(t.skipped)}`);
  return `${out.join('\n').trimEnd()}\n`;
}

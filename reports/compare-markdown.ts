// Renders a Comparison as markdown: a one-line verdict, then every figure that
// changed with its delta and direction, regressions flagged.
import { formatBytes } from '../allocators/units.ts';
import type { Comparison, CompareOptions, FigureDelta } from './compare.ts';
import { escapeMarkdown } from './escape.ts';
import { markdownTableStyle, renderTable, type Table } from './table.ts';

function formatValue(d: FigureDelta, v: number): string {
  if (d.unit === 'bytes') return formatBytes(v);
  if (d.unit === 'events/s') return `${(v / 1e6).toFixed(2)} M/s`;
  return v.toFixed(3);
}

function formatRelative(r: number): string {
  if (!Number.isFinite(r)) return r > 0 ? '+∞' : '−∞';
  const pct = r * 100;
  return `${pct > 0 ? '+' : pct < 0 ? '−' : '±'}${Math.abs(pct).toFixed(Math.abs(pct) < 10 ? 2 : 1)} %`;
}

/** ▲/▼ for the direction of the change; the word says whether that is worse. */
function direction(d: FigureDelta): string {
  if (d.relative === 0) return '';
  const up = d.current > d.baseline;
  const worse = (d.worse === 'up') === up;
  return `${up ? '▲' : '▼'} ${worse ? 'worse' : 'better'}`;
}

export function verdictLine(c: Comparison): string {
  if (c.regressions === 0) return `✅ No regression in ${c.runs.length} matched runs.`;
  return `❌ ${c.regressions} of ${c.runs.length} matched runs regressed.`;
}

export function renderComparisonMarkdown(c: Comparison, options: CompareOptions): string {
  const lines: string[] = ['# heapreplay compare', '', `**${verdictLine(c)}**`, ''];
  lines.push(
    `Memory figures are deterministic: every change is listed, and one that is worse by more than ${(options.threshold * 100).toFixed(2)} % is a regression. ` +
      `Timing is a regression only when it is more than ${(options.timeThreshold * 100).toFixed(0)} % slower *and* significant (one-sided permutation test on the replay-time samples, p < ${options.alpha ?? 0.05}).`,
    '',
  );
  const changed = c.runs.flatMap((r) => r.deltas.filter((d) => d.relative !== 0 || d.regression).map((d) => ({ r, d })));
  const statusChanges = c.runs.filter((r) => r.statusBefore !== r.statusAfter);
  if (changed.length === 0 && statusChanges.length === 0) {
    lines.push('No figure changed.', '');
  } else {
    const table: Table = {
      columns: [
        { header: 'trace', align: 'left' },
        { header: 'model', align: 'left' },
        { header: 'figure', align: 'left' },
        { header: 'baseline', align: 'right' },
        { header: 'current', align: 'right' },
        { header: 'Δ', align: 'right' },
        { header: 'direction', align: 'left' },
        { header: 'regression', align: 'left' },
      ],
      rows: [],
    };
    for (const r of statusChanges) {
      const worse = r.statusBefore === 'ok' && r.statusAfter !== 'ok';
      table.rows.push([escapeMarkdown(r.trace), escapeMarkdown(r.model), 'status', r.statusBefore, r.statusAfter, '', worse ? 'worse' : 'changed', worse ? '❌' : '']);
    }
    for (const { r, d } of changed) {
      const p = d.test ? ` (p = ${d.test.pValue.toFixed(3)})` : '';
      table.rows.push([escapeMarkdown(r.trace), escapeMarkdown(r.model), escapeMarkdown(d.figure), formatValue(d, d.baseline), formatValue(d, d.current), `${formatRelative(d.relative)}${p}`, direction(d), d.regression ? '❌' : '']);
    }
    lines.push(renderTable(table, markdownTableStyle));
    lines.push('');
  }
  const tuned = c.runs.filter((r) => r.paramChanges.length > 0);
  if (tuned.length > 0) {
    lines.push('## Parameter changes', '');
    for (const r of tuned) lines.push(`- ${escapeMarkdown(r.trace)} · ${escapeMarkdown(r.model)}: ${r.paramChanges.map(escapeMarkdown).join('; ')}`);
    lines.push('');
  }
  if (c.onlyBaseline.length || c.onlyCurrent.length) {
    lines.push('## Unmatched runs', '');
    for (const k of c.onlyBaseline) lines.push(`- only in the baseline: ${escapeMarkdown(k)}`);
    for (const k of c.onlyCurrent) lines.push(`- only in the current results: ${escapeMarkdown(k)}`);
    lines.push('');
  }
  if (c.timingWithoutSamples > 0) {
    lines.push(`_${c.timingWithoutSamples} runs have timing without samples on one side (not from \`heapreplay bench\`): their speed change is shown but never counted as a regression._`, '');
  }
  return lines.join('\n');
}

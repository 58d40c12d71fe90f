// The markdown report: one section per trace (header, summary, failures, RSS
// chart, retention, address maps, sweeps, model notes) and a footer. Read in a
// PR or a CI job summary, so the facts come first and the detail folds away.
// It renders from the result file only and is deterministic: `createdAt` and
// replay timings are left out so the same results give the same bytes.
import type { ResultFile, RunOptionsRecord } from '../harness/result.ts';
import { MAP_LEGEND, describeScale, renderAddressMapBlock } from './address-map.ts';
import { buildChartData } from './chart-data.ts';
import { escapeMarkdown, markdownCode, uniqueSlugs } from './escape.ts';
import { failureSentence } from './failure-text.ts';
import { formatBytes, formatCount, shortSha } from './format.ts';
import { renderMermaidChart } from './mermaid.ts';
import { END_MARK, groupFindings, omittedSentence } from './retention-text.ts';
import { groupByTrace, markNames, marksOf, modelName, runOptions, shortRunName, type TraceGroup } from './runs.ts';
import { markColumnsFit, marksTable, summaryTable } from './summary.ts';
import { renderSvgChart } from './svg-chart.ts';
import { findSweeps, sweepTable } from './sweep.ts';
import { markdownTableStyle, renderTable } from './table.ts';

export interface MarkdownReportOptions {
  /** Where the caller writes `files`; the report links to them by bare name, so it belongs in the same directory. */
  chartDir: string;
  /** Chart files are named `${chartBaseName}-${slug(trace)}.svg`. */
  chartBaseName: string;
}

export interface MarkdownReport {
  markdown: string;
  /** SVG charts, one per trace, for the caller to write into chartDir. */
  files: { name: string; content: string }[];
}

const md = escapeMarkdown;

export function formatOptions(o: RunOptionsRecord): string {
  const parts = [
    `touch ${o.touch}`,
    o.tickNs === 0 ? 'clock stands still without time_ns' : `tick ${formatCount(o.tickNs)} ns per event without time_ns`,
    o.memoryLimitBytes === null ? 'no memory limit' : `memory limit ${formatBytes(o.memoryLimitBytes)}`,
    o.addressSpaceBits === 32
      ? `32-bit address space${o.userSpaceBytes !== undefined ? ` (${formatBytes(o.userSpaceBytes)} user space)` : ''}`
      : '64-bit address space',
  ];
  if (o.lenient) parts.push('lenient');
  if (o.shard) parts.push(`shard ${o.shard}`);
  return parts.join(', ');
}

function headerSection(result: ResultFile, group: TraceGroup): string[] {
  const t = group.trace;
  const lines = [`## Trace: ${md(t.name)}`, ''];
  lines.push(`- **events:** ${formatCount(t.events)} · **sha256:** ${markdownCode(shortSha(t.sha256))} · **file:** ${markdownCode(t.path)}`);
  const meta = t.meta ?? {};
  if (meta.source) lines.push(`- **source:** ${md(meta.source)}`);
  if (meta.description) lines.push(`- **description:** ${md(meta.description)}`);
  const other = Object.keys(meta)
    .filter((k) => k !== 'source' && k !== 'description' && k !== 'name')
    .sort();
  if (other.length > 0) lines.push(`- **metadata:** ${other.map((k) => `${md(k)}: ${md(meta[k]!)}`).join(' · ')}`);
  // Options are per run (trace metadata can set the address space or a limit); say them once when all agree.
  const byText = new Map<string, string[]>();
  group.runs.forEach((run, i) => {
    const text = formatOptions(runOptions(result, run));
    byText.set(text, [...(byText.get(text) ?? []), group.labels[i]!]);
  });
  if (byText.size === 1) lines.push(`- **options:** ${md([...byText.keys()][0]!)}`);
  else for (const [text, labels] of byText) lines.push(`- **options for ${labels.map(md).join(', ')}:** ${md(text)}`);
  if (t.skippedRows !== undefined && (t.skippedRows > 0 || group.runs.some((r) => runOptions(result, r).lenient))) {
    lines.push(`- **skipped rows (lenient):** ${formatCount(t.skippedRows)}`);
  }
  return lines;
}

/** One sentence on the spread between models at the last mark, the figure a reader looks for first. */
export function headline(group: TraceGroup): string | null {
  if (group.runs.length < 2) return null;
  const marks = marksOf(group.runs);
  const names = markNames(marks);
  for (let i = marks.length - 1; i >= 0; i--) {
    const reached = group.runs.flatMap((run, j) => {
      const m = run.marks.find((x) => x.event === marks[i]!.event);
      return m ? [{ j, m }] : [];
    });
    if (reached.length < 2) continue;
    let lo = reached[0]!;
    let hi = reached[0]!;
    for (const r of reached) {
      if (r.m.rssBytes < lo.m.rssBytes) lo = r;
      if (r.m.rssBytes > hi.m.rssBytes) hi = r;
    }
    const name = (j: number): string => md(shortRunName(group.runs, group.labels, j));
    const live = formatBytes(reached[0]!.m.liveBytes);
    // Figures that differ by less than the rounding read as a tie, not as "from 1.53 GiB to 1.53 GiB".
    if (formatBytes(lo.m.rssBytes) === formatBytes(hi.m.rssBytes)) {
      const about = lo.m.rssBytes === hi.m.rssBytes ? '' : 'about ';
      return `At '${md(names[i]!)}' every model holds ${about}${formatBytes(hi.m.rssBytes)} for ${live} of live data.`;
    }
    return `At '${md(names[i]!)}' RSS ranges from ${formatBytes(lo.m.rssBytes)} (${name(lo.j)}) to ${formatBytes(hi.m.rssBytes)} (${name(hi.j)}) for ${live} of live data.`;
  }
  return null;
}

function failureSection(result: ResultFile, group: TraceGroup): string[] {
  const lines: string[] = [];
  group.runs.forEach((run, i) => {
    const sentence = failureSentence(run, runOptions(result, run).memoryLimitBytes);
    if (sentence) lines.push(`- **${md(group.labels[i]!)}:** ${md(sentence)}`);
  });
  return lines.length > 0 ? ['### Failures', '', ...lines] : [];
}

/**
 * Retention: first the biggest finding per model at its last mark (what a PR
 * reader needs), then every finding grouped by model and mark, folded away.
 */
function retentionSection(group: TraceGroup): string[] {
  const key: string[] = [];
  const detail: string[] = [];
  let foldedAdds = false;
  group.runs.forEach((run, i) => {
    const groups = groupFindings(run, modelName(run.model));
    const items: string[] = [];
    for (const g of groups) {
      const where = g.mark === END_MARK ? 'at the end of the trace' : `after '${g.mark}'`;
      if (g.sameAs !== undefined) {
        items.push(`- ${md(`${capitalise(where)}: the same as after '${g.sameAs}'.`)}`);
        continue;
      }
      for (const s of g.sentences) items.push(`- ${md(s)}`);
      const omitted = omittedSentence(g.omitted);
      if (omitted) items.push(`- ${md(`${capitalise(where)}: ${omitted}`)}`);
      if (g.unexplainedBytes > 0) items.push(`- ${md(`${capitalise(where)}: ${formatBytes(g.unexplainedBytes)} of the free resident memory is not accounted for by a finding.`)}`);
    }
    if (items.length === 0) return;
    const shown = groups.filter((g) => g.sentences.length > 0);
    const last = [...shown].reverse().find((g) => g.mark !== END_MARK) ?? shown[shown.length - 1];
    if (last) key.push(`- **${md(group.labels[i]!)}:** ${md(last.sentences[0]!)}`);
    if (items.length > 1 || !last) foldedAdds = true;
    detail.push(`**${md(group.labels[i]!)}**`, '', ...items, '');
  });
  if (key.length === 0 && detail.length === 0) return [];
  const out = ['### Why freed memory stays resident', ''];
  if (key.length > 0) out.push('The biggest finding at the last mark, per model:', '', ...key, '');
  if (foldedAdds) out.push('<details>', '<summary>All findings, by model and mark, biggest first</summary>', '', ...detail, '</details>', '');
  return out.slice(0, -1);
}

function mapSection(group: TraceGroup): string[] {
  const lines: string[] = [];
  group.runs.forEach((run, i) => {
    const withMaps = run.marks.filter((m) => m.map && m.map.rows.length > 0);
    if (withMaps.length === 0) return;
    lines.push('<details>', `<summary>${md(group.labels[i]!)}: ${withMaps.length} mark${withMaps.length === 1 ? '' : 's'}</summary>`, '');
    for (const m of withMaps) {
      lines.push(`At '${md(m.label)}' (event ${m.event}, RSS ${formatBytes(m.rssBytes)}), ${describeScale(m.map!)}:`, '', renderAddressMapBlock(m.map!), '');
    }
    lines.push('</details>', '');
  });
  if (lines.length === 0) return [];
  return ['### Address-space maps', '', MAP_LEGEND, '', ...lines.slice(0, -1)];
}

function sweepSection(group: TraceGroup): string[] {
  const sweeps = findSweeps(group.runs);
  if (sweeps.length === 0) return [];
  const lines = ['### Parameter sweeps'];
  for (const s of sweeps) lines.push('', `${md(s.spec)} by ${s.keys.map(md).join(', ')}:`, '', renderTable(sweepTable(s, md), markdownTableStyle));
  return lines;
}

function notesSection(group: TraceGroup): string[] {
  // Runs of a sweep share their note: say it once, naming every run it covers.
  const notes = new Map<string, { title: string; text: string; labels: string[] }>();
  group.runs.forEach((run, i) => {
    const note = run.model.note;
    if (!note) return;
    const key = `${note.title}\u0000${note.text}`;
    const entry = notes.get(key) ?? { title: note.title, text: note.text, labels: [] };
    entry.labels.push(group.labels[i]!);
    notes.set(key, entry);
  });
  if (notes.size === 0) return [];
  const lines = ['### Models', ''];
  for (const n of notes.values()) lines.push(`- **${n.labels.map(md).join(', ')}:** *${md(n.title)}.* ${md(n.text)}`);
  return lines;
}

function traceSection(result: ResultFile, group: TraceGroup, chartName: string): string[] {
  const out = [...headerSection(result, group), ''];
  out.push('### Summary', '', renderTable(summaryTable(group, { escape: md, markColumns: true, replaySpeed: false }), markdownTableStyle), '');
  const head = headline(group);
  if (head) out.push(head, '');
  if (!markColumnsFit(group)) out.push('### RSS at each mark', '', renderTable(marksTable(group, md), markdownTableStyle), '');
  const push = (section: string[]): void => {
    if (section.length > 0) out.push(...section, '');
  };
  push(failureSection(result, group));
  out.push('### RSS over time', '', renderMermaidChart(buildChartData(group.trace.name, group.runs, group.labels)), '');
  out.push(`SVG chart for offline reading: [${md(chartName)}](${encodeURI(chartName)})`, '');
  push(retentionSection(group));
  push(mapSection(group));
  push(sweepSection(group));
  push(notesSection(group));
  return out;
}

function footer(result: ResultFile): string {
  const commit = result.tool.commit ? `commit ${markdownCode(result.tool.commit.slice(0, 12))}` : 'commit unknown';
  return `<sub>${md(result.tool.name)} ${md(result.tool.version)} · ${commit} · result schema ${md(result.schema)}</sub>`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function renderMarkdownReport(result: ResultFile, options: MarkdownReportOptions): MarkdownReport {
  const groups = groupByTrace(result);
  const slugs = uniqueSlugs(groups.map((g) => g.trace.name));
  const files: MarkdownReport['files'] = [];
  const out: string[] = ['# heapreplay report', ''];
  const runs = result.runs.length;
  out.push(
    `${formatCount(groups.length)} trace${groups.length === 1 ? '' : 's'}, ${formatCount(runs)} run${runs === 1 ? '' : 's'}. ` +
      'RSS is counted in the simulated address space, the same way for every model; sizes are binary (KiB, MiB, GiB). ' +
      'J&W #4 is Johnstone & Wilson fragmentation: (peak RSS − peak live) / peak live.',
    '',
  );
  if (groups.length === 0) out.push('No runs in this result file.', '');
  groups.forEach((group, i) => {
    const name = `${options.chartBaseName}-${slugs[i]}.svg`;
    files.push({ name, content: renderSvgChart(buildChartData(group.trace.name, group.runs, group.labels)) });
    out.push(...traceSection(result, group, name));
  });
  out.push('---', '', footer(result), '');
  return { markdown: out.join('\n'), files };
}

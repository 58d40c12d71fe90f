// Night-by-night history: one JSON line per night with the key figures of every
// run, and a report of the last N nights that charts each figure and marks the
// night it moved.
import type { ResultFile } from '../harness/result.ts';
import { escapeMarkdown, escapeMermaid } from './escape.ts';
import { benchmarkName } from './exports/exporter.ts';
import { formatBytes, formatRate } from './format.ts';
import { niceCeiling } from './mermaid.ts';
import { markdownTableStyle, renderTable, type Table } from './table.ts';

export const HISTORY_SCHEMA = 'heapreplay-history/1';

export interface HistoryRun {
  /** Stable benchmark name: trace / model@preset [params]. */
  name: string;
  trace: string;
  model: string;
  status: string;
  peakRssBytes: number;
  finalRssBytes: number;
  eventsPerSecond: number | null;
}

export interface HistoryEntry {
  schema: typeof HISTORY_SCHEMA;
  /** ISO date-time of the night's run. */
  date: string;
  commit: string | null;
  runs: HistoryRun[];
}

/** The night's key figures from a result file. */
export function historyEntry(result: ResultFile, date: string, commit: string | null): HistoryEntry {
  return {
    schema: HISTORY_SCHEMA,
    date,
    commit,
    runs: result.runs.map((run) => ({
      name: benchmarkName(run),
      trace: run.trace.name,
      model: `${run.model.name}@${run.model.preset}${run.model.backing ? `+${run.model.backing}` : ''}`,
      status: run.status,
      peakRssBytes: run.peakRssBytes,
      finalRssBytes: run.finalRssBytes,
      eventsPerSecond: run.replay.eventsPerSecond > 0 ? run.replay.eventsPerSecond : null,
    })),
  };
}

export function formatHistoryLine(entry: HistoryEntry): string {
  return `${JSON.stringify(entry)}\n`;
}

/** Parse a history file; a bad line is an error naming the line, reported by the caller as `file:line`. */
export function parseHistory(text: string): { entries: HistoryEntry[]; error: { line: number; message: string } | null } {
  const entries: HistoryEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let data: Partial<HistoryEntry>;
    try {
      data = JSON.parse(line) as Partial<HistoryEntry>;
    } catch {
      return { entries, error: { line: i + 1, message: 'not valid JSON; expected one history entry per line' } };
    }
    if (data.schema !== HISTORY_SCHEMA || typeof data.date !== 'string' || !Array.isArray(data.runs)) {
      return { entries, error: { line: i + 1, message: `expected a "${HISTORY_SCHEMA}" entry with date and runs` } };
    }
    entries.push(data as HistoryEntry);
  }
  return { entries, error: null };
}

interface Figure {
  key: 'peakRssBytes' | 'finalRssBytes' | 'eventsPerSecond';
  title: string;
  format(v: number): string;
  /** Whether a night-over-night change is a move worth marking. */
  moved(before: number, after: number): boolean;
}

/** Memory figures are deterministic: any change is a move. Speed moves when it changes by more than 10 %. */
const FIGURES: Figure[] = [
  { key: 'peakRssBytes', title: 'peak RSS', format: formatBytes, moved: (a, b) => a !== b },
  { key: 'finalRssBytes', title: 'final RSS', format: formatBytes, moved: (a, b) => a !== b },
  { key: 'eventsPerSecond', title: 'replay speed', format: formatRate, moved: (a, b) => Math.abs(b / a - 1) > 0.1 },
];

const MIB = 1024 * 1024;

function nightLabel(entry: HistoryEntry): string {
  return `${entry.date.slice(0, 10)}${entry.commit ? ` ${entry.commit.slice(0, 7)}` : ''}`;
}

/** One mermaid chart per trace and figure: a line per model over the nights. */
function trendChart(nights: HistoryEntry[], trace: string, names: string[], figure: Figure): string {
  const values = names.map((name) => nights.map((n) => n.runs.find((r) => r.name === name)?.[figure.key] ?? null));
  const scale = figure.key === 'eventsPerSecond' ? 1e6 : MIB;
  const unit = figure.key === 'eventsPerSecond' ? 'M events/s' : 'MiB';
  let max = 0;
  for (const vs of values) for (const v of vs) if (v !== null) max = Math.max(max, v / scale);
  const lines = [
    '```mermaid',
    'xychart-beta',
    `    title "${escapeMermaid(`${trace}: ${figure.title}`)}"`,
    `    x-axis [${nights.map((n) => `"${escapeMermaid(nightLabel(n))}"`).join(', ')}]`,
    `    y-axis "${unit}" 0 --> ${niceCeiling(max)}`,
  ];
  for (const vs of values) lines.push(`    line [${vs.map((v) => (v === null ? '0' : String(Number((v / scale).toFixed(2))))).join(', ')}]`);
  lines.push('```');
  const legend = names.map((name, i) => `line ${i + 1} = ${escapeMarkdown(name.slice(trace.length + 3))}`).join(' · ');
  return `${lines.join('\n')}\n\n${legend}`;
}

export function renderHistoryReport(entries: HistoryEntry[], nights: number): string {
  const recent = [...entries].sort((a, b) => a.date.localeCompare(b.date)).slice(-nights);
  const out: string[] = [`# heapreplay history: the last ${recent.length} nights`, ''];
  if (recent.length === 0) return `${out.join('\n')}No nights recorded yet.\n`;
  const moves: Table = {
    columns: [
      { header: 'night', align: 'left' },
      { header: 'benchmark', align: 'left' },
      { header: 'figure', align: 'left' },
      { header: 'before', align: 'right' },
      { header: 'after', align: 'right' },
    ],
    rows: [],
  };
  for (let i = 1; i < recent.length; i++) {
    const prev = new Map(recent[i - 1]!.runs.map((r) => [r.name, r]));
    for (const run of recent[i]!.runs) {
      const before = prev.get(run.name);
      if (!before) continue;
      for (const f of FIGURES) {
        const a = before[f.key];
        const b = run[f.key];
        if (a !== null && b !== null && f.moved(a, b)) {
          moves.rows.push([escapeMarkdown(nightLabel(recent[i]!)), escapeMarkdown(run.name), f.title, f.format(a), f.format(b)]);
        }
      }
      if (before.status !== run.status) moves.rows.push([escapeMarkdown(nightLabel(recent[i]!)), escapeMarkdown(run.name), 'status', before.status, run.status]);
    }
  }
  out.push('## Nights a figure moved', '');
  out.push(moves.rows.length ? renderTable(moves, markdownTableStyle) : 'No figure moved in these nights (memory: any change; speed: more than 10 %).', '');
  const traces = [...new Set(recent.flatMap((e) => e.runs.map((r) => r.trace)))].sort();
  for (const trace of traces) {
    const names = [...new Set(recent.flatMap((e) => e.runs.filter((r) => r.trace === trace).map((r) => r.name)))].sort();
    out.push(`## ${escapeMarkdown(trace)}`, '');
    for (const f of FIGURES) out.push(trendChart(recent, trace, names, f), '');
  }
  return out.join('\n');
}

// The figure tables of a trace, as format-neutral `Table`s: the summary (one
// row per run) and RSS at each mark (one row per mark) when there are too many
// marks for summary columns. Cells go through the caller's `escape`.
import type { RunResult } from '../harness/result.ts';
import { statusText } from './failure-text.ts';
import { formatBytes, formatPercent, formatRate } from './format.ts';
import { markNames, marksOf, type TraceGroup } from './runs.ts';
import type { Column, Table } from './table.ts';

/** More marks than this go to their own table instead of summary columns. */
export const MAX_MARK_COLUMNS = 4;

/** A figure a run did not reach (it stopped before the mark). */
export const MISSING = '—';

export interface SummaryOptions {
  escape: (text: string) => string;
  /** RSS at each mark as columns (only when there are at most MAX_MARK_COLUMNS marks). */
  markColumns: boolean;
  /** Replay speed, a timing figure: terminal only, it would make reports differ run to run. */
  replaySpeed: boolean;
  /** Leave out peak live and free resident (the terminal summary). */
  compact?: boolean;
}

/** RSS of a run at the mark at `event`, or MISSING. */
export function rssAtMark(run: RunResult, event: number): string {
  const m = run.marks.find((x) => x.event === event);
  return m ? formatBytes(m.rssBytes) : MISSING;
}

export function markColumnsFit(group: TraceGroup): boolean {
  return marksOf(group.runs).length <= MAX_MARK_COLUMNS;
}

export function summaryTable(group: TraceGroup, opts: SummaryOptions): Table {
  const marks = opts.markColumns && markColumnsFit(group) ? marksOf(group.runs) : [];
  const names = markNames(marks);
  const right = (header: string): Column => ({ header, align: 'right' });
  const columns: Column[] = [
    { header: 'model', align: 'left' },
    { header: 'status', align: 'left' },
    right('peak RSS'),
    ...names.map((n) => right(`RSS at ${opts.escape(n)}`)),
    right('final RSS'),
    ...(opts.compact ? [] : [right('peak live')]),
    right('J&W #4'),
    ...(opts.compact ? [] : [right('free resident (end)')]),
  ];
  if (opts.replaySpeed) columns.push(right('replay'));
  const rows = group.runs.map((run, i) => {
    const row = [
      opts.escape(group.labels[i]!),
      opts.escape(statusText(run)),
      formatBytes(run.peakRssBytes),
      ...marks.map((m) => rssAtMark(run, m.event)),
      formatBytes(run.finalRssBytes),
      ...(opts.compact ? [] : [formatBytes(run.peakLiveBytes)]),
      formatPercent(run.fragmentation.jw4),
      ...(opts.compact ? [] : [formatBytes(run.freeResidentBytes)]),
    ];
    if (opts.replaySpeed) row.push(formatRate(run.replay.eventsPerSecond));
    return row;
  });
  return { columns, rows };
}

/** One row per mark, one column per run: RSS (and live bytes once, as they do not depend on the model). */
export function marksTable(group: TraceGroup, escape: (text: string) => string): Table {
  const marks = marksOf(group.runs);
  const names = markNames(marks);
  const columns: Column[] = [
    { header: 'mark', align: 'left' },
    { header: 'event', align: 'right' },
    { header: 'live', align: 'right' },
    ...group.labels.map((l) => ({ header: escape(l), align: 'right' as const })),
  ];
  const rows = marks.map((m, i) => {
    const live = group.runs.map((r) => r.marks.find((x) => x.event === m.event)).find((x) => x !== undefined);
    return [escape(names[i]!), String(m.event), live ? formatBytes(live.liveBytes) : MISSING, ...group.runs.map((r) => rssAtMark(r, m.event))];
  });
  return { columns, rows };
}

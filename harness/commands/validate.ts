// `heapreplay validate <trace...>`: check traces against format v1 and print
// what each holds. Bad traces are reported one by one (file, line, column,
// what was expected); the command goes on to the next and exits 2 at the end.
import type { CommandModule } from 'yargs';
import { formatBytes } from '../../allocators/units.ts';
import { openTrace, traceForm, type TraceForm } from '../../traces/open.ts';
import { CsvTraceSource } from '../../traces/reader.ts';
import { computeTraceStats, type TraceStats } from '../../traces/stats.ts';
import { OP_NAMES, type TraceMeta } from '../../traces/types.ts';
import { isUserError, UsageError } from '../cli-errors.ts';

interface ValidateArgs {
  trace: string[];
  lenient: boolean;
  json: boolean;
}

export interface TraceReport {
  path: string;
  form: TraceForm;
  meta: TraceMeta;
  stats: TraceStats;
  /** The first few problems skipped in lenient mode. */
  problems: string[];
}

/** Validate one trace fully and gather its figures; throws TraceError on the first bad row (strict). */
export async function validateTrace(path: string, lenient: boolean): Promise<TraceReport> {
  const form = await traceForm(path);
  const source = await openTrace(path, { lenient });
  const stats = await computeTraceStats(source);
  return { path, form, meta: source.meta, stats, problems: source instanceof CsvTraceSource ? source.problems : [] };
}

/** 1234567 → "1,234,567" (fixed, not locale-dependent, so output is the same everywhere). */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Nanoseconds in the largest unit that keeps the number ≥ 1. */
export function formatNs(ns: number): string {
  if (ns < 1e3) return `${ns} ns`;
  if (ns < 1e6) return `${Number((ns / 1e3).toFixed(2))} µs`;
  if (ns < 1e9) return `${Number((ns / 1e6).toFixed(2))} ms`;
  return `${Number((ns / 1e9).toFixed(2))} s`;
}

const MARKS_SHOWN = 20;

export function formatTraceReport(r: TraceReport): string {
  const s = r.stats;
  const ops = OP_NAMES.map((op) => `${op} ${groupDigits(s.ops[op])}`).join(', ');
  const lines = [`${r.path}: ok (${r.form})`];
  if (r.meta.name) lines.push(`  name          ${r.meta.name}`);
  lines.push(`  events        ${groupDigits(s.events)} (${ops})`);
  lines.push(`  distinct ids  ${groupDigits(s.distinctIds)}`);
  lines.push(`  peak live     ${formatBytes(s.peakLiveBytes)} (${groupDigits(s.peakLiveBytes)} bytes)${s.peakLiveLine ? ` at line ${s.peakLiveLine}` : ''}; at most ${groupDigits(s.peakLiveBlocks)} blocks live`);
  lines.push(`  final live    ${formatBytes(s.finalLiveBytes)} (${groupDigits(s.finalLiveBytes)} bytes)`);
  lines.push(`  time          ${s.timeSpanNs ? `${formatNs(s.timeSpanNs.last - s.timeSpanNs.first)} (time_ns ${s.timeSpanNs.first} .. ${s.timeSpanNs.last})` : 'no time_ns column (the replayer advances a fixed tick per event)'}`);
  lines.push(`  marks         ${s.marks.length}`);
  for (const m of s.marks.slice(0, MARKS_SHOWN)) lines.push(`    line ${m.line}: ${JSON.stringify(m.label)} (live ${formatBytes(m.liveBytes)})`);
  if (s.marks.length > MARKS_SHOWN) lines.push(`    ... ${s.marks.length - MARKS_SHOWN} more`);
  if (s.skippedRows > 0) {
    lines.push(`  skipped rows  ${groupDigits(s.skippedRows)} (lenient); the first:`);
    for (const p of r.problems) lines.push(`    ${p}`);
  }
  return lines.join('\n');
}

export const validateCommand: CommandModule<object, ValidateArgs> = {
  command: 'validate <trace...>',
  describe: 'Check traces against format v1 and print events, ops, ids, marks and peak live bytes',
  builder: (y) =>
    y
      .positional('trace', { type: 'string', array: true, demandOption: true, describe: 'trace files (.csv, .csv.gz or compiled .hrt)' })
      .option('lenient', { type: 'boolean', default: false, describe: 'count and skip bad rows instead of stopping at the first' })
      .option('json', { type: 'boolean', default: false, describe: 'print the figures as JSON' }) as never,
  handler: async (args) => {
    const reports: (TraceReport | { path: string; error: string })[] = [];
    let failed = 0;
    let lastError: unknown = null;
    for (const path of args.trace) {
      try {
        const report = await validateTrace(path, args.lenient);
        reports.push(report);
        if (!args.json) process.stdout.write(`${formatTraceReport(report)}\n`);
      } catch (err) {
        if (!isUserError(err)) throw err;
        failed++;
        lastError = err;
        reports.push({ path, error: err.message });
        // With one trace the CLI prints the error itself; with several, each is printed as it comes.
        if (args.trace.length > 1) process.stderr.write(`heapreplay: ${err.message}\n`);
      }
    }
    if (args.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    if (failed === 0) return;
    if (args.trace.length === 1) throw lastError;
    throw new UsageError(`${failed} of ${args.trace.length} traces failed validation`);
  },
};

// The compact summary `heapreplay run` prints: per trace an aligned table and
// a line per failed run. Plain text (no colour) so it reads the same in a CI log.
import type { ResultFile } from '../harness/result.ts';
import { escapeTerminal } from './escape.ts';
import { failureSentence } from './failure-text.ts';
import { formatCount } from './format.ts';
import { groupByTrace, runOptions } from './runs.ts';
import { summaryTable } from './summary.ts';
import { renderTable, terminalTableStyle } from './table.ts';

export function renderTerminalSummary(result: ResultFile): string {
  const groups = groupByTrace(result);
  const out: string[] = [];
  for (const group of groups) {
    out.push(`${escapeTerminal(group.trace.name)} (${formatCount(group.trace.events)} events)`);
    const table = summaryTable(group, { escape: escapeTerminal, markColumns: true, replaySpeed: true, compact: true });
    out.push(renderTable(table, terminalTableStyle('  ')));
    group.runs.forEach((run, i) => {
      const sentence = failureSentence(run, runOptions(result, run).memoryLimitBytes);
      if (sentence) out.push(`  ! ${escapeTerminal(group.labels[i]!)}: ${escapeTerminal(sentence)}`);
    });
    out.push('');
  }
  if (groups.length === 0) out.push('no runs', '');
  return out.join('\n');
}

// Address-space maps at a mark, drawn as text after seed 000's pmap script:
// one row per stretch of address space, one character per cell. Long runs of
// empty rows collapse into one line so a 64-bit map stays a screenful.
import type { AddressMap } from '../harness/result.ts';
import { formatBytes, formatCount, formatHex } from './format.ts';

export const MAP_LEGEND = "`#` resident · `+` partly resident · `.` mapped, not resident · ` ` unmapped · `X` reserved (stacks, libraries)";

/** Runs of this many empty rows or more are collapsed into one line. */
const COLLAPSE_AT = 2;

/** Only the documented cell characters reach the code block; anything else shows as `?`. */
function cleanCells(cells: string): string {
  return cells.replace(/[^#+. X]/g, '?');
}

function isEmpty(cells: string): boolean {
  return /^ *$/.test(cells);
}

/** One line for a skipped stretch of address space. */
function skipLine(indent: number, rows: number, from: number, to: number): string {
  const what = rows > 0 ? `${formatCount(rows)} empty row${rows === 1 ? '' : 's'}` : 'not shown';
  return `${' '.repeat(indent)}  ⋮ ${what}: ${formatHex(from)} – ${formatHex(to - 1)} (${formatBytes(to - from)})`;
}

/** Identical full rows in a row: from this many on, the first is drawn and the rest collapse. */
const COLLAPSE_REPEATS_AT = 4;

/**
 * The map as lines of text (no fence): `0x… |cells|`. Rows the map omits (a jump
 * in start addresses), runs of empty rows and long runs of identical rows show
 * as one `⋮` line each.
 */
export function renderAddressMapLines(map: AddressMap): string[] {
  if (map.rows.length === 0) return ['(no mappings)'];
  const width = Math.max(...map.rows.map((r) => Math.trunc(r.start).toString(16).length));
  const indent = width + 2;
  const lines: string[] = [];
  const rowLine = (start: number, cells: string): string => `${formatHex(start, width)} |${cells}|`;
  // A run of identical, contiguous rows waiting to be drawn.
  let run: { cells: string; starts: number[]; end: number } | null = null;
  const flush = (): void => {
    if (!run) return;
    const { cells, starts, end } = run;
    if (isEmpty(cells) && starts.length >= COLLAPSE_AT) {
      lines.push(skipLine(indent, starts.length, starts[0]!, end));
    } else if (!isEmpty(cells) && starts.length >= COLLAPSE_REPEATS_AT) {
      lines.push(rowLine(starts[0]!, cells));
      const n = starts.length - 1;
      lines.push(`${' '.repeat(indent)}  ⋮ ${formatCount(n)} more rows the same: ${formatHex(starts[1]!)} – ${formatHex(end - 1)} (${formatBytes(end - starts[1]!)})`);
    } else {
      for (const start of starts) lines.push(rowLine(start, cells));
    }
    run = null;
  };
  let expectedStart: number | null = null;
  for (const row of map.rows) {
    const cells = cleanCells(row.cells);
    const end = row.start + cells.length * map.cellBytes;
    if (expectedStart !== null && row.start > expectedStart) {
      flush();
      lines.push(skipLine(indent, 0, expectedStart, row.start));
    }
    expectedStart = end;
    if (run && run.cells === cells && run.end === row.start) {
      run.starts.push(row.start);
      run.end = end;
    } else {
      flush();
      run = { cells, starts: [row.start], end };
    }
  }
  flush();
  return lines;
}

/** How much a cell and a row cover, for the line above the block. */
export function describeScale(map: AddressMap): string {
  const cells = map.rows[0]?.cells.length ?? 0;
  return `each cell ${formatBytes(map.cellBytes)}, each row ${formatBytes(cells * map.cellBytes)}`;
}

/** The map as a fenced code block (markdown). */
export function renderAddressMapBlock(map: AddressMap): string {
  return ['```text', ...renderAddressMapLines(map), '```'].join('\n');
}

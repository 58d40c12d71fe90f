// One table builder for every text format (after hyperfine's exporters): a
// table is columns and rows of finished cell text; a style only says how a row
// and the divider under the header look. Cells arrive already escaped for the
// target format, because only the caller knows which parts are untrusted.

export type Align = 'left' | 'right';

export interface Column {
  header: string;
  align: Align;
}

export interface Table {
  columns: Column[];
  rows: string[][];
}

export interface TableStyle {
  row(cells: readonly string[], widths: readonly number[], columns: readonly Column[]): string;
  divider(widths: readonly number[], columns: readonly Column[]): string;
}

/** Display width: code points, so "µs" and "–" count as one. */
export function textWidth(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function pad(text: string, width: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, width - textWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** Lines of the table (header, divider, rows), without a trailing newline. */
export function renderTable(table: Table, style: TableStyle): string {
  const { columns, rows } = table;
  for (const [i, row] of rows.entries()) {
    if (row.length !== columns.length) throw new Error(`table row ${i} has ${row.length} cells for ${columns.length} columns`);
  }
  const widths = columns.map((c, i) => Math.max(textWidth(c.header), ...rows.map((r) => textWidth(r[i]!))));
  const lines = [style.row(columns.map((c) => c.header), widths, columns), style.divider(widths, columns)];
  for (const row of rows) lines.push(style.row(row, widths, columns));
  return lines.join('\n');
}

/** GitHub-flavoured markdown, padded so the raw text lines up too. */
export const markdownTableStyle: TableStyle = {
  row: (cells, widths, columns) => `| ${cells.map((c, i) => pad(c, Math.max(3, widths[i]!), columns[i]!.align)).join(' | ')} |`,
  divider: (widths, columns) =>
    `| ${columns
      .map((c, i) => {
        const w = Math.max(3, widths[i]!);
        return c.align === 'right' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w);
      })
      .join(' | ')} |`,
};

/** Plain aligned text for a terminal: two spaces between columns, dashes under the header. */
export function terminalTableStyle(indent = ''): TableStyle {
  return {
    row: (cells, widths, columns) => (indent + cells.map((c, i) => pad(c, widths[i]!, columns[i]!.align)).join('  ')).trimEnd(),
    divider: (widths) => indent + widths.map((w) => '-'.repeat(w)).join('  '),
  };
}

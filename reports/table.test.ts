import { describe, expect, it } from 'vitest';
import { markdownTableStyle, renderTable, terminalTableStyle, type Table } from './table.ts';

const table: Table = {
  columns: [
    { header: 'model', align: 'left' },
    { header: 'RSS', align: 'right' },
  ],
  rows: [
    ['glibc', '498 MiB'],
    ['jemalloc@5.3', '11 MiB'],
  ],
};

describe('shared table builder', () => {
  it('renders a padded GFM table with right-aligned number columns', () => {
    expect(renderTable(table, markdownTableStyle)).toBe(
      ['| model        |     RSS |', '| ------------ | ------: |', '| glibc        | 498 MiB |', '| jemalloc@5.3 |  11 MiB |'].join('\n'),
    );
  });
  it('renders the same table as aligned terminal text', () => {
    expect(renderTable(table, terminalTableStyle('  '))).toBe(
      ['  model             RSS', '  ------------  -------', '  glibc         498 MiB', '  jemalloc@5.3   11 MiB'].join('\n'),
    );
  });
  it('keeps markdown dividers at least three dashes wide', () => {
    const narrow: Table = { columns: [{ header: 'a', align: 'right' }], rows: [['1']] };
    expect(renderTable(narrow, markdownTableStyle)).toBe(['|   a |', '| --: |', '|   1 |'].join('\n'));
  });
  it('refuses ragged rows', () => {
    expect(() => renderTable({ columns: table.columns, rows: [['x']] }, markdownTableStyle)).toThrow(/1 cells for 2 columns/);
  });
});

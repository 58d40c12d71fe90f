import { describe, expect, it } from 'vitest';
import { describeScale, renderAddressMapBlock, renderAddressMapLines } from './address-map.ts';

const MiB = 1024 * 1024;
const blank = ' '.repeat(4);

describe('address-space map', () => {
  it('prints rows with hex starts and collapses runs of empty rows', () => {
    // 1 MiB cells, 4 cells a row → rows start every 0x400000.
    const map = {
      cellBytes: MiB,
      rows: [
        { start: 0x000000, cells: '##+.' },
        { start: 0x400000, cells: blank },
        { start: 0x800000, cells: blank },
        { start: 0xc00000, cells: blank },
        { start: 0x1000000, cells: 'X  #' },
        { start: 0x1400000, cells: blank },
        { start: 0x1800000, cells: '.' + '   ' },
      ],
    };
    expect(renderAddressMapLines(map)).toEqual([
      '0x0000000 |##+.|',
      '           ⋮ 3 empty rows: 0x400000 – 0xffffff (12 MiB)',
      '0x1000000 |X  #|',
      '0x1400000 |    |', // a single empty row stays a row
      '0x1800000 |.   |',
    ]);
    expect(describeScale(map)).toBe('each cell 1 MiB, each row 4 MiB');
  });

  it('marks stretches the map leaves out, e.g. between heap and mmaps on 64-bit', () => {
    const map = { cellBytes: 4 * MiB, rows: [{ start: 0x555550000000, cells: '##' }, { start: 0x7f3a90000000, cells: '.#' }] };
    const lines = renderAddressMapLines(map);
    expect(lines[1]).toBe('                ⋮ not shown: 0x555550800000 – 0x7f3a8fffffff (41.9 TiB)');
  });

  it('keeps unknown characters (and backticks) out of the code block', () => {
    const block = renderAddressMapBlock({ cellBytes: 4096, rows: [{ start: 0, cells: '#`<x' }] });
    expect(block).toBe(['```text', '0x0 |#???|', '```'].join('\n'));
  });
});

describe('address-space map: repeated rows', () => {
  it('draws the first of 4+ identical rows and collapses the rest', () => {
    // 1 MiB cells, 2 cells a row → rows every 0x200000; 5 full rows then a partly resident one.
    const rows = [0, 1, 2, 3, 4].map((i) => ({ start: i * 0x200000, cells: '##' }));
    rows.push({ start: 0xa00000, cells: '#+' });
    expect(renderAddressMapLines({ cellBytes: MiB, rows })).toEqual([
      '0x000000 |##|',
      '          ⋮ 4 more rows the same: 0x200000 – 0x9fffff (8 MiB)',
      '0xa00000 |#+|',
    ]);
  });
  it('keeps three identical rows as they are (collapsing would not save a line)', () => {
    const rows = [0, 1, 2].map((i) => ({ start: i * 0x200000, cells: '##' }));
    expect(renderAddressMapLines({ cellBytes: MiB, rows })).toHaveLength(3);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ResultFile } from '../harness/result.ts';
import { smallResult, smallRun } from './fixtures/small-result.ts';
import { renderTerminalSummary } from './terminal.ts';

const MiB = 1024 * 1024;
const fixture = JSON.parse(readFileSync(new URL('./fixtures/result.json', import.meta.url), 'utf8')) as ResultFile;

describe('terminal summary', () => {
  it('prints an aligned table per trace', () => {
    // replay: 10 events in 1 ms = 10,000 ev/s → "10.0 k ev/s"
    expect(renderTerminalSummary(smallResult([smallRun('glibc', '2.35', 7 * MiB), smallRun('jemalloc', '5.3', 2 * MiB)]))).toBe(
      [
        'tiny (10 events)',
        '  model         status  peak RSS  RSS at After del  final RSS  J&W #4       replay',
        '  ------------  ------  --------  ----------------  ---------  ------  -----------',
        '  glibc@2.35    ok         8 MiB             7 MiB      7 MiB   100 %  10.0 k ev/s',
        '  jemalloc@5.3  ok         8 MiB             2 MiB      2 MiB   100 %  10.0 k ev/s',
        '',
      ].join('\n'),
    );
  });

  it('keeps every column aligned on the fixture and adds a line per failed run', () => {
    const text = renderTerminalSummary(fixture);
    const blocks = text.trimEnd().split('\n\n');
    expect(blocks).toHaveLength(2);
    for (const block of blocks) {
      const rows = block.split('\n').slice(1).filter((l) => !l.startsWith('  !'));
      // the last column is right-aligned, so every row of a table has the same length,
      // and every column gap (two spaces) sits at the same place as in the divider
      expect(new Set(rows.map((r) => r.length)).size).toBe(1);
      const gaps = [...rows[1]!.matchAll(/ {2}(?=-)/g)].map((m) => m.index);
      for (const row of rows) for (const g of gaps) expect(row.slice(g!, g! + 2)).toBe('  ');
    }
    expect(text).toContain('  ! glibc@2.35: the 256 MiB request at event 9123 (line 9130) failed: the largest free range was 38 MiB while 1.1 GiB of address space was free.');
    expect(text).toContain('  ! obmalloc@2.4+glibc@2.35: OOM kill at event 8412 (line 8419): RSS reached 2 GiB, 12 KiB past the 2 GiB limit.');
  });

  it('strips terminal escapes from trace names', () => {
    const text = renderTerminalSummary(smallResult([smallRun('glibc', '2.35', MiB, { trace: 'evil\u001b[2J\u001b]0;title\u0007' })]));
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text.split('\n')[0]).toBe('evil[2J]0;title (10 events)');
  });
});

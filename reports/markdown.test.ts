import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ResultFile } from '../harness/result.ts';
import { checkXml } from './fixtures/xml-check.ts';
import { smallResult, smallRun } from './fixtures/small-result.ts';
import { headline, renderMarkdownReport } from './markdown.ts';
import { groupByTrace } from './runs.ts';

const MiB = 1024 * 1024;
const fixture = JSON.parse(readFileSync(new URL('./fixtures/result.json', import.meta.url), 'utf8')) as ResultFile;
const options = { chartDir: '/tmp/charts', chartBaseName: 'latest' };

/** Cells of a markdown table row, split on pipes that are not escaped. */
function cells(row: string): string[] {
  return row.split(/(?<!\\)\|/).slice(1, -1);
}

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(heading);
  if (start < 0) throw new Error(`no ${heading}`);
  const next = markdown.indexOf('\n### ', start + heading.length);
  const nextTrace = markdown.indexOf('\n## ', start + heading.length);
  const ends = [next, nextTrace].filter((i) => i >= 0);
  return markdown.slice(start, ends.length > 0 ? Math.min(...ends) : undefined);
}

describe('markdown report of a small result', () => {
  const report = renderMarkdownReport(smallResult([smallRun('glibc', '2.35', 7 * MiB), smallRun('jemalloc', '5.3', 2 * MiB)]), { chartDir: '/x', chartBaseName: 'out' });
  const md = report.markdown;

  it('has the trace header with events, short sha, source and options', () => {
    expect(md).toContain(
      [
        '## Trace: tiny',
        '',
        '- **events:** 10 · **sha256:** `abababababab` · **file:** `tiny.csv`',
        '- **source:** unit test',
        '- **options:** touch full, tick 1,000 ns per event without time\\_ns, no memory limit, 64-bit address space',
      ].join('\n'),
    );
  });

  it('has the summary table: peak, each mark, final, peak live, J&W #4 and free resident in binary units', () => {
    // smallRun: peak 8 MiB, mark RSS = final RSS, live 1 MiB at the end → free resident = RSS − 1 MiB; J&W #4 = (8 − 4)/4 = 100 %.
    expect(md).toContain(
      [
        '| model        | status | peak RSS | RSS at After del | final RSS | peak live | J&W #4 | free resident (end) |',
        '| ------------ | ------ | -------: | ---------------: | --------: | --------: | -----: | ------------------: |',
        '| glibc@2.35   | ok     |    8 MiB |            7 MiB |     7 MiB |     4 MiB |  100 % |               6 MiB |',
        '| jemalloc@5.3 | ok     |    8 MiB |            2 MiB |     2 MiB |     4 MiB |  100 % |               1 MiB |',
      ].join('\n'),
    );
    expect(md).toContain("At 'After del' RSS ranges from 2 MiB (jemalloc) to 7 MiB (glibc) for 1 MiB of live data.");
  });

  it('writes one SVG per trace and links it by name', () => {
    expect(report.files.map((f) => f.name)).toEqual(['out-tiny.svg']);
    expect(md).toContain('SVG chart for offline reading: [out-tiny.svg](out-tiny.svg)');
    expect(() => checkXml(report.files[0]!.content)).not.toThrow();
  });

  it('gives retention findings as sentences under each model, and the model notes', () => {
    // One finding per model: the key list says it all, so nothing is folded away.
    expect(section(md, '### Why freed memory stays resident')).toBe(
      [
        '### Why freed memory stays resident',
        '',
        'The biggest finding at the last mark, per model:',
        '',
        "- **glibc@2.35:** glibc keeps 6 MiB after 'After del': a 48-byte block (id 7, allocated at event 5) sits above 6 MiB of free chunks and blocks the trim.",
        "- **jemalloc@5.3:** jemalloc keeps 1 MiB after 'After del': a 48-byte block (id 7, allocated at event 5) sits above 1 MiB of free chunks and blocks the trim.",
        '',
      ].join('\n'),
    );
    expect(md).toContain('- **glibc@2.35:** *glibc note.* A model.');
  });

  it('ends with the tool version and commit, and has no createdAt', () => {
    expect(md.endsWith('<sub>heapreplay 0.1.0 · commit unknown · result schema heapreplay-result/1</sub>\n')).toBe(true);
    expect(md).not.toContain('2025-01-01');
  });
});

describe('markdown report of the fixture', () => {
  const report = renderMarkdownReport(fixture, options);
  const md = report.markdown;

  it('has one section and one chart per trace', () => {
    expect(md.match(/^## Trace: /gm)).toHaveLength(2);
    expect(report.files.map((f) => f.name)).toEqual(['latest-big-small-interleaving.svg', 'latest-address-space-32bit.svg']);
    for (const f of report.files) expect(() => checkXml(f.content)).not.toThrow();
  });

  it('gives every table row the same number of cells', () => {
    const rows = md.split('\n').filter((l) => l.startsWith('|'));
    expect(rows.length).toBeGreaterThan(20);
    let width = -1;
    for (const [i, row] of rows.entries()) {
      const prev = rows[i - 1];
      if (prev === undefined || !md.includes(`${prev}\n${row}`)) width = cells(row).length; // a new table
      expect(cells(row), row).toHaveLength(width);
    }
  });

  it('says why failed runs stopped, in words', () => {
    expect(section(md, '### Failures')).toBe(
      [
        '### Failures',
        '',
        '- **glibc@2.35:** the 256 MiB request at event 9123 (line 9130) failed: the largest free range was 38 MiB while 1.1 GiB of address space was free.',
        '- **obmalloc@2.4+glibc@2.35:** OOM kill at event 8412 (line 8419): RSS reached 2 GiB, 12 KiB past the 2 GiB limit.',
        '',
      ].join('\n'),
    );
    expect(md).toContain('| glibc@2.35                         | allocation failed at event 9123 |');
    expect(md).toContain('| obmalloc@2.4+glibc@2.35            | OOM at event 8412               |');
  });

  it('shows the per-run options of the 32-bit trace and its skipped rows', () => {
    expect(md).toContain('- **options:** touch full, tick 1,000 ns per event without time\\_ns, memory limit 2 GiB, 32-bit address space (3 GiB user space), lenient');
    expect(md).toContain('- **skipped rows (lenient):** 2');
  });

  it('has a sweep table for the glibc mmap_threshold runs, figures by value', () => {
    const sweep = section(md, '### Parameter sweeps');
    expect(sweep).toContain('glibc@2.35 by mmap\\_threshold:');
    expect(sweep).toContain('| mmap\\_threshold       | 4096 (4 KiB) | 131072 (128 KiB) | 1048576 (1 MiB) |');
    expect(sweep).toMatch(/\| RSS at After del +\| +12\.6 MiB \| +490 MiB \| +490 MiB \|/);
    expect(md.match(/### Parameter sweeps/g)).toHaveLength(1);
  });

  it('leads with the biggest finding per model at its last mark', () => {
    const why = section(md, '### Why freed memory stays resident');
    const key = why.slice(0, why.indexOf('<details>'));
    expect(key.split('\n').filter((l) => l.startsWith('- '))).toHaveLength(6);
    expect(key).toContain(
      "- **glibc@2.35 mmap\\_threshold=128KiB:** glibc keeps 478 MiB after 'After del': a 48-byte block (id 200000, allocated at event 200000) sits above 478 MiB of free chunks and blocks the trim.",
    );
  });

  it('collapses (end) findings that repeat the last mark, and lists the rest biggest first', () => {
    const why = section(md, '### Why freed memory stays resident');
    expect(why).toContain("- At the end of the trace: the same as after 'After del'.");
    const jemalloc = why.slice(why.indexOf('**jemalloc@5.3**'), why.indexOf('**obmalloc@2.4+glibc@2.35**'));
    const sizes = [...jemalloc.matchAll(/jemalloc keeps ([\d.]+ [KM]iB) after 'After del'/g)].map((m) => m[1]);
    expect(sizes).toEqual(['3.25 MiB', '2.13 MiB', '1.5 MiB', '600 KiB', '300 KiB']);
    expect(jemalloc).toContain("- After 'After del': 2 smaller findings hold 20 KiB in all.");
  });

  it('draws address maps in folded code blocks with a legend, only where the result has them', () => {
    const maps = section(md, '### Address-space maps');
    expect(maps).toContain('`#` resident · `+` partly resident');
    expect(maps.match(/<summary>/g)).toHaveLength(1);
    expect(maps).toContain('<summary>glibc@2.35 mmap\\_threshold=128KiB: 2 marks</summary>');
    expect(maps).toContain('0x555550000000 |###');
    expect(maps).toContain('⋮ 3 empty rows');
    // 2 traces × all retention findings + 1 map block in trace 1 + 2 in trace 2
    expect(md.match(/<details>/g)).toHaveLength(5);
    expect(md.match(/<\/details>/g)).toHaveLength(5);
  });

  it('is deterministic and ignores createdAt and replay timings', () => {
    const other: ResultFile = JSON.parse(JSON.stringify(fixture));
    other.createdAt = '2030-06-01T12:00:00.000Z';
    for (const run of other.runs) run.replay = { events: run.replay.events, seconds: 99, eventsPerSecond: 1 };
    const again = renderMarkdownReport(other, options);
    expect(again.markdown).toBe(md);
    expect(again.files).toEqual(report.files);
  });

  it('has balanced code fences', () => {
    expect(md.match(/^```/gm)!.length % 2).toBe(0);
  });
});

describe('hostile text', () => {
  const evil = '<script>|x';
  const run = smallRun('glibc', '2.35', 7 * MiB, { trace: evil, mark: evil, blockId: evil, note: evil, source: evil });
  run.model.note = { title: evil, text: `${evil}\n# heading\n\`\`\`` };
  run.trace.meta = { source: evil, description: evil, [evil]: evil };
  const report = renderMarkdownReport(smallResult([run, smallRun('jemalloc', '5.3', MiB, { trace: evil, mark: evil })]), options);
  const md = report.markdown;

  it('cannot inject HTML or break a table', () => {
    expect(md).not.toContain('<script');
    const header = md.split('\n').find((l) => l.startsWith('| model'))!;
    expect(cells(header)).toHaveLength(8);
    expect(header).toContain('RSS at &lt;script&gt;\\|x');
  });

  it('cannot open a heading or a fence from a note', () => {
    expect(md).not.toMatch(/^# heading/m);
    expect(md.match(/^```/gm)).toHaveLength(2); // the mermaid block only
  });

  it('cannot break the mermaid block', () => {
    const block = md.slice(md.indexOf('```mermaid'), md.indexOf('```', md.indexOf('```mermaid') + 3) + 3);
    expect(block).toContain('title "RSS over time: _script__x"');
    expect(block).not.toMatch(/<|\|/);
    expect(block.split('\n').filter((l) => l.includes('"')).every((l) => (l.match(/"/g) ?? []).length % 2 === 0)).toBe(true);
  });

  it('cannot break the SVG or escape the chart directory', () => {
    expect(report.files[0]!.name).toBe('latest-script-x.svg');
    expect(() => checkXml(report.files[0]!.content)).not.toThrow();
    expect(report.files[0]!.content).not.toContain('<script');
  });
});

describe('headline', () => {
  it('says when every model holds the same', () => {
    const g = groupByTrace(smallResult([smallRun('glibc', '2.35', 3 * MiB), smallRun('jemalloc', '5.3', 3 * MiB)]))[0]!;
    expect(headline(g)).toBe("At 'After del' every model holds 3 MiB for 1 MiB of live data.");
    // 3 MiB and 3 MiB + 4 KiB both print as "3 MiB": a tie, said as one.
    const h = groupByTrace(smallResult([smallRun('glibc', '2.35', 3 * MiB), smallRun('jemalloc', '5.3', 3 * MiB + 4096)]))[0]!;
    expect(headline(h)).toBe("At 'After del' every model holds about 3 MiB for 1 MiB of live data.");
  });
  it('has nothing to compare with one run', () => {
    expect(headline(groupByTrace(smallResult([smallRun('glibc', '2.35', MiB)]))[0]!)).toBeNull();
  });
});

describe('many marks', () => {
  it('moves RSS at each mark into its own table, one row per mark', () => {
    const run = smallRun('glibc', '2.35', 2 * MiB);
    run.marks = [1, 2, 3, 4, 5].map((e) => ({ label: e === 5 ? 'loop' : 'loop', event: e, timeNs: e, rssBytes: e * MiB, liveBytes: MiB, mappedBytes: e * MiB, freeResidentBytes: (e - 1) * MiB }));
    const md = renderMarkdownReport(smallResult([run]), options).markdown;
    expect(md).not.toContain('RSS at loop');
    expect(md).toContain(
      [
        '| mark           | event |  live | glibc@2.35 |',
        '| -------------- | ----: | ----: | ---------: |',
        '| loop (event 1) |     1 | 1 MiB |      1 MiB |',
      ].join('\n'),
    );
  });
});

describe('sparse results', () => {
  it('renders runs without timeline points, marks, findings or failure details', () => {
    const run = smallRun('glibc', '2.35', 2 * MiB);
    run.timeline = { event: [], timeNs: [], liveBytes: [], rssBytes: [], mappedBytes: [] };
    run.marks = [];
    run.retention = [];
    run.status = 'oom';
    run.failure = null;
    run.model.note = undefined;
    (run.fragmentation as { jw4: number | null }).jw4 = null; // what JSON makes of Infinity
    const report = renderMarkdownReport(smallResult([run]), options);
    expect(report.markdown).toContain('| glibc@2.35 | OOM    |    8 MiB |     2 MiB |     4 MiB |    n/a |               1 MiB |');
    expect(report.markdown).toContain('- **glibc@2.35:** the run was OOM-killed (no details recorded).');
    expect(report.markdown).not.toContain('### Why freed memory stays resident');
    expect(report.markdown).not.toContain('### Models');
    expect(() => checkXml(report.files[0]!.content)).not.toThrow();
  });

  it('renders a result without runs', () => {
    const report = renderMarkdownReport(smallResult([]), options);
    expect(report.files).toEqual([]);
    expect(report.markdown).toContain('No runs in this result file.');
  });
});

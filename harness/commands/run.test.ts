// The CLI end to end, as a user runs it: node bin/heapreplay.js ...
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTrace } from '../../traces/writer.ts';
import type { TraceEvent } from '../../traces/types.ts';
import type { ResultFile } from '../result.ts';
import { PACKAGE_ROOT } from '../version.ts';
import { bundledTraces } from './run.ts';

const BIN = join(PACKAGE_ROOT, 'bin', 'heapreplay.js');
/** Each CLI process compiles the TypeScript through tsx: seconds apiece on a busy machine. */
const CLI_TIMEOUT = 180_000;

function ev(op: TraceEvent['op'], id: string | null, size = 0, label: string | null = null): TraceEvent {
  return { op, id, size, align: 0, thread: 0, timeNs: null, domain: 'obj', label, line: 0 };
}

function* events(): Generator<TraceEvent> {
  for (let i = 0; i < 200; i++) yield ev('malloc', String(i), i % 2 ? 48 : 20_000);
  yield ev('mark', null, 0, 'After alloc');
  for (let i = 0; i < 200; i += 2) yield ev('free', String(i));
  yield ev('mark', null, 0, 'After del');
}

function heapreplay(args: string[], cwd: string) {
  return execa('node', [BIN, ...args], { cwd, reject: false, env: { CI: '1' } });
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hr-cli-'));
  await writeTrace(join(dir, 'small.csv.gz'), { name: 'small', 'memory-limit': '64MiB' }, events());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bundledTraces', () => {
  it('lists the .csv.gz traces of a folder, sorted by name', async () => {
    const folder = join(dir, 'bundle');
    await mkdir(folder);
    for (const n of ['b.csv.gz', 'a.csv.gz', 'notes.md', 'c.csv', 'A.csv.gz']) await writeFile(join(folder, n), '');
    expect((await bundledTraces(folder)).map((p) => p.split(/[\\/]/).pop())).toEqual(['A.csv.gz', 'a.csv.gz', 'b.csv.gz']);
  });
});

describe('heapreplay run', () => {
  it('replays a trace, writes JSON, the report and its chart, and prints the summary', async () => {
    const r = await heapreplay(['run', 'small.csv.gz', '--models', 'glibc,jemalloc', '--json', 'out/r.json', '--report', 'out/r.md', '--jobs', '1', '--no-progress'], dir);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('results: out/r.json');
    expect(r.stdout).toContain('report:  out/r.md (+ 1 SVG chart beside it)');
    const result = JSON.parse(await readFile(join(dir, 'out/r.json'), 'utf8')) as ResultFile;
    expect(result.schema).toBe('heapreplay-result/1');
    expect(result.tool.name).toBe('heapreplay');
    expect(result.runs.map((x) => x.model.name)).toEqual(['glibc', 'jemalloc']);
    expect(result.runs[0]!.marks.map((m) => m.label)).toEqual(['After alloc', 'After del']);
    expect(result.runs[0]!.trace.events).toBe(302);
    // The trace's memory-limit hint applies when the command line sets none.
    expect(result.options.memoryLimitBytes).toBeNull();
    expect(result.runs[0]!.options!.memoryLimitBytes).toBe(64 * 1024 * 1024);
    expect((await readdir(join(dir, 'out'))).sort()).toEqual(['r-small.svg', 'r.json', 'r.md']);
    expect(await readFile(join(dir, 'out/r.md'), 'utf8')).toContain('r-small.svg');
  });

  it('renders the same report again from the JSON', async () => {
    const r = await heapreplay(['report', 'out/r.json', '-o', 'again/r.md'], dir);
    expect(r.exitCode).toBe(0);
    expect(await readFile(join(dir, 'again/r.md'), 'utf8')).toBe(await readFile(join(dir, 'out/r.md'), 'utf8'));
  });

  it('exits 2 with the located message on a bad trace', async () => {
    await writeFile(join(dir, 'bad.csv'), '# heapreplay-trace v1\nop,id,size\nmalloc,1,10\nfree,7,\n');
    const r = await heapreplay(['run', 'bad.csv', '--models', 'glibc', '--jobs', '1'], dir);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^heapreplay: bad\.csv:4/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('exits 2 on a missing trace or a bad option, naming what was wrong', async () => {
    const cases: [string[], string][] = [
      [['run', 'nope.csv'], 'nope.csv: no such trace file'],
      [['run'], 'name at least one trace file, or use --default-suite'],
      [['run', 'small.csv.gz', '--default-suite'], 'give either trace files or --default-suite, not both'],
      [['run', 'small.csv.gz', '--memory-limit', 'lots'], '--memory-limit "lots"'],
      [['run', 'small.csv.gz', '--models', 'tcmalloc'], 'unknown model "tcmalloc"'],
      [['run', 'small.csv.gz', '--param', 'glibc.trim_threshold=0,lots'], 'bad value "lots" for glibc.trim_threshold'],
    ];
    for (const [args, message] of cases) {
      const r = await heapreplay(args, dir);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(message);
    }
  }, CLI_TIMEOUT);

  it('exits 2 on a result file that is missing, not JSON or of another schema', async () => {
    await writeFile(join(dir, 'junk.json'), '{"schema": "something-else"}');
    const cases: [string[], string][] = [
      [['report', 'junk.json', '-o', 'x.md'], 'junk.json: expected "schema": "heapreplay-result/1"'],
      [['report', 'small.csv.gz', '-o', 'x.md'], 'small.csv.gz: not valid JSON'],
      [['report', 'absent.json'], 'absent.json: cannot read result file'],
    ];
    for (const [args, message] of cases) {
      const r = await heapreplay(args, dir);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(message);
    }
  }, CLI_TIMEOUT);
});

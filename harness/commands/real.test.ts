// `heapreplay real`, `record` and `import` through yargs, as harness/cli.ts
// registers them (each command module on its own parser here).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execa } from 'execa';
import yargs, { type CommandModule } from 'yargs';
import { writeTrace } from '../../traces/writer.ts';
import type { TraceEvent } from '../../traces/types.ts';
import { openTrace, traceEvents } from '../../traces/open.ts';
import { UsageError } from '../cli-errors.ts';
import { onPath, requireNative } from '../real/native-test-support.ts';
import type { ResultFile } from '../result.ts';
import { importCommand } from './import.ts';
import { realCommand } from './real.ts';
import { parseEnvPairs, recordCommand } from './record.ts';

const MiB = 1 << 20;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = join(ROOT, 'traces', 'importers', 'fixtures');

/** Run one command module the way the CLI would; stdout is captured. */
async function cli(command: CommandModule<object, never>, argv: string[]): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await yargs(argv)
      .command(command as CommandModule)
      .strict()
      .fail((msg, err) => {
        throw err ?? new UsageError(msg);
      })
      .parseAsync();
  } finally {
    spy.mockRestore();
  }
  return out;
}

function event(op: TraceEvent['op'], id: string | null, size = 0, label: string | null = null): TraceEvent {
  return { op, id, size, align: 0, thread: 0, timeNs: null, domain: 'obj', label, line: 0 };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heapreplay-cmd-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('heapreplay real', async () => {
  if (!requireNative(onPath('cc'), 'a C compiler (cc)', 'gcc')) return;

  it('replays a trace file under glibc and writes the result JSON and the report', async () => {
    const trace = join(dir, 'big.csv.gz');
    const events: TraceEvent[] = [];
    for (let i = 0; i < 100; i++) events.push(event('malloc', `b${i}`, MiB));
    events.push(event('mark', null, 0, 'After alloc | <b>'));
    for (let i = 0; i < 100; i++) events.push(event('free', `b${i}`));
    events.push(event('mark', null, 0, 'After free'));
    await writeTrace(trace, { name: 'big-blocks' }, events);
    const json = join(dir, 'real.json');
    const report = join(dir, 'real.md');
    const out = await cli(realCommand as CommandModule<object, never>, ['real', trace, '--allocator', 'glibc', '--json', json, '--report', report]);
    expect(out).toContain('glibc (real)');
    const result = JSON.parse(await readFile(json, 'utf8')) as ResultFile;
    expect(result.schema).toBe('heapreplay-result/1');
    expect(result.runs).toHaveLength(1);
    const run = result.runs[0]!;
    expect(run.trace.name).toBe('big-blocks');
    expect(run.marks.map((m) => m.label)).toEqual(['After alloc | <b>', 'After free']);
    expect(run.marks[0]!.rssBytes).toBeGreaterThanOrEqual(100 * MiB);
    expect(run.marks[1]!.rssBytes).toBeLessThan(4 * MiB);
    const md = await readFile(report, 'utf8');
    expect(md).toContain('glibc (real)');
    expect(md).toContain('big-blocks');
  });

  it('rejects a bad allocator: unknown name, missing file, a file that is not a library', async () => {
    const trace = join(dir, 'small.csv');
    await writeTrace(trace, {}, [event('malloc', 'a', 10), event('free', 'a')]);
    await expect(cli(realCommand as CommandModule<object, never>, ['real', trace, '--allocator', 'hoard'])).rejects.toThrow(/unknown allocator "hoard"/);
    await expect(cli(realCommand as CommandModule<object, never>, ['real', trace, '--allocator', join(dir, 'nope.so')])).rejects.toThrow(/not found/);
    const notLib = join(dir, 'notlib.so');
    await writeFile(notLib, 'this is not an ELF file');
    const err = await cli(realCommand as CommandModule<object, never>, ['real', trace, '--allocator', notLib]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/could not be preloaded/);
    await expect(cli(realCommand as CommandModule<object, never>, ['real', trace, '--idle-ms', '-5'])).rejects.toThrow(/--idle-ms -5 is not valid/);
  });

  it('the CLI exits 2 with a one-line message, no stack trace, for a missing library', async () => {
    const trace = join(dir, 'small2.csv');
    await writeTrace(trace, {}, [event('malloc', 'a', 10), event('free', 'a')]);
    const r = await execa('node', [join(ROOT, 'bin', 'heapreplay.js'), 'real', trace, '--allocator', join(dir, 'missing.so')], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`heapreplay: allocator library ${join(dir, 'missing.so')} not found (no such file)`);
  });
});

describe('heapreplay record', async () => {
  it('parses --env pairs', () => {
    expect(parseEnvPairs(['PYTHONMALLOC=malloc', 'A=b=c'])).toEqual({ PYTHONMALLOC: 'malloc', A: 'b=c' });
    expect(() => parseEnvPairs(['=x'])).toThrow(/expected NAME=value/);
  });

  if (!requireNative(onPath('cc'), 'a C compiler (cc)', 'gcc')) return;
  it('runs the command after -- with its own options, and writes a valid trace', async () => {
    const out = join(dir, 'sh.csv.gz');
    // The options after -- belong to the command (sh -c), not to heapreplay.
    const text = await cli(recordCommand as CommandModule<object, never>, ['record', '-o', out, '--env', 'X=1', '--', 'sh', '-c', 'test "$X" = 1 && ls / > /dev/null']);
    expect(text).toMatch(/^recorded \d+ events \(0 marks\) from "sh -c test/);
    const source = await openTrace(out);
    let n = 0;
    for await (const _ of traceEvents(source)) n++;
    expect(n).toBeGreaterThan(0);
    expect(source.meta['exit-code']).toBe('0');
    expect(source.meta['env-X']).toBe('1');
  });
});

describe('heapreplay import', () => {
  it('imports a valgrind log', async () => {
    const out = join(dir, 'vg.csv');
    const text = await cli(importCommand as CommandModule<object, never>, ['import', '--from', 'valgrind', join(FIXTURES, 'tiny.valgrind.log'), '-o', out]);
    expect(text).toMatch(/^imported 32 events from .*tiny\.valgrind\.log \(valgrind\)/);
    await expect(cli(importCommand as CommandModule<object, never>, ['import', '--from', 'perf', 'x', '-o', out])).rejects.toThrow(/Invalid values/);
  });
});

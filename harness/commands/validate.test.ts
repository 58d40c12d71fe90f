// `heapreplay validate` and `heapreplay compile` end to end: exit codes and what the user reads.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { formatNs, groupDigits } from './validate.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'heapreplay.js');
const FIXTURE = join(ROOT, 'traces', 'fixtures', 'tiny.csv');
const dir = mkdtempSync(join(tmpdir(), 'heapreplay-validate-cli-'));

function heapreplay(...args: string[]) {
  return execa('node', [BIN, ...args], { cwd: dir, reject: false, env: { CI: '1' } });
}

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe('heapreplay validate', () => {
  it('prints the figures of a good trace and exits 0', async () => {
    const r = await heapreplay('validate', FIXTURE);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('tiny.csv: ok (csv)');
    expect(r.stdout).toContain('events        8 (malloc 1, calloc 1, realloc 1, memalign 1, free 2, mark 2)');
    expect(r.stdout).toContain('peak live     11.9 KiB (12,160 bytes) at line 8; at most 3 blocks live');
    expect(r.stdout).toContain('line 11: "After del, \\"really\\"" (live 4.06 KiB)');
  });

  it('exits 2 with the located message and no stack trace on a bad trace', async () => {
    const bad = file('bad.csv', 'op,id,size\nmalloc,1,10\nfree,2,\n');
    const r = await heapreplay('validate', bad);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe('heapreplay: bad.csv:3 (column id): found "2", expected an id that is live (free of an id never allocated)');
    noStack(r.stderr);
  });

  it('goes on past a bad trace, reports each, and exits 2 at the end', async () => {
    const bad1 = file('bad1.csv', 'op,id,size\nmalloc,1,-3\n');
    const bad2 = file('bad2.csv', 'op,idd\n');
    const r = await heapreplay('validate', bad1, FIXTURE, bad2, '--json');
    expect(r.exitCode).toBe(2);
    const reports = JSON.parse(r.stdout) as { path: string; error?: string; stats?: { events: number } }[];
    expect(reports.map((x) => x.path)).toEqual([bad1, FIXTURE, bad2]);
    expect(reports[1]!.stats!.events).toBe(8);
    expect(reports[0]!.error).toMatch(/^bad1\.csv:2 \(column size\): found "-3"/);
    expect(r.stderr).toContain('heapreplay: bad1.csv:2 (column size)');
    expect(r.stderr).toContain('heapreplay: bad2.csv:1: found "idd", expected a v1 column name');
    expect(r.stderr).toContain('heapreplay: 2 of 3 traces failed validation');
    noStack(r.stderr);
  });

  it('--lenient counts the skipped rows and exits 0', async () => {
    const bad = file('lenient.csv', 'op,id,size\nmalloc,1,10\nfree,2,\nfree,1,\n');
    const r = await heapreplay('validate', bad, '--lenient');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('skipped rows  1 (lenient); the first:');
    expect(r.stdout).toContain('lenient.csv:3 (column id): found "2"');
  });
});

describe('heapreplay compile', () => {
  it('writes the compiled trace, prints events, bytes and rate, and the result validates', async () => {
    const r = await heapreplay('compile', FIXTURE, 'tiny.hrt');
    expect(r.exitCode).toBe(0);
    const bytes = readFileSync(join(dir, 'tiny.hrt')).length;
    expect(r.stdout).toMatch(new RegExp(`-> tiny\\.hrt: 8 events, ${groupDigits(bytes)} bytes \\(.*\\) written in [\\d.]+ s \\([\\d,]+ events/s\\)`));
    const v = await heapreplay('validate', 'tiny.hrt');
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toContain('tiny.hrt: ok (compiled)');
  });

  it('exits 2 on a bad trace and writes nothing', async () => {
    const bad = file('bad-compile.csv', 'op,id,size\nmemalign,1,10\n');
    const r = await heapreplay('compile', bad, 'bad.hrt');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^heapreplay: bad-compile\.csv:2 \(column align\): found "", expected a power-of-two alignment/);
    expect(existsSync(join(dir, 'bad.hrt'))).toBe(false);
  });
});

describe('formatting helpers', () => {
  it('groups digits without the locale and scales nanoseconds', () => {
    expect(groupDigits(1234567)).toBe('1,234,567');
    expect(groupDigits(999)).toBe('999');
    expect(formatNs(999)).toBe('999 ns');
    expect(formatNs(1500)).toBe('1.5 µs');
    expect(formatNs(2_340_000_000)).toBe('2.34 s');
  });
});

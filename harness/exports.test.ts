import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureResult } from '../reports/fixtures/build-fixture.ts';
import { checkBmf, checkGab } from '../reports/exports/format-check.ts';
import { UsageError } from './cli-errors.ts';
import { parseExportTarget, parseExportTargets, writeExports } from './exports.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hr-exports-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('--export parsing', () => {
  it('splits format:path at the first colon, so the path may hold colons', () => {
    const t = parseExportTarget('gab:out/a:b.json');
    expect(t.format).toBe('gab');
    expect(t.path).toBe('out/a:b.json');
    expect(t.exporter.format).toBe('gab');
    expect(parseExportTarget('bmf:x.json').exporter.format).toBe('bmf');
  });

  it('names the valid formats when the format is unknown', () => {
    expect(() => parseExportTarget('csv:out.csv')).toThrow(UsageError);
    expect(() => parseExportTarget('csv:out.csv')).toThrow(/unknown format "csv"; expected one of gab \(.+\), bmf \(.+\)/);
  });

  it('rejects a missing colon and a missing path', () => {
    expect(() => parseExportTarget('gab')).toThrow(/expected format:file/);
    expect(() => parseExportTarget('gab:')).toThrow(/no file after "gab:"/);
    expect(() => parseExportTarget(':x.json')).toThrow(/unknown format ""/);
  });

  it('rejects two exports into one file, and takes none', () => {
    expect(() => parseExportTargets(['gab:same.json', 'bmf:./same.json'])).toThrow(/write the same file/);
    expect(parseExportTargets(undefined)).toEqual([]);
    expect(parseExportTargets(['gab:a.json', 'bmf:b.json']).map((t) => t.format)).toEqual(['gab', 'bmf']);
  });
});

describe('writeExports', () => {
  it('writes each format valid by its documented shape', async () => {
    const result = buildFixtureResult();
    result.runs[0]!.replay.samplesMs = [10, 12, 11];
    const targets = parseExportTargets([`gab:${join(dir, 'g.json')}`, `bmf:${join(dir, 'sub', 'm.json')}`]);
    const lines = await writeExports(result, targets);
    expect(lines).toEqual([`export:  ${join(dir, 'g.json')} (gab)`, `export:  ${join(dir, 'sub', 'm.json')} (bmf)`]);
    const gab = JSON.parse(await readFile(join(dir, 'g.json'), 'utf8')) as unknown[];
    const bmf = JSON.parse(await readFile(join(dir, 'sub', 'm.json'), 'utf8')) as Record<string, unknown>;
    expect(checkGab(gab)).toEqual([]);
    expect(checkBmf(bmf)).toEqual([]);
    // two memory entries per run, plus one timing entry for the one run with samples
    expect(gab).toHaveLength(2 * result.runs.length + 1);
    expect(Object.keys(bmf)).toHaveLength(result.runs.length);
  });
});

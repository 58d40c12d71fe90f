// `report results.json --export format:file`: tracker files from a stored result, no replay.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FIXTURE_PATH } from '../../reports/fixtures/build-fixture.ts';
import { checkBmf, checkGab } from '../../reports/exports/format-check.ts';
import { reportCommand } from './report.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hr-report-export-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Handler = (args: { results: string; output?: string; export?: string[] }) => Promise<void>;
const handler = reportCommand.handler as unknown as Handler;

describe('report --export', () => {
  it('writes the tracker files and, without -o, no markdown on stdout', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let stdout = '';
    let stderr = '';
    try {
      await handler({ results: FIXTURE_PATH, export: [`gab:${join(dir, 'g.json')}`, `bmf:${join(dir, 'm.json')}`] });
    } finally {
      stdout = out.mock.calls.map((c) => String(c[0])).join('');
      stderr = err.mock.calls.map((c) => String(c[0])).join('');
      out.mockRestore();
      err.mockRestore();
    }
    expect(stdout).toBe('');
    expect(stderr).toContain(`export:  ${join(dir, 'g.json')} (gab)`);
    expect(checkGab(JSON.parse(await readFile(join(dir, 'g.json'), 'utf8')))).toEqual([]);
    expect(checkBmf(JSON.parse(await readFile(join(dir, 'm.json'), 'utf8')))).toEqual([]);
  });

  it('rejects a bad format before reading the result file', async () => {
    await expect(handler({ results: join(dir, 'missing.json'), export: ['junit:x.xml'] })).rejects.toThrow(/unknown format "junit"/);
  });
});

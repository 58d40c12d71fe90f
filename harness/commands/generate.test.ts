import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CASE_STUDY_NAMES } from '../../traces/case-studies/index.ts';
import { UsageError } from '../cli-errors.ts';
import { describeCaseStudies, generateCommand, resolveGenerateArgs } from './generate.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heapreplay-generate-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runHandler(args: Record<string, unknown>): Promise<string> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  try {
    await (generateCommand.handler as (a: Record<string, unknown>) => Promise<void>)({ scale: 1, seed: 1, list: false, _: [], $0: 'heapreplay', ...args });
  } finally {
    spy.mockRestore();
  }
  return out.join('');
}

describe('heapreplay generate', () => {
  it('--list names every case study with its source', async () => {
    const text = await runHandler({ list: true });
    for (const name of CASE_STUDY_NAMES) expect(text).toContain(name);
    expect(text).toContain('seed 001');
    expect(describeCaseStudies()).toBe(text);
  });

  it('rejects an unknown name with a UsageError that lists the valid names', () => {
    const attempt = () => resolveGenerateArgs({ name: 'frag', scale: 1, seed: 1, output: 'x.csv' });
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(/unknown case study "frag".*big-small-interleaving.*sawtooth/);
  });

  it('rejects a scale that is not > 0, a bad seed and a missing -o', () => {
    for (const scale of [0, -1, Number.NaN, Infinity]) {
      expect(() => resolveGenerateArgs({ name: 'sawtooth', scale, seed: 1, output: 'x.csv' })).toThrow(/--scale must be a number > 0/);
    }
    expect(() => resolveGenerateArgs({ name: 'sawtooth', scale: 1, seed: 1.5, output: 'x.csv' })).toThrow(/--seed/);
    expect(() => resolveGenerateArgs({ name: 'sawtooth', scale: 1, seed: 1 })).toThrow(/-o <file>/);
    expect(() => resolveGenerateArgs({ scale: 1, seed: 1, output: 'x.csv' })).toThrow(UsageError);
  });

  it('writes the trace and prints its events, bytes and sha256', async () => {
    const path = join(dir, 'saw.csv.gz');
    const text = await runHandler({ name: 'sawtooth', scale: 0.05, seed: 7, output: path });
    const bytes = await readFile(path);
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(text).toMatch(new RegExp(`sawtooth → .*saw\\.csv\\.gz: \\d+ events, ${bytes.length} bytes, sha256 ${sha}`));
    const csv = gunzipSync(bytes).toString('utf8');
    expect(csv).toContain('# seed: 7');
    expect(csv).toContain('# scale: 0.05');
    expect(csv.split('\n').find((l) => l.startsWith('op,'))).toBe('op,id,size,time_ns,domain,label');
    const events = Number(/: (\d+) events/.exec(text)![1]);
    expect(csv.trimEnd().split('\n').filter((l) => !l.startsWith('#')).length).toBe(events + 1);
  });

  it('writes plain CSV when the name has no .gz', async () => {
    const path = join(dir, 'frag.csv');
    await runHandler({ name: 'address-space-32bit', scale: 0.1, seed: 1, output: path });
    expect((await readFile(path, 'utf8')).startsWith('# heapreplay-trace v1\n# name: address-space-32bit\n')).toBe(true);
  });
});

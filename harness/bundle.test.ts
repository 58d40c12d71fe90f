// bin/bundle.js (the CLI's and the workers' fast loader), tested here because
// the test runner looks under harness/ and the other source folders only.
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleOf } from '../bin/bundle.js';

let root = '';
let dir = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hr-bundle-'));
  dir = join(root, 'cache');
  await mkdir(join(root, 'lib'));
  await writeFile(join(root, 'lib', 'where.ts'), "export const here: string = new URL('.', import.meta.url).href;\nexport class Named {}\n");
  await writeFile(join(root, 'lib', 'value.ts'), 'export const value: number = 1;\n');
  await writeFile(join(root, 'main.ts'), "import { here, Named } from './lib/where.ts';\nimport { value } from './lib/value.ts';\nexport const result = { here, value, name: Named.name };\n");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function load(bundle: string): Promise<{ here: string; value: number; name: string }> {
  // A query makes each import a fresh module instance.
  const mod = (await import(`${pathToFileURL(bundle).href}?${Date.now()}`)) as { result: { here: string; value: number; name: string } };
  return mod.result;
}

describe('bundleOf', () => {
  it('bundles an entry with each module seeing its own import.meta.url, and keeps class names', async () => {
    const bundle = await bundleOf('main.ts', { root, dir });
    expect(bundle).not.toBeNull();
    expect(bundle!.startsWith(dir)).toBe(true);
    const result = await load(bundle!);
    // where.ts sits in lib/: its URL, not the bundle's, is what it sees.
    expect(result.here).toBe(pathToFileURL(join(root, 'lib')).href + '/');
    expect(result.value).toBe(1);
    expect(result.name).toBe('Named');
  });

  it('reuses the bundle while the sources stand still, and makes a new one when one changes', async () => {
    const first = await bundleOf('main.ts', { root, dir });
    const firstStat = await stat(first!);
    expect(await bundleOf('main.ts', { root, dir })).toBe(first);
    expect((await stat(first!)).mtimeMs).toBe(firstStat.mtimeMs);
    // A change in a module the entry imports: new contents, new bundle.
    await writeFile(join(root, 'lib', 'value.ts'), 'export const value: number = 2;\n');
    const later = new Date(Date.now() + 5000);
    await utimes(join(root, 'lib', 'value.ts'), later, later);
    const second = await bundleOf('main.ts', { root, dir });
    expect(second).not.toBe(first);
    expect((await load(second!)).value).toBe(2);
    // The manifest now names the new bundle.
    expect(await bundleOf('main.ts', { root, dir })).toBe(second);
    expect((await readdir(dir)).filter((n) => n.endsWith('.json'))).toHaveLength(1);
  });

  it('says null when the entry does not compile, so the caller loads through tsx', async () => {
    await writeFile(join(root, 'broken.ts'), 'export const x: number = ;\n');
    expect(await bundleOf('broken.ts', { root, dir })).toBeNull();
  });

  it('says null when HEAPREPLAY_BUNDLE=0', async () => {
    const saved = process.env.HEAPREPLAY_BUNDLE;
    process.env.HEAPREPLAY_BUNDLE = '0';
    try {
      expect(await bundleOf('main.ts', { root, dir })).toBeNull();
    } finally {
      if (saved === undefined) delete process.env.HEAPREPLAY_BUNDLE;
      else process.env.HEAPREPLAY_BUNDLE = saved;
    }
  });
});

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitCommit, PACKAGE_ROOT, toolIdentity } from './version.ts';

describe('version', () => {
  it('reads the version from package.json', async () => {
    const pkg = JSON.parse(await readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
    const id = await toolIdentity();
    expect(id.name).toBe('heapreplay');
    expect(id.version).toBe(pkg.version);
    expect(id.commit === null || /^[0-9a-f]{40}$/.test(id.commit!)).toBe(true);
  });

  it('gives null outside a git checkout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hr-nogit-'));
    try {
      expect(await gitCommit(dir)).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

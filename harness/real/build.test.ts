import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNative, buildReplayer, nativeCacheDir } from './build.ts';
import { onPath, requireNative } from './native-test-support.ts';

describe('native build cache', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'heapreplay-build-'));
    env = { ...process.env, HEAPREPLAY_CACHE_DIR: join(dir, 'cache') };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('puts builds under HEAPREPLAY_CACHE_DIR, else XDG_CACHE_HOME/heapreplay', () => {
    expect(nativeCacheDir({ HEAPREPLAY_CACHE_DIR: '/x/y' })).toBe('/x/y');
    expect(nativeCacheDir({ XDG_CACHE_HOME: '/c' })).toBe('/c/heapreplay');
  });

  if (requireNative(onPath('cc'), 'a C compiler (cc)', 'gcc')) {
    it('builds once, reuses the cached build, and rebuilds when the source changes', async () => {
      const source = join(dir, 'hello.c');
      await writeFile(source, '#include <stdio.h>\nint main(void) { puts("one"); return 0; }\n');
      const first = await buildNative({ source, kind: 'executable' }, env);
      expect(first.built).toBe(true);
      expect((await execa(first.path)).stdout).toBe('one');
      const mtime = (await stat(first.path)).mtimeMs;

      const again = await buildNative({ source, kind: 'executable' }, env);
      expect(again).toEqual({ ...first, built: false });
      expect((await stat(again.path)).mtimeMs).toBe(mtime);

      await writeFile(source, '#include <stdio.h>\nint main(void) { puts("two"); return 0; }\n');
      const changed = await buildNative({ source, kind: 'executable' }, env);
      expect(changed.built).toBe(true);
      expect(changed.path).not.toBe(first.path);
      expect((await execa(changed.path)).stdout).toBe('two');
    });

    it('keys the cache on the compiler arguments too (a shared library is a different build)', async () => {
      const source = join(dir, 'lib.c');
      await writeFile(source, 'int answer(void) { return 42; }\n');
      const shared = await buildNative({ source, kind: 'shared' }, env);
      const withLibs = await buildNative({ source, kind: 'shared', libs: ['-ldl'] }, env);
      expect(shared.path.endsWith('.so')).toBe(true);
      expect(withLibs.key).not.toBe(shared.key);
    });

    it('reports compiler errors with the compiler output', async () => {
      const source = join(dir, 'broken.c');
      await writeFile(source, 'int main(void) { return missing_symbol; }\n');
      await expect(buildNative({ source, kind: 'executable' }, env)).rejects.toThrow(/compiling .*broken\.c failed:[\s\S]*missing_symbol/);
    });

    it('names the package to install when there is no compiler', async () => {
      const source = join(dir, 'hello.c');
      await writeFile(source, 'int main(void) { return 3; }\n');
      await expect(buildNative({ source, kind: 'executable' }, { ...env, CC: 'no-such-compiler-xyz' })).rejects.toThrow(/no C compiler found .*gcc/);
    });

    it('builds the native replayer, which rejects a file that is not a replay stream', async () => {
      const replayer = await buildReplayer(env);
      const bogus = join(dir, 'bogus.bin');
      await writeFile(bogus, 'not a stream at all, no magic here....');
      const r = await execa(replayer.path, [bogus], { reject: false });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain('bad magic');
      expect((await readFile(replayer.path)).length).toBeGreaterThan(1000);
    });
  }
});

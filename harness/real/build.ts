// Builds heapreplay's small C programs (the native replayer, the recorder shim)
// with the system compiler on first use, into a cache keyed by the sha256 of
// the source and the compiler arguments: a changed source or flag gives a new
// key and so a rebuild, while an unchanged one is reused across runs.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { execa } from 'execa';
import { UsageError } from '../cli-errors.ts';
import { PACKAGE_ROOT } from '../version.ts';

export interface NativeBuildSpec {
  /** Absolute path of the C source. */
  source: string;
  /** `executable` for the replayer, `shared` for an LD_PRELOAD shim. */
  kind: 'executable' | 'shared';
  /** Extra compiler arguments placed after the source (libraries such as -ldl). */
  libs?: readonly string[];
}

export interface NativeBuild {
  /** Path of the built program or library. */
  path: string;
  /** Whether this call compiled it (false: taken from the cache). */
  built: boolean;
  /** The cache key (sha256 of source, kind and arguments). */
  key: string;
}

/**
 * Where built programs live: HEAPREPLAY_CACHE_DIR, else $XDG_CACHE_HOME/heapreplay,
 * else node_modules/.cache/heapreplay inside the checkout (so CI needs no home
 * directory), else ~/.cache/heapreplay.
 */
export function nativeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HEAPREPLAY_CACHE_DIR) return resolve(env.HEAPREPLAY_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'heapreplay');
  if (existsSync(join(PACKAGE_ROOT, 'node_modules'))) return join(PACKAGE_ROOT, 'node_modules', '.cache', 'heapreplay');
  return join(homedir(), '.cache', 'heapreplay');
}

/** The compiler: $CC when set, else `cc`. */
function compiler(env: NodeJS.ProcessEnv): string {
  return env.CC && env.CC.trim() ? env.CC.trim() : 'cc';
}

function compilerArgs(spec: NativeBuildSpec): string[] {
  const common = ['-O2', '-g', '-std=gnu11', '-Wall', '-Wextra', '-Werror'];
  const kindArgs = spec.kind === 'shared' ? ['-shared', '-fPIC'] : [];
  return [...common, ...kindArgs];
}

/** Build `spec.source` unless a build of the same source and arguments is cached. */
export async function buildNative(spec: NativeBuildSpec, env: NodeJS.ProcessEnv = process.env): Promise<NativeBuild> {
  let sourceText: Buffer;
  try {
    sourceText = await readFile(spec.source);
  } catch (err) {
    throw new Error(`cannot read the C source ${spec.source}: ${(err as Error).message}`);
  }
  const cc = compiler(env);
  const args = compilerArgs(spec);
  const libs = spec.libs ?? [];
  const key = createHash('sha256')
    .update(sourceText)
    .update('\0')
    .update([cc, spec.kind, ...args, ...libs].join('\0'))
    .digest('hex');
  const stem = basename(spec.source).replace(/\.c$/, '');
  const dir = nativeCacheDir(env);
  const suffix = spec.kind === 'shared' ? '.so' : '';
  const path = join(dir, `${stem}-${key.slice(0, 16)}${suffix}`);
  if (existsSync(path)) return { path, built: false, key };

  await mkdir(dir, { recursive: true });
  // Compile beside the target and rename, so parallel test workers or two runs
  // never see (or execute) a half-written binary.
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await execa(cc, [...args, '-o', tmp, spec.source, ...libs], { env, stdin: 'ignore' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') {
      throw new UsageError(`no C compiler found ("${cc}"): heapreplay builds ${basename(spec.source)} on first use; install gcc (Debian package gcc, or build-essential) or set CC`);
    }
    throw new Error(`compiling ${spec.source} failed:\n${e.stderr ?? e.message}`);
  }
  return { path, built: true, key };
}

/** The native replayer, built on first use. */
export function buildReplayer(env: NodeJS.ProcessEnv = process.env): Promise<NativeBuild> {
  // -ldl: dlsym lives in libdl before glibc 2.34. -z now: every symbol is bound
  // at load, before the replayer's baseline, so no lazy binding runs mid-replay.
  return buildNative({ source: join(PACKAGE_ROOT, 'harness', 'real', 'replay.c'), kind: 'executable', libs: ['-ldl', '-Wl,-z,now'] }, env);
}

/** The recorder shim (LD_PRELOAD), built on first use. */
export function buildRecorderShim(env: NodeJS.ProcessEnv = process.env): Promise<NativeBuild> {
  return buildNative({ source: join(PACKAGE_ROOT, 'traces', 'recorder', 'heapreplay-record.c'), kind: 'shared', libs: ['-ldl', '-lpthread'] }, env);
}

// Finds the shared library for a real allocator (`ldconfig -p`), and when it is
// missing says which Debian package provides it.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { execa } from 'execa';
import { UsageError } from '../cli-errors.ts';

export interface AllocatorLibrarySpec {
  /** The name `--allocator` takes. */
  name: string;
  /** Library sonames to look for, preferred first. */
  sonames: readonly string[];
  /** The Debian package that installs the first soname. */
  debianPackage: string;
}

export const KNOWN_ALLOCATORS: readonly AllocatorLibrarySpec[] = [
  { name: 'jemalloc', sonames: ['libjemalloc.so.2'], debianPackage: 'libjemalloc2' },
  { name: 'tcmalloc', sonames: ['libtcmalloc_minimal.so.4', 'libtcmalloc.so.4'], debianPackage: 'libtcmalloc-minimal4' },
  { name: 'mimalloc', sonames: ['libmimalloc.so.2'], debianPackage: 'libmimalloc2.0' },
];

/** A resolved allocator: what to preload (null for the C library's own malloc). */
export interface ResolvedAllocator {
  /** `glibc`, `jemalloc`..., or the library's path for a custom one. */
  name: string;
  /** The model name in results, e.g. "jemalloc (real)". */
  modelName: string;
  /** Absolute path for LD_PRELOAD, or null for glibc. */
  preload: string | null;
}

/** soname → path, parsed from `ldconfig -p` output (first entry for the machine's word size wins). */
export function parseLdconfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)\s*$/.exec(line);
    if (!m) continue;
    const [, soname, flags, path] = m as unknown as [string, string, string, string];
    // Skip 32-bit entries on a 64-bit machine (libc6 without x86-64, or ,x32).
    if (process.arch === 'x64' && !flags.includes('x86-64')) continue;
    if (!out.has(soname)) out.set(soname, path);
  }
  return out;
}

let cache: Promise<Map<string, string>> | null = null;

/** The dynamic linker's cache; ldconfig lives in /sbin, which may not be on PATH. */
export function systemLibraries(): Promise<Map<string, string>> {
  cache ??= (async () => {
    for (const cmd of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
      try {
        const { stdout } = await execa(cmd, ['-p'], { stdin: 'ignore' });
        return parseLdconfig(stdout);
      } catch {
        // try the next location
      }
    }
    return new Map<string, string>();
  })();
  return cache;
}

/**
 * Resolve `--allocator` to a library to preload; a missing one is a UsageError
 * naming its package. `installed` replaces the ldconfig lookup (tests).
 */
export async function resolveAllocator(name: string, installed?: Map<string, string>): Promise<ResolvedAllocator> {
  if (name === 'glibc' || name === 'system') return { name: 'glibc', modelName: 'glibc (real)', preload: null };
  if (name.includes('/') || name.endsWith('.so') || /\.so(\.\d+)*$/.test(name)) {
    const path = isAbsolute(name) ? name : resolve(name);
    if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`allocator library ${name} not found (no such file)`);
    return { name: path, modelName: `${path} (real)`, preload: path };
  }
  const spec = KNOWN_ALLOCATORS.find((a) => a.name === name);
  if (!spec) {
    throw new UsageError(`unknown allocator "${name}"; expected glibc, ${KNOWN_ALLOCATORS.map((a) => a.name).join(', ')} or a path to a malloc library (.so)`);
  }
  const libs = installed ?? (await systemLibraries());
  for (const soname of spec.sonames) {
    const path = libs.get(soname);
    if (path && existsSync(path)) return { name: spec.name, modelName: `${spec.name} (real)`, preload: path };
  }
  throw new UsageError(
    `the ${spec.name} library (${spec.sonames.join(' or ')}) is not installed; install the Debian package ${spec.debianPackage} (apt-get install ${spec.debianPackage}) or pass --allocator /path/to/lib.so`,
  );
}

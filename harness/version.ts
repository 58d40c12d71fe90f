// Who made a result file: the tool's version from package.json and, when the
// tool runs from a git checkout, the commit, so a number in a report can be
// traced to the code that produced it.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { ResultFile } from './result.ts';

/** The repository (package) root: the folder above harness/. */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function toolVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

/**
 * `git rev-parse HEAD` in the package root, without a shell; null when git is
 * missing, the folder is not a checkout, or the answer is not a commit id.
 */
export async function gitCommit(cwd: string = PACKAGE_ROOT): Promise<string | null> {
  try {
    const r = await execa('git', ['rev-parse', 'HEAD'], { cwd, reject: false, timeout: 5000, stdin: 'ignore' });
    const out = typeof r.stdout === 'string' ? r.stdout.trim() : '';
    return r.exitCode === 0 && /^[0-9a-f]{40}$/.test(out) ? out : null;
  } catch {
    return null;
  }
}

export async function toolIdentity(): Promise<ResultFile['tool']> {
  const [version, commit] = await Promise.all([toolVersion(), gitCommit()]);
  return { name: 'heapreplay', version, commit };
}

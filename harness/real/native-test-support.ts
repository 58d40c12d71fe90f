// For tests that need a native tool or library (cc, libjemalloc2, valgrind,
// heaptrack): on a developer machine a missing one skips with a note that says
// what to install; in CI (process.env.CI set) it is a failing test with the
// same explanation, so a CI image that lost a package fails loudly instead of
// passing by skipping.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { it } from 'vitest';

/** Whether an executable is on PATH. */
export function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}

/**
 * Returns true when the tests that need `what` can run. Otherwise registers a
 * skipped test (locally) or a failing one (CI) naming the Debian package.
 */
export function requireNative(available: boolean, what: string, debianPackage: string): boolean {
  if (available) return true;
  const message = `${what} is not installed; install the Debian package ${debianPackage} (apt-get install ${debianPackage})`;
  if (process.env.CI) {
    it(`needs ${what} (Debian package ${debianPackage})`, () => {
      throw new Error(`${message}. CI must install it before running the tests (see .ci/run).`);
    });
  } else {
    it.skip(`needs ${what}: ${message}`, () => {});
  }
  return false;
}

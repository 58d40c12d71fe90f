// Errors the CLI reports as a plain message and exit code 2 (bad input),
// never as a stack trace.
import { ModelSpecError } from '../allocators/registry.ts';
import { TraceError } from '../traces/types.ts';

/** A bad command line or input file that is not a trace (a result JSON, a shard spec...). */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT_BAD_INPUT = 2;
export const EXIT_INTERNAL = 3;

export function isUserError(err: unknown): err is Error {
  if (err instanceof TraceError || err instanceof ModelSpecError || err instanceof UsageError) return true;
  // File-system errors on paths the user gave (ENOENT, EACCES, EISDIR) are input problems too.
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOTDIR';
}

/** Print an error the way the CLI does and return the exit code to use. */
export function reportError(err: unknown): number {
  if (isUserError(err)) {
    process.stderr.write(`heapreplay: ${err.message}\n`);
    return EXIT_BAD_INPUT;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`heapreplay: internal error: ${message}\n`);
  if (process.env.HEAPREPLAY_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  else process.stderr.write('(set HEAPREPLAY_DEBUG=1 to see where)\n');
  return EXIT_INTERNAL;
}

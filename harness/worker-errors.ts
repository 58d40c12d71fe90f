// Errors cross the worker boundary as plain data (structured clone keeps only
// the message of an Error); rebuilding them as the same classes keeps the
// CLI's exit codes and located messages.
import { ModelSpecError } from '../allocators/model-spec-error.ts';
import { TraceError } from '../traces/types.ts';
import { UsageError } from './cli-errors.ts';

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  trace?: { file: string; line: number; column: string | null; found: string; expected: string };
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof TraceError) {
    return { name: err.name, message: err.message, trace: { file: err.file, line: err.line, column: err.column, found: err.found, expected: err.expected } };
  }
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return { name: err.name, message: err.message, stack: err.stack, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(err) };
}

export function deserializeError(e: SerializedError): Error {
  if (e.trace) return new TraceError(e.trace.file, e.trace.line, e.trace.column, e.trace.found, e.trace.expected);
  if (e.name === 'ModelSpecError') return new ModelSpecError(e.message);
  if (e.name === 'UsageError') return new UsageError(e.message);
  const err = new Error(e.message) as NodeJS.ErrnoException;
  if (e.code) err.code = e.code;
  if (e.stack) err.stack = e.stack;
  return err;
}

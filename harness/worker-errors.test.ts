import { describe, expect, it } from 'vitest';
import { ModelSpecError } from '../allocators/model-spec-error.ts';
import { TraceError } from '../traces/types.ts';
import { isUserError, UsageError } from './cli-errors.ts';
import { deserializeError, serializeError } from './worker-errors.ts';

/** What structured clone does to a message: plain data only. */
function cross(err: unknown): Error {
  return deserializeError(structuredClone(serializeError(err)));
}

describe('errors across the worker boundary', () => {
  it('rebuilds a TraceError with its location and message', () => {
    const original = new TraceError('t.csv', 7, 'id', '42', 'an id that is live');
    const back = cross(original);
    expect(back).toBeInstanceOf(TraceError);
    expect(back.message).toBe(original.message);
    expect((back as TraceError).line).toBe(7);
  });

  it('keeps the classes and codes that make the CLI exit 2', () => {
    expect(cross(new ModelSpecError('unknown model "x"'))).toBeInstanceOf(ModelSpecError);
    expect(cross(new UsageError('bad --shard'))).toBeInstanceOf(UsageError);
    const enoent = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    expect(isUserError(cross(enoent))).toBe(true);
  });

  it('leaves other errors internal, with their stack for debugging', () => {
    const back = cross(new RangeError('model bug'));
    expect(isUserError(back)).toBe(false);
    expect(back.message).toBe('model bug');
    expect(back.stack).toContain('RangeError: model bug');
  });
});

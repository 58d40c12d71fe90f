import { describe, expect, it } from 'vitest';
import { UsageError } from './cli-errors.ts';
import { addressSpaceOptionsFor, commandOptionsRecord, effectiveRunOptions, parseMemoryLimit } from './run-options.ts';

const GiB = 1024 ** 3;

describe('run options', () => {
  it('takes the trace hints when the command line does not set them', () => {
    const r = effectiveRunOptions({}, { 'address-space': '32', 'memory-limit': '2GiB' }, 't.csv');
    expect(r).toEqual({ touch: 'full', tickNs: 1000, memoryLimitBytes: 2 * GiB, addressSpaceBits: 32, userSpaceBytes: 3 * GiB, lenient: false });
    expect(addressSpaceOptionsFor(r)).toEqual({ bits: 32, userSpaceBytes: 3 * GiB });
  });

  it('lets the command line win over the hints', () => {
    const r = effectiveRunOptions({ addressSpaceBits: 64, memoryLimitBytes: GiB, touch: 'none', tickNs: 0 }, { 'address-space': '32', 'memory-limit': '2GiB' }, 't.csv');
    expect(r).toEqual({ touch: 'none', tickNs: 0, memoryLimitBytes: GiB, addressSpaceBits: 64, lenient: false });
  });

  it('keeps the shard in the file record but not in a run\'s record', () => {
    expect(commandOptionsRecord({ shard: '1/2' }).shard).toBe('1/2');
    expect(commandOptionsRecord({}).shard).toBeNull();
    expect('shard' in effectiveRunOptions({ shard: '1/2' }, {}, 't')).toBe(false);
  });

  it('names the trace and the key of a bad hint', () => {
    expect(() => effectiveRunOptions({}, { 'memory-limit': 'lots' }, 't.csv')).toThrow(UsageError);
    expect(() => effectiveRunOptions({}, { 'memory-limit': 'lots' }, 't.csv')).toThrow('t.csv: metadata "# memory-limit: lots" is not valid');
    expect(() => effectiveRunOptions({}, { 'address-space': '16' }, 't.csv')).toThrow('expected 32 or 64');
  });

  it('parses --memory-limit', () => {
    expect(parseMemoryLimit('512MiB')).toBe(512 * 1024 * 1024);
    expect(() => parseMemoryLimit('0')).toThrow(UsageError);
    expect(() => parseMemoryLimit('2 gigs')).toThrow('expected a positive byte size');
  });
});

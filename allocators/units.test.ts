import { describe, expect, it } from 'vitest';
import { formatBytes, parseBytes } from './units.ts';

describe('parseBytes', () => {
  it('reads binary and decimal units', () => {
    expect(parseBytes('128KiB')).toBe(131072);
    expect(parseBytes('2GiB')).toBe(2147483648);
    expect(parseBytes('1MB')).toBe(1000000);
    expect(parseBytes('4096')).toBe(4096);
    expect(parseBytes('1.5k')).toBe(1536);
  });
  it('rejects what is not a size', () => {
    expect(parseBytes('12 apples')).toBeNull();
    expect(parseBytes('')).toBeNull();
    expect(parseBytes('0.3')).toBeNull(); // not a whole number of bytes
  });
});

describe('formatBytes', () => {
  it('uses binary units with sensible precision', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(524288000)).toBe('500 MiB');
    expect(formatBytes(10.25 * 1024 * 1024)).toBe('10.3 MiB');
    expect(formatBytes(-2048)).toBe('-2 KiB');
  });
});

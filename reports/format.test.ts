import { describe, expect, it } from 'vitest';
import { formatCount, formatDuration, formatHex, formatPercent, formatRate, shortSha } from './format.ts';

describe('report number formats', () => {
  it('groups thousands without the locale', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(-1000)).toBe('-1,000');
  });
  it('prints fragmentation ratios as percentages, 1 decimal below 100 %', () => {
    expect(formatPercent(0.352)).toBe('35.2 %');
    expect(formatPercent(4.1)).toBe('410 %');
    expect(formatPercent(Number.NaN)).toBe('n/a');
    expect(formatPercent(null as unknown as number)).toBe('n/a'); // JSON turns Infinity into null
  });
  it('picks a readable time unit', () => {
    expect(formatDuration(1_500_000_000)).toBe('1.5 s');
    expect(formatDuration(250_000_000)).toBe('250 ms');
    expect(formatDuration(999)).toBe('999 ns');
  });
  it('prints addresses above 2^32 in hex without 32-bit truncation', () => {
    expect(formatHex(0x7f3a90000000)).toBe('0x7f3a90000000');
    expect(formatHex(0x1000, 8)).toBe('0x00001000');
  });
  it('prints event rates and short hashes', () => {
    expect(formatRate(2_150_000)).toBe('2.15 M ev/s');
    expect(formatRate(12_345)).toBe('12.3 k ev/s');
    expect(shortSha('3f2a9c1b7e4d5a6f')).toBe('3f2a9c1b7e4d');
  });
});

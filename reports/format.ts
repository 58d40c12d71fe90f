// Number formatting for every report. Fixed rules, no locale: the same result
// file must render to the same bytes on every machine.
import { formatBytes } from '../allocators/units.ts';

export { formatBytes };

/** 1234567 → "1,234,567" (toLocaleString would depend on the machine's locale). */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.trunc(Math.abs(n)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * A fragmentation ratio (rss − live)/live as a percentage: 0.352 → "35.2 %",
 * 4.1 → "410 %". Not finite (no live data) → "n/a".
 */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'n/a';
  const pct = ratio * 100;
  const digits = Math.abs(pct) >= 100 ? 0 : 1;
  return `${pct.toFixed(digits)} %`;
}

/** Nanoseconds of trace time in the largest unit that keeps it readable: 1_500_000_000 → "1.5 s". */
export function formatDuration(ns: number): string {
  const units: [number, string][] = [
    [1e9, 's'],
    [1e6, 'ms'],
    [1e3, 'µs'],
  ];
  for (const [size, name] of units) {
    if (Math.abs(ns) >= size) return `${Number((ns / size).toFixed(2))} ${name}`;
  }
  return `${ns} ns`;
}

/** An address as 0x-hex, zero-padded to `width` hex digits. Safe for addresses above 2^32. */
export function formatHex(addr: number, width = 0): string {
  return `0x${Math.trunc(addr).toString(16).padStart(width, '0')}`;
}

/** Event throughput: 2_150_000 → "2.15 M ev/s". */
export function formatRate(eventsPerSecond: number): string {
  if (!Number.isFinite(eventsPerSecond) || eventsPerSecond <= 0) return 'n/a';
  if (eventsPerSecond >= 1e6) return `${(eventsPerSecond / 1e6).toFixed(2)} M ev/s`;
  if (eventsPerSecond >= 1e3) return `${(eventsPerSecond / 1e3).toFixed(1)} k ev/s`;
  return `${eventsPerSecond.toFixed(0)} ev/s`;
}

/** The first 12 hex digits of a sha256: enough to tell traces apart in a table. */
export function shortSha(sha256: string): string {
  return sha256.slice(0, 12);
}

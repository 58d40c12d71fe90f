// A bench figure: one measured number, the target it is held to, and whether
// it met it. Every section produces these; the printer and --json read only them.
import { cpus, totalmem } from 'node:os';

export const SECTIONS = ['replay', 'ingest', 'native', 'memory', 'suite'] as const;
export type Section = (typeof SECTIONS)[number];

export interface Target {
  /** `min`: the value must be at least `value`; `max`: at most; `below`: strictly less. */
  kind: 'min' | 'max' | 'below';
  value: number;
  text: string;
}

export interface Figure {
  section: Section;
  /** What was measured, e.g. "glibc on sawtooth (10,164,431 events)". */
  name: string;
  value: number;
  unit: string;
  /** The value as printed, e.g. "1.23 M ev/s". */
  text: string;
  target: Target | null;
  met: boolean | null;
  /** Spread, CPU time, sample count: whatever qualifies the number. */
  detail: string;
  /** Machine-readable extras (samples, CPU seconds...). */
  data?: Record<string, number | string | number[]>;
}

export function meets(value: number, target: Target | null): boolean | null {
  if (target === null || !Number.isFinite(value)) return null;
  if (target.kind === 'min') return value >= target.value;
  if (target.kind === 'max') return value <= target.value;
  return value < target.value;
}

export function figure(f: Omit<Figure, 'met'>): Figure {
  return { ...f, met: meets(f.value, f.target) };
}

export const TARGETS = {
  replay: { kind: 'min', value: 5e6, text: '≥ 5 M ev/s' },
  ingest: { kind: 'min', value: 2e6, text: '≥ 2 M ev/s' },
  native: { kind: 'max', value: 5, text: '≤ 5×' },
  memory: { kind: 'below', value: 2 * 1024 ** 3, text: '< 2 GiB' },
  suite: { kind: 'below', value: 10, text: '< 10 s' },
} as const satisfies Record<Section, Target>;

export interface Machine {
  cpu: string;
  cores: number;
  memoryBytes: number;
  node: string;
  platform: string;
  date: string;
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryBytes: totalmem(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
  };
}

export function rateText(eventsPerSecond: number): string {
  if (!(eventsPerSecond > 0)) return 'n/a';
  return eventsPerSecond >= 1e6 ? `${(eventsPerSecond / 1e6).toFixed(2)} M ev/s` : `${(eventsPerSecond / 1e3).toFixed(0)} k ev/s`;
}

export function bytesText(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

/** The figure as one printed line: value, target, verdict, details. */
export function formatFigure(f: Figure): string {
  const verdict = f.met === null ? '' : f.met ? '  met' : '  NOT MET';
  const target = f.target ? `  (target ${f.target.text})` : '';
  return `  ${f.name}: ${f.text}${target}${verdict}${f.detail ? `\n      ${f.detail}` : ''}`;
}

import { describe, expect, it } from 'vitest';
import { ProgressLine, progressEnabled } from './progress.ts';

describe('progress', () => {
  it('is on only for a TTY outside CI when wanted', () => {
    expect(progressEnabled(true, { isTTY: true, write: () => true }, {})).toBe(true);
    expect(progressEnabled(true, { isTTY: true, write: () => true }, { CI: 'true' })).toBe(false);
    expect(progressEnabled(true, { isTTY: false, write: () => true }, {})).toBe(false);
    expect(progressEnabled(false, { isTTY: true, write: () => true }, {})).toBe(false);
  });

  it('writes nothing when disabled and a cleared line when enabled', () => {
    const quiet: string[] = [];
    const off = new ProgressLine(2, false, { write: (t: string) => quiet.push(t) });
    off.start(0, 'glibc on a');
    off.finish(0);
    off.clear();
    expect(quiet).toEqual([]);

    const out: string[] = [];
    const on = new ProgressLine(2, true, { isTTY: true, write: (t: string) => out.push(t) }, 0);
    on.start(0, 'glibc on a');
    on.progress(0, 1_500_000);
    expect(on.text()).toBe('heapreplay: 0/2 runs done | glibc on a 1.5M events');
    on.finish(0);
    on.clear();
    expect(out.at(-2)).toBe('\r\x1b[Kheapreplay: 1/2 runs done');
    expect(out.at(-1)).toBe('\r\x1b[K');
  });
});

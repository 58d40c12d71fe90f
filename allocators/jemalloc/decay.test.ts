import { describe, expect, it } from 'vitest';
import { Decay, DecayTicker, H_STEPS, Lcg32 } from './decay.ts';

describe('smootherstep table', () => {
  it('matches smoothstep.h entries (24-bit fixed point, truncated)', () => {
    // STEP(1) 0x14, STEP(2) 0xa5, STEP(10) 0x4be6, STEP(20) 0x230fc, STEP(100) 0x800000, STEP(200) 0x1000000
    expect([H_STEPS[0], H_STEPS[1], H_STEPS[9], H_STEPS[19], H_STEPS[99], H_STEPS[199]]).toEqual([
      0x14, 0xa5, 0x4be6, 0x230fc, 0x800000, 0x1000000,
    ]);
  });
});

describe('Decay epochs', () => {
  it('records new pages at the first epoch and lets them decay along the curve', () => {
    // decay_ms 10000 → 200 epochs of 50 ms; the deadline adds up to one interval of jitter.
    const d = new Decay(10000, 0, 1);
    expect(d.intervalNs).toBe(50e6);
    expect(d.maybeAdvance(10e6, 1000)).toBe(false); // before the first deadline
    expect(d.maybeAdvance(100e6, 1000)).toBe(true); // 2 intervals passed
    // The 1000 pages sit in the newest slot: h[199] = 1, all may stay.
    expect(d.npagesLimit).toBe(1000);
    // 5 s later (100 more epochs) the slot has moved to 99: h[99] = 0.5.
    expect(d.maybeAdvance(5100e6, 1000)).toBe(true);
    expect(d.npagesLimit).toBe(500);
    // Past 200 epochs nothing may stay.
    expect(d.maybeAdvance(20000e6, 500)).toBe(true);
    expect(d.npagesLimit).toBe(0);
  });

  it('only counts pages dirtied since the last epoch (nunpurged)', () => {
    const d = new Decay(10000, 0, 1);
    d.maybeAdvance(100e6, 1000); // epoch → 100 ms, 1000 pages in slot 199
    // No new pages: at 200 ms two intervals passed, the 1000 move to slot 197, nothing new is recorded.
    expect(d.maybeAdvance(200e6, 1000)).toBe(true);
    expect(d.backlog[199]).toBe(0);
    expect(d.backlog[197]).toBe(1000);
    expect(d.backlog.reduce((a, b) => a + b, 0)).toBe(1000);
  });
});

describe('DecayTicker', () => {
  it('fires after exactly n+1 ticks when fixed (ticker_t)', () => {
    const t = new DecayTicker(1000, false, new Lcg32(1));
    let fired = 0;
    for (let i = 0; i < 1001; i++) if (t.ticks(1)) fired = i + 1;
    expect(fired).toBe(1001);
  });

  it('fires on average about every 1000 ticks when geometric, the same way for the same seed', () => {
    const run = (): number[] => {
      const t = new DecayTicker(1000, true, new Lcg32(42));
      const at: number[] = [];
      for (let i = 0; i < 200_000; i++) if (t.ticks(1)) at.push(i);
      return at;
    };
    const a = run();
    expect(a).toEqual(run());
    // 200000 ticks / mean ≈ 1000 (table mean 60.9/61) → about 200 firings.
    expect(a.length).toBeGreaterThan(150);
    expect(a.length).toBeLessThan(260);
  });
});

import { describe, expect, it } from 'vitest';
import { CPYTHON_311 } from './cpython-sizes.ts';
import { liveMarkLabel, oomRamp } from './oom-ramp.ts';
import { traceFacts } from './trace-facts.ts';

const GiB = 1024 ** 3;

describe('oom-ramp (seed 003)', () => {
  let bodies = 0;
  let mmapSized = 0;
  let bodyFrees = 0;
  let largestObj = 0;
  const facts = traceFacts(oomRamp.events({ scale: 1, seed: 1 }), (e, _index, live) => {
    if (e.op === 'malloc' && e.size >= 1024 + 33 && e.size <= 1024 * 1024 + 33) {
      bodies++;
      if (e.size >= 128 * 1024) mmapSized++;
    }
    if (e.op === 'malloc') largestObj = Math.max(largestObj, e.size);
    if (e.op === 'free' && (live.get(e.id!)?.size ?? 0) >= 1024 + 33 && (live.get(e.id!)?.size ?? 0) <= 1024 * 1024 + 33) bodyFrees++;
  });

  it('asks the harness for a 2 GiB memory limit', () => {
    expect(oomRamp.hints).toEqual({ 'memory-limit': '2GiB' });
  });

  it('marks each GiB of live data as it is crossed, up to 4 GiB', () => {
    expect(facts.marks.map((m) => m.label)).toEqual(['1 GiB live', '2 GiB live', '3 GiB live', '4 GiB live']);
    facts.marks.forEach((m, k) => {
      expect(m.liveBytes).toBeGreaterThanOrEqual((k + 1) * GiB);
      // One request adds at most a 1 MiB body and its companions.
      expect(m.liveBytes).toBeLessThan((k + 1) * GiB + 2 * 1024 * 1024);
    });
    expect(liveMarkLabel(1, 0.25)).toBe('256 MiB live');
  });

  it('mixes body sizes: about one in ten above the 128 KiB mmap threshold', () => {
    expect(mmapSized / bodies).toBeGreaterThan(0.07);
    expect(mmapSized / bodies).toBeLessThan(0.13);
  });

  it('churns: about one body in ten is evicted', () => {
    // Request buffers (33 + 200..1000 bytes) are below the body range, so these are evictions.
    expect(bodyFrees / bodies).toBeGreaterThan(0.07);
    expect(bodyFrees / bodies).toBeLessThan(0.13);
  });

  it("grows the cache dict's keys table past 2^17 slots", () => {
    expect(largestObj).toBeGreaterThanOrEqual(CPYTHON_311.dictTableSize(17));
  });

  it('takes seconds of program time, as a server would', () => {
    expect(facts.endNs).toBeGreaterThan(5e9);
    expect(facts.endNs).toBeLessThan(60e9);
  });
});

import { describe, expect, it } from 'vitest';
import { buildRealRunResult, fragmentationFromPoints, parseReplayOutput } from './real-result.ts';
import type { StreamSummary } from './stream.ts';

const MiB = 1 << 20;
const BASE = 3 * MiB; // baseline RSS of the child before the first event
const VM = 10 * MiB;

const lines = [
  { type: 'start', allocator_version: '2.36', page_size: 4096, baseline_rss: BASE, baseline_vm: VM, events: 6, slots: 2 },
  { type: 'sample', event: 1, time_ns: 100, rss: BASE + 4 * MiB, vm: VM + 8 * MiB, live: 4 * MiB },
  { type: 'peak-live', event: 2, time_ns: 200, rss: BASE + 8 * MiB, vm: VM + 8 * MiB, live: 6 * MiB },
  { type: 'mark', event: 3, label: 'After "del"', time_ns: 300, rss: BASE + 8 * MiB, vm: VM + 8 * MiB, live: 2 * MiB },
  { type: 'sample', event: 3, time_ns: 300, rss: BASE + 8 * MiB, vm: VM + 8 * MiB, live: 2 * MiB },
  { type: 'end', events: 6, replay_ns: 2_000_000, idle_ns: 0, measure_ns: 10, rss: BASE + 5 * MiB, vm: VM + 6 * MiB, live: 1 * MiB, hwm: BASE + 9 * MiB, peak_live: 6 * MiB, internal_at_peak: 1234 },
];
const stdout = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
const summary: StreamSummary = { events: 6, slots: 2, peakLiveBytes: 6 * MiB, peakLiveEvent: 2, finalLiveBytes: MiB, marks: [{ event: 3, label: 'After "del"' }], hasTime: true };
const trace = { name: 't', path: 't.csv', events: 6, sha256: 'ab' };

describe('real run results', () => {
  it('parses the JSON lines and rejects anything else', () => {
    const out = parseReplayOutput(stdout);
    expect(out.points).toHaveLength(4);
    expect(out.fail).toBeNull();
    expect(() => parseReplayOutput('{"type":"start"}\nnot json\n')).toThrow(/not JSON: not json/);
    expect(() => parseReplayOutput(JSON.stringify(lines[0]))).toThrow(/incomplete/);
  });

  it('subtracts the baseline, keeps marks, uses VmHWM for the peak and dedupes the timeline by event', () => {
    const r = buildRealRunResult(parseReplayOutput(stdout), { trace, modelName: 'glibc (real)', library: null, touch: 'full', idleMs: 0, summary });
    expect(r.model.name).toBe('glibc (real)');
    expect(r.model.preset).toBe('2.36');
    expect(r.status).toBe('ok');
    expect(r.marks).toEqual([{ label: 'After "del"', event: 3, timeNs: 300, rssBytes: 8 * MiB, liveBytes: 2 * MiB, mappedBytes: 8 * MiB, freeResidentBytes: 6 * MiB }]);
    expect(r.peakRssBytes).toBe(9 * MiB); // hwm − baseline beats the samples' 8 MiB
    expect(r.finalRssBytes).toBe(5 * MiB);
    expect(r.peakLiveBytes).toBe(6 * MiB);
    expect(r.freeResidentBytes).toBe(4 * MiB);
    expect(r.internalFragmentationBytes).toBe(1234);
    expect(r.timeline.event).toEqual([1, 2, 3]);
    expect(r.timeline.rssBytes).toEqual([4 * MiB, 8 * MiB, 8 * MiB]);
    expect(r.retention).toEqual([]);
    expect(r.model.note?.text).toContain('cannot explain retention');
    // An end line without CPU figures (an older replayer) gives none; with them, seconds.
    expect(r.replay).toEqual({ events: 6, seconds: 0.002, eventsPerSecond: 3000 });
    const withCpu = stdout.replace('"measure_ns":10,', '"measure_ns":10,"user_ns":1500000,"sys_ns":250000,');
    expect(buildRealRunResult(parseReplayOutput(withCpu), { trace, modelName: 'glibc (real)', library: null, touch: 'full', idleMs: 0, summary }).replay).toEqual({
      events: 6,
      seconds: 0.002,
      eventsPerSecond: 3000,
      userSeconds: 0.0015,
      systemSeconds: 0.00025,
    });
    // J&W #4 = 9/6 − 1; #2 at the peak-live point (8 − 6)/6; #3 at the first max-RSS point, the same point.
    expect(r.fragmentation.jw4).toBeCloseTo(0.5, 12);
    expect(r.fragmentation.jw2).toBeCloseTo(2 / 6, 12);
    expect(r.fragmentation.jw3).toBeCloseTo(2 / 6, 12);
  });

  it('weights J&W #1 by trace time to the next point, by events when time stands still', () => {
    // Points (t, rss, live): (0, 10, 5) held 100 ns, (100, 30, 10) held 300 ns, (400, ...) last.
    // avg rss ∝ 10·100 + 30·300 = 10000; avg live ∝ 5·100 + 10·300 = 3500 → 10000/3500 − 1.
    const pts = [
      { event: 0, timeNs: 0, rss: 10, live: 5 },
      { event: 1, timeNs: 100, rss: 30, live: 10 },
      { event: 9, timeNs: 400, rss: 0, live: 0 },
    ];
    expect(fragmentationFromPoints(pts, 30, 10).jw1).toBeCloseTo(10000 / 3500 - 1, 12);
    // Same points, clock still: weights are event gaps 1 and 8 → (10 + 240)/(5 + 80) − 1.
    const still = pts.map((p) => ({ ...p, timeNs: 0 }));
    expect(fragmentationFromPoints(still, 30, 10).jw1).toBeCloseTo(250 / 85 - 1, 12);
  });

  it('reads the current protocol: the measure from the start line, the version from the end line', () => {
    // The replayer now asks for the version after the replay (the lookup calls into the allocator) and
    // says which memory its rss fields count.
    const current = stdout
      .replace('"allocator_version":"2.36",', '"rss_measure":"anon",')
      .replace('{"type":"end",', '{"type":"end","allocator_version":"5.3.0",');
    expect(current).not.toContain('2.36');
    const r = buildRealRunResult(parseReplayOutput(current), { trace, modelName: 'jemalloc (real)', library: '/lib/libjemalloc.so.2', touch: 'full', idleMs: 0, summary });
    expect(r.model.preset).toBe('5.3.0');
    expect(r.model.params.rss_measure).toBe('anon');
    expect(r.model.note?.text).toContain('anonymous resident memory');
    // The numbers are handled as before: baseline subtracted from every point.
    expect(r.marks[0]!.rssBytes).toBe(8 * MiB);
    expect(r.peakRssBytes).toBe(9 * MiB);
  });

  it('labels output without rss_measure as the whole resident set, and rejects an unknown measure', () => {
    const r = buildRealRunResult(parseReplayOutput(stdout), { trace, modelName: 'glibc (real)', library: null, touch: 'full', idleMs: 0, summary });
    expect(r.model.params.rss_measure).toBe('resident');
    expect(r.model.note?.text).toContain('whole resident set');
    expect(() => parseReplayOutput(stdout.replace('"allocator_version":"2.36",', '"rss_measure":"pss",'))).toThrow(/unknown rss_measure "pss"/);
  });

  it('turns a failed allocation into status alloc-failed', () => {
    const failed = stdout.replace('{"type":"end"', '{"type":"fail","event":4,"op":"malloc","size":99999999999,"errno":12}\n{"type":"end"');
    const r = buildRealRunResult(parseReplayOutput(failed), { trace, modelName: 'glibc (real)', library: null, touch: 'full', idleMs: 0, summary });
    expect(r.status).toBe('alloc-failed');
    expect(r.failure).toMatchObject({ event: 4, requestBytes: 99999999999, largestFreeRangeBytes: null });
    expect(r.failure?.reason).toContain('malloc of 99999999999 bytes returned NULL');
  });
});

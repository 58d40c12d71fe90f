import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURE_PATH, buildFixtureResult } from './fixtures/build-fixture.ts';

describe('report fixture', () => {
  it('result.json is what build-fixture.ts builds (run `npx tsx reports/fixtures/build-fixture.ts` after changing it)', () => {
    expect(readFileSync(FIXTURE_PATH, 'utf8')).toBe(`${JSON.stringify(buildFixtureResult(), null, 2)}\n`);
  });

  it('has what the report tests rely on: two traces, four models, a sweep, a failed 32-bit run and an OOM', () => {
    const r = buildFixtureResult();
    expect(new Set(r.runs.map((x) => x.trace.name))).toEqual(new Set(['big-small-interleaving', 'address-space-32bit']));
    expect(new Set(r.runs.map((x) => x.model.name))).toEqual(new Set(['glibc', 'jemalloc', 'obmalloc', 'obmalloc-arenafree']));
    expect(r.runs.map((x) => x.status).sort()).toEqual(['alloc-failed', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'oom']);
    for (const run of r.runs) {
      // figures agree with the timeline they were derived from
      expect(run.peakRssBytes).toBe(Math.max(...run.timeline.rssBytes));
      expect(run.finalRssBytes).toBe(run.timeline.rssBytes[run.timeline.rssBytes.length - 1]);
      for (const m of run.marks) expect(run.timeline.event).toContain(m.event);
    }
  });
});

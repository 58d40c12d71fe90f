// The byte-identical results guard: every bundled trace × the four models must
// give exactly the committed results in harness/expected/ (the replays run in
// harness/expected-guard-*.test.ts; this file tests the digest and the split).
// A failure there after a speed change is a bug in the speed change;
// regenerate the files (scripts/update-expected.ts) only for a deliberate
// model or metrics change.
import { describe, expect, it } from 'vitest';
import type { RunResult } from './result.ts';
import { GUARD_SHARDS, bundledTraceNames, canonicalJson, comparableResult, digestRun, formatExpected, guardShard, readExpected, type ExpectedFile } from './expected-results.ts';

describe('expected results of the bundled traces', () => {
  it('has an expected file for every bundled trace, and the guard shards replay each exactly once', async () => {
    const names = await bundledTraceNames();
    expect(names.length).toBeGreaterThanOrEqual(6);
    for (const name of names) expect((await readExpected(name)).trace).toBe(name);
    const shards = await Promise.all(Array.from({ length: GUARD_SHARDS }, (_, k) => guardShard(k)));
    expect(shards.flat().sort()).toEqual(names);
    for (const shard of shards) expect(shard.length).toBeGreaterThan(0);
  });
});

describe('the guard digest', () => {
  const base: RunResult = {
    trace: { name: 't', path: '/a/t.hrt', events: 3, sha256: 'aa', meta: { name: 't' } },
    model: { name: 'glibc', preset: '2.35', params: {} },
    status: 'ok',
    peakRssBytes: 8192,
    finalRssBytes: 4096,
    peakLiveBytes: 100,
    finalLiveBytes: 0,
    peakMappedBytes: 8192,
    internalFragmentationBytes: 8,
    freeResidentBytes: 4096,
    marks: [{ label: 'm', event: 1, timeNs: 1000, rssBytes: 8192, liveBytes: 100, mappedBytes: 8192, freeResidentBytes: 8092 }],
    fragmentation: { jw1: 1, jw2: 2, jw3: 3, jw4: 4 },
    retention: [{ mark: 'm', kind: 'top-pad', bytes: 4096, text: 'top pad' }],
    failure: null,
    timeline: { event: [0, 1, 2], timeNs: [0, 1000, 2000], liveBytes: [100, 100, 0], rssBytes: [8192, 8192, 4096], mappedBytes: [8192, 8192, 8192] },
    replay: { events: 3, seconds: 0.5, eventsPerSecond: 6 },
  };

  it('ignores timing and the trace form (path, file hash) but nothing else', () => {
    const other: RunResult = { ...base, matrixIndex: 7, trace: { ...base.trace, path: '/b/t.csv.gz', sha256: 'bb' }, replay: { events: 3, seconds: 9, eventsPerSecond: 1 } };
    expect(digestRun('glibc', other)).toEqual(digestRun('glibc', base));
    // A retention sentence is not in the clear figures, but the result hash sees it.
    const reworded: RunResult = { ...base, retention: [{ ...base.retention[0]!, text: 'the top pad' }] };
    expect(digestRun('glibc', reworded).retention).toEqual(digestRun('glibc', base).retention);
    expect(digestRun('glibc', reworded).resultSha256).not.toBe(digestRun('glibc', base).resultSha256);
    const moved: RunResult = { ...base, timeline: { ...base.timeline, rssBytes: [8192, 8192, 8192] } };
    expect(digestRun('glibc', moved).timelineSha256).not.toBe(digestRun('glibc', base).timelineSha256);
  });

  it('hashes independently of key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
    expect(comparableResult(base)).not.toHaveProperty('replay');
  });

  it('formats expected files as JSON that reads back the same', () => {
    const file: ExpectedFile = { about: 'x', trace: 't', traceSha256: 'aa', runs: [digestRun('glibc', base)] };
    const text = formatExpected(file);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(file)));
    // Marks stay one line each so a moved figure is a one-line diff.
    expect(text).toContain('{"label":"m","event":1,"rssBytes":8192,"liveBytes":100,"mappedBytes":8192,"mapSha256":null}');
  });
});

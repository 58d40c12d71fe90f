// The replay loop hands the probe its states a chunk of SAMPLE_CHUNK events at
// a time, stops at marks mid-chunk, and reads compiled traces through reused
// buffers. None of that may show in the result: every event is sampled once,
// under its own index, whatever the batch size, the compiled form or where
// the marks and an OOM fall.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileTrace } from '../traces/compiled.ts';
import { openTrace } from '../traces/open.ts';
import type { TraceEvent } from '../traces/types.ts';
import { writeTrace } from '../traces/writer.ts';
import { replay, type ReplayOptions } from './replayer.ts';
import type { RunResult } from './result.ts';
import { SAMPLE_CHUNK } from './sample-columns.ts';
import { memorySource, type MemoryEvent } from './testing/memory-source.ts';
import { tinyInstance } from './testing/tiny-model.ts';

const MARKS = [SAMPLE_CHUNK + 1, SAMPLE_CHUNK + 2, 2 * SAMPLE_CHUNK - 1, 2 * SAMPLE_CHUNK + 5];

function opts(over: Partial<ReplayOptions> = {}): ReplayOptions {
  return { touch: 'full', tickNs: 1000, memoryLimitBytes: null, addressSpaceBits: 64, lenient: false, ...over };
}

/** 3.6 chunks of events: allocations of varied sizes (some mmapped), frees of earlier ids, marks around chunk edges and stretches of more than a chunk without one. */
function events(): MemoryEvent[] {
  const out: MemoryEvent[] = [];
  const live: string[] = [];
  let x = 7;
  const markAt = new Set(MARKS);
  for (let e = 0; out.length < 3.6 * SAMPLE_CHUNK; e++) {
    if (markAt.has(out.length)) {
      out.push({ op: 'mark', label: `at ${out.length}` });
      continue;
    }
    x = (x * 48271) % 2147483647;
    if (live.length > 0 && x % 3 === 0) {
      out.push({ op: 'free', id: live.splice(x % live.length, 1)[0]! });
    } else {
      const id = `b${e}`;
      live.push(id);
      out.push({ op: 'malloc', id, size: x % 97 === 0 ? 70000 + (x % 5000) : 1 + (x % 3000) });
    }
  }
  return out;
}

/** Live bytes after each event, from the events alone. */
function liveAfterEach(list: MemoryEvent[]): number[] {
  const sizes = new Map<string, number>();
  let live = 0;
  return list.map((e) => {
    if (e.op === 'malloc') {
      sizes.set(e.id!, e.size!);
      live += e.size!;
    } else if (e.op === 'free') {
      live -= sizes.get(e.id!)!;
      sizes.delete(e.id!);
    }
    return live;
  });
}

function withoutTiming(r: RunResult): Record<string, unknown> {
  return { ...r, replay: { events: r.replay.events }, trace: { ...r.trace, path: '', sha256: '' } };
}

describe('replay in sample chunks', () => {
  const list = events();

  it('samples every event once, under its own index, across chunk edges and marks', async () => {
    // Batches of 700 end every run of the loop before a chunk fills; batches of 5000 fill chunks (events 0-1023, 2054-3077).
    for (const batchSize of [700, 5000]) {
      // A timeline budget above 2n + 1 keeps every state.
      const r = await replay(memorySource(list, { batchSize }), tinyInstance(), opts({ timelinePoints: 2 * list.length + 3 }));
      expect(r.timeline.event).toEqual(list.map((_, e) => e));
      expect(r.timeline.timeNs).toEqual(list.map((_, e) => e * 1000));
      expect(r.timeline.liveBytes).toEqual(liveAfterEach(list));
      expect(r.marks.map((m) => [m.label, m.event])).toEqual(MARKS.map((e) => [`at ${e}`, e]));
      expect(r.peakLiveBytes).toBe(Math.max(...liveAfterEach(list)));
    }
  });

  it('gives the same result whatever the batch size', async () => {
    const results = [];
    for (const batchSize of [3, 1000, SAMPLE_CHUNK, 100_000]) results.push(withoutTiming(await replay(memorySource(list, { batchSize }), tinyInstance(), opts())));
    for (const r of results.slice(1)) expect(r).toEqual(results[0]);
  });

  it('stops an OOM run at the same event and state whatever the batch size', async () => {
    const results = [];
    for (const batchSize of [5, SAMPLE_CHUNK + 1]) {
      const r = await replay(memorySource(list, { batchSize }), tinyInstance(), opts({ memoryLimitBytes: 1_200_000 }));
      expect(r.status).toBe('oom');
      expect(r.replay.events).toBe(r.failure!.event + 1);
      expect(r.timeline.event.at(-1)).toBe(r.failure!.event);
      results.push(withoutTiming(r));
    }
    expect(results[1]).toEqual(results[0]);
  });

  it('replays a compiled trace (read through reused buffers) as it replays its CSV', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'heapreplay-chunks-'));
    const csv = join(dir, 'chunks.csv');
    const base = { id: null, size: 0, align: 0, thread: 0, timeNs: null, domain: 'obj' as const, label: null, line: 0 };
    // More events than one compiled block, so the reused buffer serves several blocks.
    const many: TraceEvent[] = [];
    for (let round = 0; round < 30; round++) {
      for (const e of list) many.push({ ...base, op: e.op, id: e.id === undefined ? null : `${e.id}.${round}`, size: e.size ?? 0, label: e.label ?? null });
    }
    await writeTrace(csv, { name: 'chunks' }, many);
    const hrt = join(dir, 'chunks.hrt');
    await compileTrace(csv, hrt);
    const fromCsv = await replay(await openTrace(csv), tinyInstance(), opts());
    const fromHrt = await replay(await openTrace(hrt), tinyInstance(), opts());
    expect(fromHrt.replay.events).toBe(many.length);
    expect({ ...withoutTiming(fromHrt), trace: null }).toEqual({ ...withoutTiming(fromCsv), trace: null });
  });
});

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryTraceSource } from './memory-source.ts';
import { HEADER_BYTES, RECORD_BYTES, writeReplayStream } from './stream.ts';

interface Rec {
  op: number;
  thread: number;
  slot: number;
  size: number;
  aux: number;
  time: number;
}

function records(buf: Buffer): { recs: Rec[]; labels: string[] } {
  const recs: Rec[] = [];
  const labels: string[] = [];
  for (let off = HEADER_BYTES; off < buf.length; ) {
    const r: Rec = {
      op: buf[off]!,
      thread: buf.readUInt16LE(off + 2),
      slot: buf.readUInt32LE(off + 4),
      size: Number(buf.readBigUInt64LE(off + 8)),
      aux: Number(buf.readBigUInt64LE(off + 16)),
      time: buf.readDoubleLE(off + 24),
    };
    recs.push(r);
    off += RECORD_BYTES;
    if (r.op === 5) {
      labels.push(buf.subarray(off, off + r.aux).toString('utf8'));
      off += Math.ceil(r.aux / RECORD_BYTES) * RECORD_BYTES;
    }
  }
  return { recs, labels };
}

describe('replay stream', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'heapreplay-stream-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the header, fixed records, reused slots, sizes for free/realloc and padded labels', async () => {
    const label = 'After "del", x<y>, é';
    const src = memoryTraceSource('t.csv', {}, [
      { op: 'malloc', id: 'a', size: 100 },
      { op: 'calloc', id: 'b', size: 5_000_000_000, thread: 3 },
      { op: 'free', id: 'a' },
      { op: 'memalign', id: 'c', size: 64, align: 4096 },
      { op: 'realloc', id: 'c', size: 200 },
      { op: 'mark', label },
      { op: 'free', id: 'b' },
    ]);
    const path = join(dir, 's.bin');
    const summary = await writeReplayStream(src, path, { tickNs: 1000 });
    const buf = await readFile(path);
    expect(buf.subarray(0, 8).toString('latin1')).toBe('HRREPLAY');
    expect(buf.readUInt32LE(8)).toBe(1);
    expect(buf.readUInt32LE(12)).toBe(RECORD_BYTES);
    expect(Number(buf.readBigUInt64LE(16))).toBe(7);
    // a and b live at once, then c reuses a's slot: two slots.
    expect(buf.readUInt32LE(24)).toBe(2);
    // live: 100, 5e9+100 (peak, event 1), 5e9, 5e9+64, 5e9+200 (higher: event 4), ...
    expect(buf.readUInt32LE(28)).toBe(4);
    expect(summary).toMatchObject({ events: 7, slots: 2, peakLiveBytes: 5_000_000_200, peakLiveEvent: 4, finalLiveBytes: 200, hasTime: false });
    expect(summary.marks).toEqual([{ event: 5, label }]);

    const { recs, labels } = records(buf);
    expect(recs.map((r) => [r.op, r.slot, r.size, r.aux])).toEqual([
      [0, 0, 100, 0],
      [1, 1, 5_000_000_000, 0],
      [4, 0, 0, 100], // free carries the freed size
      [3, 0, 64, 4096], // memalign carries the alignment; slot 0 reused
      [2, 0, 200, 64], // realloc carries the old size
      [5, 0, 0, Buffer.byteLength(label)],
      [4, 1, 0, 5_000_000_000],
    ]);
    expect(recs[1]!.thread).toBe(3);
    // No time column: event index × tick.
    expect(recs.map((r) => r.time)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000]);
    expect(labels).toEqual([label]);
    // Label of 24 bytes padded to one record: header + 7 records + 1 label record.
    expect(buf.length).toBe(HEADER_BYTES + 8 * RECORD_BYTES);
  });

  it('uses the trace clock when the trace has one', async () => {
    const src = memoryTraceSource('t.csv', {}, [
      { op: 'malloc', id: 'a', size: 1, timeNs: 5 },
      { op: 'free', id: 'a', timeNs: 90 },
    ]);
    const path = join(dir, 't.bin');
    await writeReplayStream(src, path, { tickNs: 1000 });
    expect(records(await readFile(path)).recs.map((r) => r.time)).toEqual([5, 90]);
  });

  it('streams across batches', async () => {
    const events = [];
    for (let i = 0; i < 2500; i++) events.push({ op: 'malloc' as const, id: `x${i}`, size: i });
    const src = memoryTraceSource('t.csv', {}, events, 1000);
    const path = join(dir, 'u.bin');
    const s = await writeReplayStream(src, path, { tickNs: 1 });
    expect(s.slots).toBe(2500);
    expect(s.peakLiveBytes).toBe((2499 * 2500) / 2);
    expect((await readFile(path)).length).toBe(HEADER_BYTES + 2500 * RECORD_BYTES);
  });
});

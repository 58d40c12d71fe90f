import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from './types.ts';
import { writeTrace } from './writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'heapreplay-writer-'));
const ev = (e: Partial<TraceEvent> & Pick<TraceEvent, 'op'>): TraceEvent => ({ id: null, size: 0, align: 0, thread: 0, timeNs: null, domain: 'obj', label: null, line: 0, ...e });

describe('writeTrace default columns', () => {
  it('leaves out time_ns when the events carry no time, so readers tick per event', async () => {
    const path = join(dir, 'notime.csv');
    await writeTrace(path, { name: 'n' }, [ev({ op: 'malloc', id: '1', size: 8 }), ev({ op: 'free', id: '1' })]);
    expect(readFileSync(path, 'utf8')).toBe('# heapreplay-trace v1\n# name: n\nop,id,size,align,thread,domain,label\nmalloc,1,8,,,,\nfree,1,,,,,\n');
  });

  it('keeps every column when the first event has a time, and writes a header even for no events', async () => {
    const path = join(dir, 'time.csv');
    await writeTrace(path, {}, [ev({ op: 'mark', label: 'a,"b"', timeNs: 3 })]);
    expect(readFileSync(path, 'utf8')).toBe('# heapreplay-trace v1\nop,id,size,align,thread,time_ns,domain,label\nmark,,,,,3,,"a,""b"""\n');
    const empty = join(dir, 'empty.csv');
    await writeTrace(empty, {}, []);
    expect(readFileSync(empty, 'utf8')).toBe('# heapreplay-trace v1\nop,id,size,align,thread,time_ns,domain,label\n');
  });

  it('refuses events that gain a time after a first event without one (the column was left out)', async () => {
    const path = join(dir, 'mixed.csv');
    await expect(writeTrace(path, {}, [ev({ op: 'malloc', id: '1', size: 8 }), ev({ op: 'free', id: '1', timeNs: 5 })])).rejects.toThrow(/event 1 has a time \(5\) but the first event has none/);
  });

  it('writes the same gzip bytes for the same events', async () => {
    const a = join(dir, 'a.csv.gz');
    const b = join(dir, 'b.csv.gz');
    const events = [ev({ op: 'malloc', id: 'x', size: 1, timeNs: 1 }), ev({ op: 'free', id: 'x', timeNs: 2 })];
    const sa = await writeTrace(a, { k: 'v' }, events);
    const sb = await writeTrace(b, { k: 'v' }, events);
    expect(sa.sha256).toBe(sb.sha256);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(gunzipSync(readFileSync(a)).toString()).toContain('free,x,,,,2,,');
  });
});

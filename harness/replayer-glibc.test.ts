// The replayer with the real glibc model: seed 001's frag.py in miniature. The
// small block allocated last sits at the top of the heap and blocks the trim;
// the finding must name it by its trace id and allocating event.
import { describe, expect, it } from 'vitest';
import { createModel, parseModelSpec } from '../allocators/registry.ts';
import { replay } from './replayer.ts';
import { memorySource, type MemoryEvent } from './testing/memory-source.ts';

describe('replay through glibc', () => {
  it('names the chunk that blocks the trim', async () => {
    const events: MemoryEvent[] = [];
    for (let i = 0; i < 200; i++) {
      events.push({ op: 'malloc', id: `big${i}`, size: 5000 });
      events.push({ op: 'malloc', id: `small${i}`, size: 48 });
    }
    for (let i = 0; i < 199; i++) events.push({ op: 'free', id: `small${i}` });
    for (let i = 0; i < 200; i++) events.push({ op: 'free', id: `big${i}` });
    events.push({ op: 'mark', label: 'After del' });
    const r = await replay(memorySource(events, { batchSize: 128 }), createModel(parseModelSpec('glibc')), {
      touch: 'full',
      tickNs: 1000,
      memoryLimitBytes: null,
      addressSpaceBits: 64,
      lenient: false,
    });
    const blocked = r.retention.find((f) => f.mark === 'After del' && f.kind === 'trim-blocked');
    expect(blocked).toBeDefined();
    // small199 is the 400th event (index 399), the last block allocated.
    expect(blocked).toMatchObject({ blockId: 'small199', blockSize: 48, blockEvent: 399 });
    // About 200 × 5 KB stays resident below it.
    expect(blocked!.bytes).toBeGreaterThan(190 * 5000);
    expect(r.marks[0]!.rssBytes).toBeGreaterThan(190 * 5000);
    expect(r.marks[0]!.liveBytes).toBe(48);
  });
});

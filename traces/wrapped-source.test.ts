import { describe, expect, it } from 'vitest';
import type { EventBatch, TraceSource } from './types.ts';
import { WrappedTraceSource } from './wrapped-source.ts';

const inner: TraceSource = {
  path: 'traces/x.csv.gz',
  meta: { name: 'x' },
  hasTime: false,
  idCount: 7,
  skippedRows: 2,
  idName: (id) => `id${id}`,
  sha256: async () => 'ab'.repeat(32),
  batches: async function* () {},
};

class Renamed extends WrappedTraceSource {
  override idName(id: number): string {
    return `renamed ${id}`;
  }
  async *batches(): AsyncIterable<EventBatch> {}
}

describe('WrappedTraceSource', () => {
  it('answers with the inner source except where a subclass overrides', async () => {
    const w = new Renamed(inner);
    expect([w.path, w.meta.name, w.hasTime, w.idCount, w.skippedRows]).toEqual(['traces/x.csv.gz', 'x', false, 7, 2]);
    expect(await w.sha256()).toBe('ab'.repeat(32));
    expect(w.idName(3)).toBe('renamed 3');
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkSchema, loadResultSchema } from './schema-check.ts';
import { smallResult, smallRun } from './fixtures/small-result.ts';

const schema = loadResultSchema();
const fixture = (): Record<string, unknown> & { runs: Record<string, unknown>[] } =>
  JSON.parse(readFileSync(new URL('./fixtures/result.json', import.meta.url), 'utf8'));

describe('result.schema.json', () => {
  it('is draft 2020-12 and names the required run fields of the result contract', () => {
    const s = schema as { $schema: string; $defs: { run: { required: string[] } } };
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    for (const f of ['trace', 'model', 'status', 'peakRssBytes', 'finalRssBytes', 'peakLiveBytes', 'marks', 'fragmentation', 'retention', 'failure', 'timeline', 'replay']) {
      expect(s.$defs.run.required).toContain(f);
    }
  });

  it('accepts the realistic fixture and the small test result', () => {
    expect(checkSchema(fixture(), schema)).toEqual([]);
    expect(checkSchema(JSON.parse(JSON.stringify(smallResult([smallRun('glibc', '2.35', 2 * 1024 * 1024)]))), schema)).toEqual([]);
  });

  it('rejects a result missing runs[0].status', () => {
    const bad = fixture();
    delete bad.runs[0]!.status;
    expect(checkSchema(bad, schema)).toEqual(['$.runs[0]: missing required "status"']);
  });

  it('rejects wrong types, unknown enums and a wrong schema version', () => {
    const bad = fixture();
    bad.schema = 'heapreplay-result/2';
    bad.runs[1]!.status = 'crashed';
    (bad.runs[2]!.marks as { rssBytes: unknown }[])[0]!.rssBytes = '7 MiB';
    (bad.runs[3]!.retention as { kind: unknown }[])[0]!.kind = 'mystery';
    bad.runs[4]!.failure = { event: 1 };
    expect(checkSchema(bad, schema)).toEqual([
      '$.schema: expected "heapreplay-result/1"',
      '$.runs[1].status: expected one of "ok", "oom", "alloc-failed", found "crashed"',
      '$.runs[2].marks[0].rssBytes: expected integer, found string',
      '$.runs[3].retention[0].kind: expected one of "trim-blocked", "top-pad", "free-chunks", "tcache", "fastbins", "mmap-slack", "dirty-pages", "muzzy-pages", "slab-slack", "arena-pinned", "empty-pools", "free-blocks", "kept-arena", "metadata", found "mystery"',
      '$.runs[4].failure: matches none of the allowed forms',
    ]);
  });

  it('allows fields added later (the contract only grows) and null J&W ratios', () => {
    const ok = fixture();
    ok.runs[0]!.someNewFigure = 42;
    (ok.runs[0]!.fragmentation as Record<string, unknown>).jw1 = null;
    expect(checkSchema(ok, schema)).toEqual([]);
  });
});

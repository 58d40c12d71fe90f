// The byte-identical guard's test body, shared by the test files it is split
// into (harness/expected-guard-*.test.ts): replay each trace of a shard
// through every guarded model and compare with harness/expected/<trace>.json.
import { describe, expect, it } from 'vitest';
import { hashFile } from '../../traces/reader.ts';
import { bundledTracePath, guardShard, readExpected, replayBundled } from '../expected-results.ts';

export async function describeGuardShard(k: number): Promise<void> {
  const names = await guardShard(k);
  describe(`expected results of the bundled traces, shard ${k + 1}`, () => {
    it.each(names)('%s replays to the committed results under every model', async (name) => {
      const expected = await readExpected(name);
      // A regenerated trace needs new expectations; say so instead of showing a wall of figures.
      expect(await hashFile(bundledTracePath(name)), `traces/${name}.csv.gz changed since harness/expected/${name}.json was written`).toBe(expected.traceSha256);
      // In-process: worker start-up under vitest costs more than it saves on two shared cores.
      const actual = (await replayBundled([name], 1)).get(name)!;
      expect(actual.runs.map((r) => r.model)).toEqual(expected.runs.map((r) => r.model));
      for (let m = 0; m < expected.runs.length; m++) {
        const want = expected.runs[m]!;
        const got = actual.runs[m]!;
        // Clear figures first, so a failure names what moved; the hashes catch everything else.
        const { timelineSha256: wt, resultSha256: wr, ...wantFigures } = want;
        const { timelineSha256: gt, resultSha256: gr, ...gotFigures } = got;
        expect(gotFigures, `${name} × ${want.model}`).toEqual(wantFigures);
        expect(gt, `${name} × ${want.model}: timeline`).toBe(wt);
        expect(gr, `${name} × ${want.model}: the rest of the result (retention texts, notes, address maps...)`).toBe(wr);
      }
    });
  });
}

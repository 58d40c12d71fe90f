// Rewrite the committed expected results of the bundled traces
// (harness/expected/<trace>.json), which the byte-identical guard test
// (harness/expected-results.test.ts) compares every replay against:
//   node --import tsx scripts/update-expected.ts [trace ...]
//
// Legitimate only after a deliberate change of what a model or the metrics
// compute (a fidelity fix, a new finding, a regenerated case-study trace), and
// the diff of the JSON files then belongs in the same commit, explained. A
// change meant only to make replay faster must pass the guard unchanged:
// never regenerate to make such a change pass.
import { bundledTraceNames, expectedPath, replayBundled, writeExpected } from '../harness/expected-results.ts';
import { availableParallelism } from 'node:os';

const all = await bundledTraceNames();
const only = process.argv.slice(2);
const unknown = only.filter((n) => !all.includes(n));
if (unknown.length > 0) {
  process.stderr.write(`update-expected: no bundled trace named ${unknown.join(', ')}; expected one of ${all.join(', ')}\n`);
  process.exit(2);
}
const names = only.length > 0 ? only : all;
const files = await replayBundled(names, availableParallelism());
for (const name of names) {
  const file = files.get(name)!;
  await writeExpected(file);
  const summary = file.runs.map((r) => `${r.model} ${r.status} peak RSS ${r.peakRssBytes}`).join('; ');
  process.stdout.write(`${expectedPath(name)}: ${summary}\n`);
}

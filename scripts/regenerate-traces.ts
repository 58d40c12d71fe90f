// Rewrite every committed case-study trace (traces/<name>.csv.gz) at the
// default scale and seed. Run after changing a generator:
//   node --import tsx scripts/regenerate-traces.ts [name ...]
// The case-study tests fail until the committed files match the generators.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { CASE_STUDIES, committedTracePath, writeCaseStudy } from '../traces/case-studies/index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv.slice(2);
const unknown = only.filter((n) => !CASE_STUDIES.some((s) => s.name === n));
if (unknown.length > 0) {
  process.stderr.write(`regenerate-traces: unknown case study ${unknown.join(', ')}; expected ${CASE_STUDIES.map((s) => s.name).join(', ')}\n`);
  process.exit(2);
}
for (const study of CASE_STUDIES) {
  if (only.length > 0 && !only.includes(study.name)) continue;
  const path = join(root, committedTracePath(study.name));
  const summary = await writeCaseStudy(study, path);
  process.stdout.write(`${committedTracePath(study.name)}: ${summary.events} events, ${summary.bytes} bytes, sha256 ${summary.sha256}\n`);
}

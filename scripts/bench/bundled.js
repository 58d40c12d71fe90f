// Runs a TypeScript entry of this package the way the CLI runs its code: from
// the esbuild bundle bin/bundle.js keeps fresh (tsx only as the fallback).
// The bench's child processes start through here so that their figures are
// those of the code users run: under tsx every source file is a module of its
// own, and a hot loop reading imported constants pays for the module boundary
// (up to 2-3x on a tight loop), which the bundle does not have.
//   node scripts/bench/bundled.js <entry.ts relative to the package root> [args...]
import { importEntry } from '../../bin/bundle.js';

const entry = process.argv[2];
if (!entry) {
  process.stderr.write('usage: bundled.js <entry.ts> [args...]\n');
  process.exit(2);
}
// The entry reads its own arguments from process.argv.slice(2), as if started directly.
process.argv.splice(2, 1);
await importEntry(entry);

// One model replaying one compiled trace `runs` times, in a process of its
// own, so that the figure is that model's alone: in a process that replayed
// other models first, V8 has compiled the shared replay loop with their code
// inlined and recompiles it for this one, which on a 10 M-event trace costs a
// model that does not come first up to 45 % (reports/performance.md).
// Prints one JSON line with the timings.
//   node scripts/bench/bundled.js scripts/bench/replay-child.ts <trace.hrt> <model> <runs> <touch>
import type { TouchPolicy } from '../../harness/run-options.ts';
import type { Timing } from './clock.ts';
import { measureReplay } from './sections.ts';

export interface ReplayChildReport {
  model: string;
  events: number;
  timings: Timing[];
  simulatedPeakRssBytes: number;
}

const [hrtPath, model, runsText, touch] = process.argv.slice(2);
const runs = Number(runsText);
if (!hrtPath || !model || !Number.isInteger(runs) || runs < 1 || (touch !== 'full' && touch !== 'none')) {
  process.stderr.write('usage: replay-child.ts <trace.hrt> <model> <runs ≥ 1> <full|none>\n');
  process.exit(2);
}
const m = await measureReplay(hrtPath, model, runs, touch as TouchPolicy);
const report: ReplayChildReport = { model, events: m.events, timings: m.timings, simulatedPeakRssBytes: m.result.peakRssBytes };
process.stdout.write(`${JSON.stringify(report)}\n`);

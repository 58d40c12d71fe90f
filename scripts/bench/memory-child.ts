// One model over one compiled trace, in a process of its own, so that the
// process's peak RSS is that model's alone. Runs the exact path of
// `heapreplay run --jobs 1` (runJob) and prints one JSON line with the figures.
//   node scripts/bench/bundled.js scripts/bench/memory-child.ts <trace.hrt> <model>
import { runJob } from '../../harness/run-job.ts';
import { peakRssBytes, timed } from './clock.ts';

export interface MemoryChildReport {
  model: string;
  status: string;
  events: number;
  wallMs: number;
  cpuMs: number;
  /** VmHWM from /proc/self/status (null off Linux). */
  vmHwmBytes: number | null;
  /** process.resourceUsage().maxRSS, KiB → bytes. */
  maxRssBytes: number;
  /** The model's simulated peak RSS, for the record. */
  simulatedPeakRssBytes: number;
}

const [tracePath, model] = process.argv.slice(2);
if (!tracePath || !model) {
  process.stderr.write('usage: memory-child.ts <trace.hrt> <model>\n');
  process.exit(2);
}
const { value: result, timing } = await timed(() => runJob({ index: 0, tracePath, model, overrides: {} }, { touch: 'full' }));
const report: MemoryChildReport = {
  model,
  status: result.status,
  events: result.replay.events,
  wallMs: timing.wallMs,
  cpuMs: timing.cpuMs,
  vmHwmBytes: peakRssBytes(),
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
  simulatedPeakRssBytes: result.peakRssBytes,
};
process.stdout.write(`${JSON.stringify(report)}\n`);

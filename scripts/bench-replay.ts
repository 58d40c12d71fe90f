// Replay throughput of a compiled trace, for the speed work on the shared
// replay path (replayer, probe, timeline, AddressSpace.touch) and the models:
//   node --import tsx scripts/bench-replay.ts <trace.hrt> [model ...] [--repeat N] [--touch none] [--with-hash]
// "bare" as a model name replays through a bump allocator that does no work
// of its own (bench/bump-model.ts), which measures the harness alone. Reports events/s over CPU time
// (process.cpuUsage, what the replay costs whatever else runs on the machine)
// and over wall time, each the best of N runs, plus their ratio to the first
// model named, so that figures from one invocation can be compared.
import { createModel, parseModelSpec } from '../allocators/registry.ts';
import { openTrace } from '../traces/open.ts';
import { replay } from '../harness/replayer.ts';
import { HARNESS_ONLY, harnessOnlyInstance } from './bench/bump-model.ts';

const args = process.argv.slice(2);
let repeat = 3;
let touch: 'full' | 'none' = 'full';
let withHash = false;
const names: string[] = [];
let path = '';
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--repeat') repeat = Number(args[++i]);
  else if (a === '--touch') touch = args[++i] === 'none' ? 'none' : 'full';
  else if (a === '--with-hash') withHash = true;
  else if (path === '') path = a;
  else names.push(a);
}
if (path === '') {
  process.stderr.write('usage: bench-replay.ts <trace.hrt> [model ...] [--repeat N] [--touch none] [--with-hash]\n');
  process.exit(2);
}
if (names.length === 0) names.push(HARNESS_ONLY, 'glibc');

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
}

// The trace's sha256 names it in the result. A run computes it once per
// trace, while its first pass reads the file; it costs the same whatever the
// model, so by default it is timed apart and every replay below starts with
// the hash known. --with-hash leaves it inside each replay, as a single run pays it.
{
  const source = await openTrace(path);
  const cpu0 = process.cpuUsage();
  await source.sha256();
  const cpu = cpuSeconds(cpu0);
  process.stdout.write(`sha256 of the trace: cpu ${cpu.toFixed(3)} s, once per trace (${withHash ? 'inside each replay below' : 'not in the figures below'})\n`);
}

const rows: { name: string; events: number; cpu: number; wall: number; peak: number }[] = [];
for (const name of names) {
  let bestCpu = Infinity;
  let bestWall = Infinity;
  let events = 0;
  let peak = 0;
  for (let r = 0; r < repeat; r++) {
    // A fresh source per replay, as a run opens one: its id table fills again.
    const source = await openTrace(path);
    if (!withHash) await source.sha256();
    const instance = name === HARNESS_ONLY ? harnessOnlyInstance() : createModel(parseModelSpec(name), {}, { bits: 64 });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await replay(source, instance, { touch, tickNs: 1000, memoryLimitBytes: null, addressSpaceBits: 64, lenient: false });
    const wall = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(cpu0);
    events = result.replay.events;
    peak = result.peakRssBytes;
    bestCpu = Math.min(bestCpu, cpu);
    bestWall = Math.min(bestWall, wall);
  }
  rows.push({ name, events, cpu: bestCpu, wall: bestWall, peak });
  const row = rows[rows.length - 1]!;
  const ref = rows[0]!;
  process.stdout.write(
    `${name.padEnd(20)} ${events} events  cpu ${row.cpu.toFixed(3)} s = ${(events / row.cpu / 1e6).toFixed(2)} M ev/s` +
      `  wall ${row.wall.toFixed(3)} s = ${(events / row.wall / 1e6).toFixed(2)} M ev/s  peak RSS ${peak}` +
      (rows.length > 1 ? `  cpu ×${(row.cpu / ref.cpu).toFixed(2)} of ${ref.name}` : '') +
      '\n',
  );
}

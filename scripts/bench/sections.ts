// The five measurements of `npm run bench`. Each returns Figures; none prints.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { createModel, parseModelSpec } from '../../allocators/registry.ts';
import { runRealTrace } from '../../harness/real/runner.ts';
import { replay } from '../../harness/replayer.ts';
import type { RunResult } from '../../harness/result.ts';
import { addressSpaceOptionsFor, DEFAULT_TICK_NS, effectiveRunOptions, type TouchPolicy } from '../../harness/run-options.ts';
import { PACKAGE_ROOT } from '../../harness/version.ts';
import { compileTrace, CompiledTraceSource } from '../../traces/compiled.ts';
import { CsvTraceSource } from '../../traces/reader.ts';
import { childrenCpuMs, timed, type Timing } from './clock.ts';
import { bytesText, figure, median, rateText, TARGETS, type Figure } from './figures.ts';
import type { MemoryChildReport } from './memory-child.ts';
import type { ReplayChildReport } from './replay-child.ts';
import { HARNESS_ONLY, harnessOnlyInstance } from './bump-model.ts';
import type { CachedTrace } from './trace-cache.ts';

export const BENCH_MODELS = ['glibc', 'jemalloc', 'obmalloc', 'obmalloc-arenafree'] as const;

/** Children start through the bundle launcher, so they run the code as the CLI does (see bundled.js). */
const BUNDLED = fileURLToPath(new URL('./bundled.js', import.meta.url));
const MEMORY_CHILD = 'scripts/bench/memory-child.ts';
const REPLAY_CHILD = 'scripts/bench/replay-child.ts';
const CLI = join(PACKAGE_ROOT, 'bin', 'heapreplay.js');

export function traceLabel(t: CachedTrace): string {
  return `${t.generator} --scale ${t.scale} (${t.events.toLocaleString('en-US')} events)`;
}

/** CPU over wall time, and the rate per CPU second: on a busy machine the second is the figure the code deserves. */
function cpuShare(t: readonly Timing[], events?: number): string {
  const wall = t.reduce((s, x) => s + x.wallMs, 0);
  const cpu = t.reduce((s, x) => s + x.cpuMs, 0);
  const share = wall > 0 ? `CPU/wall ${(cpu / wall).toFixed(2)}` : 'CPU/wall n/a';
  return events !== undefined && cpu > 0 ? `${share}, ${rateText((events * t.length * 1000) / cpu)} per CPU second` : share;
}

/** "1.21 / 1.30 / 1.25 M ev/s (spread ±3.6 % around the median)" */
function spreadText(rates: readonly number[]): string {
  const mid = median(rates);
  const lo = Math.min(...rates);
  const hi = Math.max(...rates);
  const spread = mid > 0 ? (Math.max(mid - lo, hi - mid) / mid) * 100 : 0;
  return `runs ${rates.map((r) => (r / 1e6).toFixed(3)).join(' / ')} M ev/s, spread ±${spread.toFixed(1)} %`;
}

export interface ReplayMeasurement {
  events: number;
  timings: Timing[];
  simulatedPeakRssBytes: number;
}

/** `runs` replays of the compiled trace through `model` in this process (one core), page residency on unless `touch` says none. */
export async function measureReplay(hrtPath: string, model: string, runs: number, touch: TouchPolicy = 'full'): Promise<ReplayMeasurement & { result: RunResult }> {
  const source = await CompiledTraceSource.open(hrtPath);
  const options = effectiveRunOptions({ touch }, source.meta, hrtPath);
  const timings: Timing[] = [];
  let result: RunResult | null = null;
  for (let i = 0; i < runs; i++) {
    // The model is built outside the timed window: a replay is what is measured.
    const spaceOptions = addressSpaceOptionsFor(options);
    const instance = model === HARNESS_ONLY ? harnessOnlyInstance(spaceOptions) : createModel(parseModelSpec(model), {}, spaceOptions);
    const { value, timing } = await timed(() => replay(source, instance, { ...options, addressMaps: true }));
    result = value;
    timings.push(timing);
  }
  return { events: result!.replay.events, timings, simulatedPeakRssBytes: result!.peakRssBytes, result: result! };
}

/** measureReplay in a child process of its own (replay-child.ts): the model's figure, whatever was replayed before it. */
export async function measureReplayAlone(trace: CachedTrace, model: string, runs: number, touch: TouchPolicy = 'full'): Promise<ReplayMeasurement> {
  const args = [BUNDLED, REPLAY_CHILD, trace.hrtPath, model, String(runs), touch];
  const r = await execa(process.execPath, args, { cwd: PACKAGE_ROOT, stdin: 'ignore', reject: false });
  if (r.exitCode !== 0) throw new Error(`replay child for ${model} failed (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 500)}`);
  const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as ReplayChildReport;
  return { events: report.events, timings: report.timings, simulatedPeakRssBytes: report.simulatedPeakRssBytes };
}

/** CPU nanoseconds per event, median over the runs. */
function cpuNsPerEvent(m: ReplayMeasurement): number {
  return (median(m.timings.map((t) => t.cpuMs)) * 1e6) / m.events;
}

/**
 * A model's replay figure; with `harness` (the same trace through the bump
 * model) its detail also splits the model's time per event into the
 * replayer's share and the model's own. The bump model's own figure has no
 * target: it is the ceiling every model's figure sits under.
 */
export function replayFigure(trace: CachedTrace, model: string, m: ReplayMeasurement, harness?: ReplayMeasurement): Figure {
  const rates = m.timings.map((t) => (m.events / t.wallMs) * 1000);
  const alone = model === HARNESS_ONLY;
  const perEvent = cpuNsPerEvent(m);
  let split = '';
  if (alone) {
    // The replay target gives an event 1e9 / 5e6 = 200 ns.
    const budget = 1e9 / TARGETS.replay.value;
    split = `; ${perEvent.toFixed(0)} ns of CPU per event with a model that does nothing (id table, page residency of the user bytes, probe, timeline), which leaves a model ${Math.max(0, budget - perEvent).toFixed(0)} ns of the ${budget.toFixed(0)} ns an event has at ${TARGETS.replay.text}`;
  } else if (harness !== undefined) {
    const floor = cpuNsPerEvent(harness);
    split = `; ${perEvent.toFixed(0)} ns of CPU per event, of which the replayer alone takes ~${floor.toFixed(0)} ns (the bump model's figure) and the model ~${Math.max(0, perEvent - floor).toFixed(0)} ns`;
  }
  return figure({
    section: 'replay',
    name: alone ? `harness alone (no-op bump model, for comparison) on ${traceLabel(trace)}` : `${model} on ${traceLabel(trace)}`,
    value: median(rates),
    unit: 'events/s',
    text: rateText(median(rates)),
    target: alone ? null : TARGETS.replay,
    detail: `${spreadText(rates)}; ${cpuShare(m.timings, m.events)}; median ${(median(m.timings.map((t) => t.wallMs)) / 1000).toFixed(2)} s per replay${split}; simulated peak RSS ${bytesText(m.simulatedPeakRssBytes)}`,
    data: { events: m.events, wallMs: m.timings.map((t) => t.wallMs), cpuMs: m.timings.map((t) => t.cpuMs) },
  });
}

/** CSV.gz → validated batches, and CSV.gz → .hrt, each `runs` times. */
export async function measureIngest(trace: CachedTrace, runs: number): Promise<Figure[]> {
  const csv = trace.csvPath;
  if (csv === null) throw new Error(`the ingest figures need the CSV form of ${trace.generator}`);
  const parse: Timing[] = [];
  const compile: Timing[] = [];
  let events = 0;
  const dir = await mkdtemp(join(tmpdir(), 'heapreplay-bench-ingest-'));
  try {
    for (let i = 0; i < runs; i++) {
      const read = await timed(async () => {
        const source = await CsvTraceSource.open(csv);
        let n = 0;
        for await (const b of source.batches()) n += b.length;
        return n;
      });
      events = read.value;
      parse.push(read.timing);
      const out = join(dir, `run-${i}.hrt`);
      compile.push((await timed(() => compileTrace(csv, out))).timing);
      await rm(out, { force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const make = (what: string, timings: Timing[]): Figure => {
    const rates = timings.map((t) => (events / t.wallMs) * 1000);
    return figure({
      section: 'ingest',
      name: `${what}, ${traceLabel(trace)}`,
      value: median(rates),
      unit: 'events/s',
      text: rateText(median(rates)),
      target: TARGETS.ingest,
      detail: `${spreadText(rates)}; ${cpuShare(timings, events)}`,
      data: { events, wallMs: timings.map((t) => t.wallMs), cpuMs: timings.map((t) => t.cpuMs) },
    });
  };
  return [make('CSV.gz → validated batches', parse), make('CSV.gz → compiled .hrt', compile)];
}

/** "user 1.30 s (127 ns/event), system 0.17 s": the native replay's CPU, median over the runs, when the replayer reports it. */
function nativeCpuText(real: readonly RunResult[]): string {
  const user = real.map((r) => r.replay.userSeconds).filter((x): x is number => x !== undefined);
  const system = real.map((r) => r.replay.systemSeconds).filter((x): x is number => x !== undefined);
  if (user.length === 0 || system.length === 0) return '';
  const events = real[0]!.replay.events;
  const u = median(user);
  return `; the native replay's CPU: user ${u.toFixed(2)} s (${((u * 1e9) / events).toFixed(0)} ns per event: the allocator's work and the replay loop's), system ${median(system).toFixed(2)} s (page faults, memory given back)`;
}

/**
 * heapreplay's glibc replay time over the native replayer's on the same
 * trace, both with the same touch policy. The native side reports its own
 * replay time (RSS sampling and idle excluded); the stream it reads is
 * converted once and replayed `runs` times. With touch full the native time
 * is mostly memset and page faults on real memory, which the model replaces
 * by page bookkeeping; touch none compares the allocators' own work.
 */
export async function measureNative(trace: CachedTrace, runs: number, heapreplay: readonly Timing[], touch: TouchPolicy): Promise<Figure> {
  const heapreplayWallMs = heapreplay.map((t) => t.wallMs);
  const source = await CompiledTraceSource.open(trace.hrtPath);
  const cpu0 = childrenCpuMs();
  const real = await runRealTrace(source, { allocators: Array.from({ length: runs }, () => 'glibc'), touch, idleMs: 0, tickNs: DEFAULT_TICK_NS });
  const cpu1 = childrenCpuMs();
  const nativeMs = real.map((r) => r.replay.seconds * 1000);
  // On a shared machine wall times swing with the neighbours' load; CPU seconds per replay do not, so the
  // CPU ratio is the figure when Linux tells the children's CPU time, and the wall ratio is kept beside it.
  const nativeCpuMs = cpu0 !== null && cpu1 !== null && cpu1 > cpu0 ? (cpu1 - cpu0) / runs : null;
  const oursCpuMs = median(heapreplay.map((t) => t.cpuMs));
  const ours = median(heapreplayWallMs);
  const theirs = median(nativeMs);
  const wallRatio = ours / theirs;
  const cpuRatio = nativeCpuMs !== null ? oursCpuMs / nativeCpuMs : null;
  const ratio = cpuRatio ?? wallRatio;
  const cpuText = nativeCpuMs !== null ? `CPU per replay ${(oursCpuMs / 1000).toFixed(2)} s vs ${(nativeCpuMs / 1000).toFixed(2)} s (native RSS sampling included); ` : '';
  return figure({
    section: 'native',
    name: `glibc model ÷ real glibc, touch ${touch}, on ${traceLabel(trace)}`,
    value: ratio,
    unit: '×',
    text: cpuRatio !== null ? `${cpuRatio.toFixed(1)}× in CPU time (wall ${wallRatio.toFixed(1)}×)` : `${wallRatio.toFixed(1)}× in wall time`,
    target: TARGETS.native,
    detail: `${cpuText}wall: heapreplay glibc replay ${(ours / 1000).toFixed(2)} s (median of ${heapreplayWallMs.length}), native replayer ${(theirs / 1000).toFixed(3)} s (median of ${nativeMs.length}: ${nativeMs.map((x) => (x / 1000).toFixed(3)).join(' / ')} s) = real glibc at ${rateText((real[0]!.replay.events / theirs) * 1000)}${nativeCpuText(real)}`,
    data: { heapreplayMs: [...heapreplayWallMs], heapreplayCpuMs: heapreplay.map((t) => t.cpuMs), nativeMs, ...(nativeCpuMs !== null ? { nativeCpuMsPerRun: nativeCpuMs } : {}) },
  });
}

/**
 * How fast the real allocator itself replays the trace natively (the native
 * replayer's replay time: RSS sampling and idle excluded), beside the model's
 * figures: the replay target asks the models for about this speed. No target
 * of its own. Null when the allocator's library is not installed.
 */
export async function measureNativeSpeed(trace: CachedTrace, allocator: string, runs: number, touch: TouchPolicy): Promise<Figure | null> {
  const source = await CompiledTraceSource.open(trace.hrtPath);
  let real: RunResult[];
  try {
    real = await runRealTrace(source, { allocators: Array.from({ length: runs }, () => allocator), touch, idleMs: 0, tickNs: DEFAULT_TICK_NS });
  } catch (err) {
    if (err instanceof Error && /not installed|not found|apt-get/i.test(err.message)) return null;
    throw err;
  }
  const rates = real.map((r) => (r.replay.events / r.replay.seconds));
  return figure({
    section: 'native',
    name: `real ${real[0]!.model.name.replace(/ \(real\)$/, '')} natively, touch ${touch}, on ${traceLabel(trace)} (for comparison)`,
    value: median(rates),
    unit: 'events/s',
    text: rateText(median(rates)),
    target: null,
    detail: `${spreadText(rates)}; the native replayer's replay time (reading its event stream, the allocator's calls${touch === 'full' ? ', the user-byte writes and their page faults' : ' and its page faults'}), RSS sampling excluded${nativeCpuText(real)}; model ${real[0]!.model.name}@${real[0]!.model.preset}`,
    data: { events: real[0]!.replay.events, seconds: real.map((r) => r.replay.seconds) },
  });
}

/** Each model over the big compiled trace in a child process of its own; that process's peak RSS. `onFigure` hears of each as it lands (minutes apart). */
export async function measureMemory(trace: CachedTrace, models: readonly string[], onFigure: (f: Figure) => void = () => {}): Promise<Figure[]> {
  const out: Figure[] = [];
  for (const model of models) {
    const cpu0 = childrenCpuMs();
    const t0 = performance.now();
    const r = await execa(process.execPath, [BUNDLED, MEMORY_CHILD, trace.hrtPath, model], { cwd: PACKAGE_ROOT, stdin: 'ignore', reject: false });
    const wallMs = performance.now() - t0;
    const cpu1 = childrenCpuMs();
    if (r.exitCode !== 0) throw new Error(`memory child for ${model} failed (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 500)}`);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as MemoryChildReport;
    const peak = report.vmHwmBytes ?? report.maxRssBytes;
    const childCpu = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : report.cpuMs;
    out.push(
      figure({
        section: 'memory',
        name: `${model} on ${traceLabel(trace)}, heapreplay process peak RSS`,
        value: peak,
        unit: 'bytes',
        text: bytesText(peak),
        target: TARGETS.memory,
        detail: `${report.vmHwmBytes !== null ? 'VmHWM' : 'maxRSS'} of the child; replay ${(report.wallMs / 1000).toFixed(1)} s = ${rateText((report.events / report.wallMs) * 1000)} (child CPU ${(childCpu / 1000).toFixed(1)} s over ${(wallMs / 1000).toFixed(1)} s wall with start-up); status ${report.status}; simulated peak RSS ${bytesText(report.simulatedPeakRssBytes)}`,
        data: { events: report.events, replayWallMs: report.wallMs, processWallMs: wallMs, childCpuMs: childCpu, maxRssBytes: report.maxRssBytes },
      }),
    );
    onFigure(out[out.length - 1]!);
  }
  return out;
}

/**
 * `heapreplay run` as a user starts it, into a temp dir: the default suite,
 * or with `standIn` (quick mode) that small trace through glibc, which is not
 * the suite and so is held to no target.
 */
export async function measureSuite(standIn: CachedTrace | null): Promise<Figure> {
  const dir = await mkdtemp(join(tmpdir(), 'heapreplay-bench-suite-'));
  const quick = standIn !== null;
  try {
    const what = standIn?.csvPath ? ['run', standIn.csvPath, '--models', 'glibc'] : ['run', '--default-suite'];
    const args = [CLI, ...what, '--jobs', '2', '--no-progress', '--json', join(dir, 'latest.json'), '--report', join(dir, 'latest.md')];
    const cpu0 = childrenCpuMs();
    const t0 = performance.now();
    const r = await execa(process.execPath, args, { cwd: dir, stdin: 'ignore', reject: false, env: { CI: '1' } });
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = childrenCpuMs();
    if (r.exitCode !== 0) throw new Error(`heapreplay ${what.join(' ')} failed (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 500)}`);
    const cpu = cpu0 !== null && cpu1 !== null ? `; CPU ${((cpu1 - cpu0) / 1000).toFixed(1)} s (2 worker threads + start-up)` : '';
    return figure({
      section: 'suite',
      name: standIn ? `quick stand-in: run ${traceLabel(standIn)} --models glibc --jobs 2 (not the default suite, no target)` : 'run --default-suite --jobs 2 --no-progress',
      value: seconds,
      unit: 's',
      text: `${seconds.toFixed(1)} s`,
      target: quick ? null : TARGETS.suite,
      detail: `wall time of the whole command, start-up included (the CLI loads from its esbuild bundle, tsx only when there is none)${cpu}`,
      data: { seconds, ...(cpu0 !== null && cpu1 !== null ? { cpuMs: cpu1 - cpu0 } : {}) },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

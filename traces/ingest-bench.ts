// Ingest throughput: how fast a stored trace becomes validated EventBatches,
// and how fast it compiles. Run by hand (not a test: it takes seconds):
//
//   node --import tsx traces/ingest-bench.ts [trace.csv.gz] [--scale 3.15]
//
// Without a trace it generates the sawtooth case study at scale 3.15 (about
// 2 M events) into a temporary directory. Each figure is one run; CPU time
// (process.cpuUsage, user + system) is given beside wall time because the
// machine is shared, and CPU time includes zlib's work on the libuv pool.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { findCaseStudy, writeCaseStudy } from './case-studies/index.ts';
import { compileTrace } from './compiled.ts';
import { openTrace } from './open.ts';

interface Figure {
  what: string;
  events: number;
  wallS: number;
  cpuS: number;
}

async function measure(what: string, run: () => Promise<number>): Promise<Figure> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const events = await run();
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { what, events, wallS, cpuS: (cpu.user + cpu.system) / 1e6 };
}

async function countBatches(path: string, passes: number): Promise<number[]> {
  const source = await openTrace(path);
  const counts: number[] = [];
  for (let p = 0; p < passes; p++) {
    let n = 0;
    for await (const b of source.batches()) n += b.length;
    counts.push(n);
  }
  return counts;
}

function rate(events: number, seconds: number): string {
  return `${(events / seconds / 1e6).toFixed(2)} M/s`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const scaleAt = args.indexOf('--scale');
  const scale = scaleAt >= 0 ? Number(args.splice(scaleAt, 2)[1]) : 3.15;
  const dir = mkdtempSync(join(tmpdir(), 'heapreplay-ingest-'));
  try {
    let trace = args[0];
    if (trace === undefined) {
      trace = join(dir, 'sawtooth.csv.gz');
      const summary = await writeCaseStudy(findCaseStudy('sawtooth')!, trace, { scale });
      console.log(`generated sawtooth --scale ${scale}: ${summary.events} events, ${summary.bytes} bytes gzip`);
    }
    const hrt = join(dir, 'trace.hrt');
    const figures: Figure[] = [];
    const raw = readFileSync(trace);
    figures.push(await measure('gunzip only (floor, sync)', async () => { gunzipSync(raw); return 0; }));
    figures.push(await measure('csv → batches, first pass', async () => (await countBatches(trace, 1))[0]!));
    let second = 0;
    const both = await measure('csv → batches, two passes', async () => {
      const c = await countBatches(trace, 2);
      second = c[1]!;
      return c[0]! + c[1]!;
    });
    figures.push(both);
    figures.push(await measure('compile csv → .hrt', async () => (await compileTrace(trace, hrt)).events));
    figures.push(await measure('.hrt → batches, first pass', async () => (await countBatches(hrt, 1))[0]!));
    figures.push(await measure('.hrt → batches, two passes', async () => (await countBatches(hrt, 2)).reduce((a, b) => a + b, 0)));
    for (const f of figures) {
      const rates = f.events > 0 ? `  ${rate(f.events, f.cpuS)} per CPU-s, ${rate(f.events, f.wallS)} wall` : '';
      console.log(`${f.what.padEnd(30)} ${f.events.toString().padStart(9)} events  cpu ${f.cpuS.toFixed(3)} s  wall ${f.wallS.toFixed(3)} s${rates}`);
    }
    console.log(`(second csv pass alone: ${second} events)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

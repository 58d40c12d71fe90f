// The nightly entry point (`npm run nightly -- ...`). Each step is the public
// CLI run as a child process (no shell), so the CI workflow, this script and a
// user at a terminal all do exactly the same thing.
//
//   npm run nightly -- [--out DIR] [--baseline FILE] [--history FILE] [--scale S] [--jobs N]
//       regenerate the case-study traces, run them all, compare, report, history
//   npm run nightly -- --shard i/n [--out DIR] [--scale S]
//       one shard of the run matrix → DIR/shard-i-of-n.json (a CI matrix job)
//   npm run nightly -- --merge [--out DIR] [--baseline FILE] [--history FILE]
//       join DIR/shard-*.json, then compare, report and history as above
//
// Exit code: 0 when nothing regressed, 1 on a regression, 2 on bad input.
import { appendFile, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { CASE_STUDIES, writeCaseStudy } from '../traces/case-studies/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'heapreplay.js');

export interface NightlyOptions {
  out: string;
  baseline?: string;
  history?: string;
  scale: number;
  jobs?: number;
  /** Model list for the run (default: the run command's default, all four). */
  models?: string;
  shard?: string;
  merge: boolean;
  /** Where to append the job summary (GitHub's $GITHUB_STEP_SUMMARY). */
  summaryFile?: string;
  log?: (line: string) => void;
}

/** Run the CLI; returns its exit code. Output streams to ours so CI logs show every step. */
async function cli(args: string[], log: (line: string) => void): Promise<{ exitCode: number; stdout: string }> {
  log(`$ heapreplay ${args.join(' ')}`);
  const r = await execa(process.execPath, [CLI, ...args], { reject: false, env: { ...process.env }, stdin: 'ignore' });
  if (r.stdout) log(r.stdout);
  if (r.stderr) log(r.stderr);
  return { exitCode: r.exitCode ?? 3, stdout: r.stdout };
}

async function mustSucceed(args: string[], log: (line: string) => void): Promise<string> {
  const r = await cli(args, log);
  if (r.exitCode !== 0) throw Object.assign(new Error(`heapreplay ${args[0]} failed with exit code ${r.exitCode}`), { exitCode: r.exitCode });
  return r.stdout;
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}

/** Regenerate every case study into DIR/traces at the given scale (seeded: the same bytes every night). */
async function regenerateTraces(out: string, scale: number, log: (line: string) => void): Promise<string[]> {
  const dir = join(out, 'traces');
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const study of CASE_STUDIES) {
    const path = join(dir, `${study.name}.csv.gz`);
    // In-process: the same code `heapreplay generate` runs, without a process start per trace.
    const summary = await writeCaseStudy(study, path, { scale });
    log(`generated ${study.name} (scale ${scale}): ${summary.events} events, sha256 ${summary.sha256}`);
    paths.push(path);
  }
  return paths;
}

function runArgs(traces: string[], o: NightlyOptions): string[] {
  const args = ['run', ...traces, '--no-progress'];
  if (o.jobs !== undefined) args.push('--jobs', String(o.jobs));
  if (o.models !== undefined) args.push('--models', o.models);
  return args;
}

export function shardFileName(shard: string): string {
  return `shard-${shard.replace('/', '-of-')}.json`;
}

/** Compare, export, report, history and summary: the steps after the results exist. Returns the exit code. */
async function afterRun(results: string, o: NightlyOptions, log: (line: string) => void): Promise<number> {
  await mustSucceed(['report', results, '-o', join(o.out, 'report.md')], log);
  let verdict = 'no baseline: tonight\'s results become the first baseline';
  let exitCode = 0;
  const compareMd = join(o.out, 'compare.md');
  if (o.baseline && (await exists(o.baseline))) {
    const r = await cli(['compare', o.baseline, results, '--report', compareMd], log);
    if (r.exitCode > 1) throw Object.assign(new Error(`heapreplay compare failed with exit code ${r.exitCode}`), { exitCode: r.exitCode });
    exitCode = r.exitCode;
    verdict = exitCode === 0 ? 'no regression against the baseline' : 'REGRESSION against the baseline';
  }
  if (o.history) {
    await mustSucceed(['history', 'append', results, '--history', o.history], log);
    await mustSucceed(['history', 'report', o.history, '--nights', '30', '-o', join(o.out, 'history.md')], log);
  }
  if (o.summaryFile) {
    let summary = `## heapreplay nightly: ${verdict}\n`;
    // The compare report's own title would repeat the heading above.
    if (await exists(compareMd)) summary += `\n${(await readFile(compareMd, 'utf8')).replace(/^# .*\n/, '')}`;
    await appendFile(o.summaryFile, `${summary}\n`);
  }
  log(`nightly: ${verdict}`);
  return exitCode;
}

export async function nightly(o: NightlyOptions): Promise<number> {
  const log = o.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  await mkdir(o.out, { recursive: true });
  const results = join(o.out, 'results.json');
  if (o.merge) {
    const shards = (await readdir(o.out)).filter((n) => /^shard-\d+-of-\d+\.json$/.test(n)).sort();
    if (shards.length === 0) throw Object.assign(new Error(`no shard-*.json files in ${o.out} to merge`), { exitCode: 2 });
    await mustSucceed(['merge', ...shards.map((n) => join(o.out, n)), '-o', results], log);
    return afterRun(results, o, log);
  }
  const traces = await regenerateTraces(o.out, o.scale, log);
  if (o.shard) {
    await mustSucceed([...runArgs(traces, o), '--shard', o.shard, '--json', join(o.out, shardFileName(o.shard))], log);
    return 0;
  }
  await mustSucceed([...runArgs(traces, o), '--json', results], log);
  return afterRun(results, o, log);
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('npm run nightly --')
    .option('out', { type: 'string', default: 'out/nightly', describe: 'working directory for traces, results and reports' })
    .option('baseline', { type: 'string', describe: 'result JSON of the last good night to compare with' })
    .option('history', { type: 'string', describe: 'history JSONL to append the night\'s figures to' })
    .option('scale', { type: 'number', default: 1, describe: 'case-study scale for the regenerated traces' })
    .option('jobs', { type: 'number', describe: 'worker threads for the run' })
    .option('models', { type: 'string', describe: 'model list for the run (default: all four)' })
    .option('shard', { type: 'string', describe: 'run only shard i/n of the matrix' })
    .option('merge', { type: 'boolean', default: false, describe: 'merge the shard results in --out, then compare and report' })
    .strict()
    .parseAsync();
  try {
    process.exitCode = await nightly({
      out: resolve(argv.out),
      baseline: argv.baseline,
      history: argv.history,
      scale: argv.scale,
      jobs: argv.jobs,
      models: argv.models,
      shard: argv.shard,
      merge: argv.merge,
      summaryFile: process.env.GITHUB_STEP_SUMMARY || undefined,
    });
  } catch (err) {
    process.stderr.write(`nightly: ${(err as Error).message}\n`);
    process.exitCode = (err as { exitCode?: number }).exitCode ?? 2;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();

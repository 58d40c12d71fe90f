// `heapreplay record`: runs a command under the recorder shim (LD_PRELOAD),
// then turns the raw CSV its process wrote into a valid trace v1 file.
//
// Which process is recorded: every process image that loads the shim writes
// its own raw-<pid>-<n>.csv (see heapreplay-record.c). The trace is taken from
// the command's own pid, and of that pid's images the last one: a launcher
// that execs the real program (pyenv's `python3` is a bash script that execs
// the interpreter) keeps its pid across the exec, so the program is the last
// image. Children it forks are other pids and are left out (counted in the
// metadata as `other-processes`).
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { buildRecorderShim } from '../../harness/real/build.ts';
import { UsageError } from '../../harness/cli-errors.ts';
import type { TraceEvent, TraceMeta } from '../types.ts';
import { writeTrace, type WriteTraceSummary } from '../writer.ts';

export interface RecordOptions {
  /** The trace to write (.csv or .csv.gz). */
  output: string;
  /** The command and its arguments (run without a shell). */
  command: readonly string[];
  /** Trace name for the metadata; default the output file's name. */
  name?: string;
  /** Extra environment for the command (PYTHONMALLOC=malloc...). */
  env?: Record<string, string>;
  /** Forward the command's stdio to ours (the CLI) or capture it (tests). */
  stdio?: 'inherit' | 'pipe';
}

/** What the conversion dropped or changed to make the raw events a valid trace. */
export interface RawConversionCounts {
  events: number;
  marks: number;
  /** Frees of addresses never seen allocated (allocated before the shim loaded, or inside it). */
  droppedFrees: number;
  /** Reallocs of unknown addresses, recorded as mallocs of the new block. */
  reallocsAsMalloc: number;
  /** Allocations of an id that was still live, which close the old one first (a free the shim missed). */
  missedFrees: number;
}

export interface RecordSummary extends RawConversionCounts {
  output: string;
  trace: WriteTraceSummary;
  exitCode: number;
  /** Raw files written by other processes (children) and left out. */
  otherProcesses: number;
}

const RAW_HEADER = 'op,id,size,align,thread,time_ns,label';
const COLUMNS = ['op', 'id', 'size', 'align', 'thread', 'time_ns', 'label'] as const;

/** Undo CSV quoting of the last field (the label). */
function unquote(field: string): string {
  return field.startsWith('"') && field.endsWith('"') && field.length >= 2 ? field.slice(1, -1).replace(/""/g, '"') : field;
}

/**
 * Read the shim's raw CSV and yield a valid trace: ids live exactly between
 * their allocation and their free, times never go backwards, marks have text.
 * The counts of what was dropped are filled in as the stream is consumed.
 */
export async function* convertRawTrace(path: string, counts: RawConversionCounts): AsyncGenerator<TraceEvent> {
  // A dictionary object, not a Set: with ~10^5 live address strings V8's Set
  // slowed to ~20 µs per operation here, the object to a few (measured on a
  // recorded frag.py, 570K events).
  const live: Record<string, true> = Object.create(null) as Record<string, true>;
  let lastTime = 0;
  let pending = '';
  let line = 0;
  let sawHeader = false;
  const event = (op: TraceEvent['op'], id: string | null, size: number, align: number, thread: number, timeNs: number, label: string | null): TraceEvent => {
    counts.events++;
    return { op, id, size, align, thread, timeNs, domain: 'obj', label, line };
  };
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const physical of rl) {
    line++;
    // A quoted label may hold newlines: join lines until the quotes balance.
    const text = pending ? `${pending}\n${physical}` : physical;
    if (text.includes('"') && (text.match(/"/g)!.length % 2 === 1)) {
      pending = text;
      continue;
    }
    pending = '';
    if (text.startsWith('#')) continue; // the shim's comments: see readShimComments
    if (!sawHeader) {
      if (text !== RAW_HEADER) throw new Error(`${path}:${line}: expected the recorder's header "${RAW_HEADER}", found "${text.slice(0, 80)}"`);
      sawHeader = true;
      continue;
    }
    if (!text) continue;
    const cells = text.split(',');
    if (cells.length < 7) throw new Error(`${path}:${line}: malformed recorder row "${text.slice(0, 80)}"`);
    const [op, id, size, align, thread, time] = cells as [string, string, string, string, string, string];
    const timeNs = Math.max(lastTime, Number(time));
    lastTime = timeNs;
    const t = thread ? Number(thread) : 0;
    switch (op) {
      case 'malloc':
      case 'calloc':
      case 'memalign':
        if (live[id]) {
          counts.missedFrees++;
          yield event('free', id, 0, 0, t, timeNs, null);
        }
        live[id] = true;
        yield event(op, id, Number(size), op === 'memalign' ? Number(align) : 0, t, timeNs, null);
        break;
      case 'realloc':
        if (!live[id]) {
          counts.reallocsAsMalloc++;
          live[id] = true;
          yield event('malloc', id, Number(size), 0, t, timeNs, null);
        } else {
          yield event('realloc', id, Number(size), 0, t, timeNs, null);
        }
        break;
      case 'free':
        if (!live[id]) {
          counts.droppedFrees++;
          break;
        }
        delete live[id];
        yield event('free', id, 0, 0, t, timeNs, null);
        break;
      case 'mark': {
        counts.marks++;
        const label = unquote(cells.length === 7 ? cells[6]! : cells.slice(6).join(','));
        yield event('mark', null, 0, 0, t, timeNs, label || '(unnamed mark)');
        break;
      }
      default:
        throw new Error(`${path}:${line}: unknown op "${op}" in the recorder's output`);
    }
  }
  if (!sawHeader) throw new Error(`${path}: the recorder's output has no header`);
}

/**
 * Metadata from the shim's comments: the program it ran in (`# exe:`, which
 * names the interpreter's version for Python) and its closing
 * `# recorder: unknown-frees=N ...` counts. {} for any other comment.
 */
export function parseShimComment(text: string): TraceMeta {
  const meta: TraceMeta = {};
  const exe = /^# exe: (.+)$/.exec(text);
  if (exe) meta.program = exe[1]!;
  const m = /^# recorder: (.*)$/.exec(text);
  if (m) for (const [, k, v] of m[1]!.matchAll(/([a-z-]+)=(\d+)/g)) meta[`recorder-${k}`] = v!;
  return meta;
}

/** The shim's comments at the head and the tail of the raw file, without parsing the rows between. */
async function readShimComments(path: string): Promise<TraceMeta> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const meta: TraceMeta = {};
    for (const [start, len] of [
      [0, Math.min(size, 8192)],
      [Math.max(0, size - 4096), Math.min(size, 4096)],
    ] as const) {
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, start);
      for (const line of buf.toString('utf8').split('\n')) if (line.startsWith('# ')) Object.assign(meta, parseShimComment(line));
    }
    return meta;
  } finally {
    await fh.close();
  }
}

/** The raw file of `pid`'s last process image, and how many files other processes wrote. */
export async function pickRawFile(dir: string, pid: number): Promise<{ file: string | null; others: number }> {
  let best: { file: string; image: bigint } | null = null;
  let others = 0;
  for (const name of await readdir(dir)) {
    const m = /^raw-(\d+)-(\d+)\.csv$/.exec(name);
    if (!m) continue;
    if (Number(m[1]) !== pid) {
      others++;
      continue;
    }
    const image = BigInt(m[2]!);
    if (!best || image > best.image) best = { file: join(dir, name), image };
  }
  return { file: best?.file ?? null, others };
}

/** Run `options.command` under the recorder and write the trace. */
export async function recordTrace(options: RecordOptions): Promise<RecordSummary> {
  if (options.command.length === 0) throw new UsageError('record needs a command to run, after --');
  const shim = await buildRecorderShim();
  const dir = await mkdtemp(join(tmpdir(), 'heapreplay-record-'));
  try {
    const preload = [shim.path, process.env.LD_PRELOAD].filter(Boolean).join(':');
    const child = execa(options.command[0]!, options.command.slice(1), {
      env: { ...options.env, LD_PRELOAD: preload, HEAPREPLAY_RECORD_DIR: dir },
      stdio: options.stdio ?? 'inherit',
      reject: false,
    });
    const result = await child;
    if ((result as { code?: string }).code === 'ENOENT') throw new UsageError(`cannot run "${options.command[0]}": command not found`);
    const pid = child.pid;
    const { file, others } = pid === undefined ? { file: null, others: 0 } : await pickRawFile(dir, pid);
    if (!file) {
      throw new UsageError(
        `"${options.command.join(' ')}" wrote no allocation trace: it may be statically linked, setuid (LD_PRELOAD is ignored), or have ended by a signal or _exit before the recorder flushed`,
      );
    }
    const meta: TraceMeta = {
      name: options.name ?? basename(options.output).replace(/(\.csv)?(\.gz)?$/, ''),
      source: `heapreplay record -- ${options.command.join(' ')}`,
    };
    if (options.env) for (const [k, v] of Object.entries(options.env)) meta[`env-${k}`] = v;
    // The writer takes the metadata before the events, but what the conversion
    // adjusts is known only at the end. The shim already leaves out what it can
    // tell is unknown, so the conversion normally adjusts nothing: write once
    // saying so, and write again with the real counts in the rare other case.
    Object.assign(meta, await readShimComments(file), { 'other-processes': String(others), 'exit-code': String(result.exitCode ?? -1) });
    const write = async (c: RawConversionCounts): Promise<{ counted: RawConversionCounts; trace: WriteTraceSummary }> => {
      const counted: RawConversionCounts = { events: 0, marks: 0, droppedFrees: 0, reallocsAsMalloc: 0, missedFrees: 0 };
      const fileMeta: TraceMeta = {
        ...meta,
        'dropped-frees': String(c.droppedFrees),
        'reallocs-as-malloc': String(c.reallocsAsMalloc),
        'missed-frees': String(c.missedFrees),
      };
      const trace = await writeTrace(options.output, fileMeta, convertRawTrace(file, counted), { columns: COLUMNS });
      return { counted, trace };
    };
    const none: RawConversionCounts = { events: 0, marks: 0, droppedFrees: 0, reallocsAsMalloc: 0, missedFrees: 0 };
    let { counted, trace } = await write(none);
    if (counted.droppedFrees || counted.reallocsAsMalloc || counted.missedFrees) ({ counted, trace } = await write(counted));
    return { ...counted, output: options.output, trace, exitCode: result.exitCode ?? -1, otherProcesses: others };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

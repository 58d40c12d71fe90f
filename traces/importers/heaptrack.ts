// Imports heaptrack data files (heaptrack.<name>.<pid>.zst or .gz, the
// interpreted format heaptrack writes after heaptrack_interpret, file format
// version 2 or 3):
//   v <heaptrack version> <file version>   (hex)
//   a <size> <trace>      defines allocation info i (0, 1, 2... in order)
//   + <i>                 an allocation with info i
//   - <i>                 a free of an allocation with info i
//   c <ms>                the clock, ms since start (hex)
// and lines the importer does not need (s strings, t trace nodes, i
// instruction pointers, R RSS, X command line, I page info, A attached, #).
// heaptrack keeps no addresses: a free names only the allocation info (size +
// call stack), shared by every block allocated there. The importer pairs it
// with the most recent live block of that info (LIFO); the live bytes are exact
// either way, while which same-sized block goes first can differ from the
// program, which an allocator's placement may feel. realloc appears as a free
// and an allocation. heaptrack does not hook memalign (posix_memalign and
// aligned_alloc appear as plain allocations) and records no threads.
import { basename } from 'node:path';
import { TraceError, type TraceEvent, type TraceMeta } from '../types.ts';
import { writeTrace, type WriteTraceSummary } from '../writer.ts';
import { readLines } from './lines.ts';
import type { ImportCounts } from './valgrind.ts';

export interface HeaptrackInfo {
  /** heaptrack's version, e.g. "1.4.0", and the data file format version. */
  version: string | null;
  fileVersion: number | null;
  command: string | null;
}

function hex(file: string, line: number, text: string | undefined, what: string): number {
  const v = text === undefined ? Number.NaN : parseInt(text, 16);
  if (!Number.isSafeInteger(v) || v < 0 || !/^[0-9a-fA-F]+$/.test(text ?? '')) throw new TraceError(file, line, null, text ?? '', `${what} (hex) in a heaptrack data file`);
  return v;
}

/** The events of a heaptrack data file; fills `counts` and `info` as it goes. */
export async function* readHeaptrackEvents(path: string, counts: ImportCounts, info: HeaptrackInfo): AsyncGenerator<TraceEvent> {
  const sizes: number[] = [];
  // Per allocation info: the ids of its live blocks, most recent last.
  const liveByInfo: string[][] = [];
  let next = 0;
  let nowMs = 0;
  let sawVersion = false;
  for await (const { text, line } of readLines(path)) {
    const op = text[0];
    if (!sawVersion) {
      if (op === '#' || text === '') continue;
      if (op !== 'v') throw new TraceError(path, line, null, text.slice(0, 40), 'a heaptrack data file starting with "v <version> <file version>"');
      const [, version, fileVersion] = text.split(' ');
      const v = hex(path, line, version, 'heaptrack version');
      info.version = `${v >> 16}.${(v >> 8) & 0xff}.${v & 0xff}`;
      info.fileVersion = hex(path, line, fileVersion, 'file format version');
      if (info.fileVersion < 2) {
        throw new TraceError(path, line, null, text, 'heaptrack file format version 2 or later (heaptrack 1.1+); re-run heaptrack_interpret on the raw data with a newer heaptrack');
      }
      sawVersion = true;
      continue;
    }
    const time = nowMs * 1e6;
    switch (op) {
      case 'a': {
        const [, size] = text.split(' ');
        sizes.push(hex(path, line, size, 'allocation size'));
        liveByInfo.push([]);
        break;
      }
      case '+': {
        const i = hex(path, line, text.slice(2), 'allocation info index');
        const size = sizes[i];
        if (size === undefined) throw new TraceError(path, line, null, text, `an allocation info index below ${sizes.length} (defined by an earlier "a" line)`);
        const id = `h${next++}`;
        liveByInfo[i]!.push(id);
        counts.events++;
        yield { op: 'malloc', id, size, align: 0, thread: 0, timeNs: time, domain: 'obj', label: null, line };
        break;
      }
      case '-': {
        const i = hex(path, line, text.slice(2), 'allocation info index');
        const id = liveByInfo[i]?.pop();
        if (id === undefined) {
          counts.droppedFrees++;
          break;
        }
        counts.events++;
        yield { op: 'free', id, size: 0, align: 0, thread: 0, timeNs: time, domain: 'obj', label: null, line };
        break;
      }
      case 'c':
        nowMs = Math.max(nowMs, hex(path, line, text.slice(2), 'timestamp'));
        break;
      case 'X':
        info.command = text.slice(2);
        break;
      case 's':
      case 't':
      case 'i':
      case 'I':
      case 'R':
      case 'A':
      case 'm':
      case '#':
      case undefined:
        break;
      default:
        counts.skippedLines++;
    }
  }
  if (!sawVersion) throw new TraceError(path, 1, null, '', 'a heaptrack data file (it is empty)');
}

/** Import a heaptrack data file into a trace v1 file (gzip when `out` ends in .gz). */
export async function importHeaptrack(path: string, out: string, name?: string): Promise<{ counts: ImportCounts; trace: WriteTraceSummary; info: HeaptrackInfo }> {
  const counts: ImportCounts = { events: 0, droppedFrees: 0, skippedLines: 0 };
  const info: HeaptrackInfo = { version: null, fileVersion: null, command: null };
  for await (const _ of readHeaptrackEvents(path, counts, info)) void _;
  const meta: TraceMeta = {
    name: name ?? basename(out).replace(/(\.csv)?(\.gz)?$/, ''),
    source: `heaptrack ${info.version} data file ${basename(path)} (format ${info.fileVersion})`,
    ...(info.command ? { command: info.command } : {}),
    'free-matching': 'LIFO per allocation site and size (heaptrack records no addresses)',
    'dropped-frees': String(counts.droppedFrees),
    'skipped-lines': String(counts.skippedLines),
  };
  const trace = await writeTrace(out, meta, readHeaptrackEvents(path, { events: 0, droppedFrees: 0, skippedLines: 0 }, { version: null, fileVersion: null, command: null }), {
    columns: ['op', 'id', 'size', 'time_ns'],
  });
  return { counts, trace, info };
}

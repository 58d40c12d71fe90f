// Imports `valgrind --trace-malloc=yes` output (the log file, or stderr saved):
//   --123-- malloc(100) = 0x4A5B040
//   --123-- calloc(25,40) = 0x4A40720
//   --123-- realloc(0x4A40B50,5000) = 0x4A40BA0
//   --123-- memalign(al 64, size 300) = 0x4A53180     (posix_memalign, aligned_alloc too)
//   --123-- free(0x4A40040)
// plus the C++ operators (_Znwm, _Znam, _ZdlPv, ... and their nothrow, sized and
// aligned forms). Other lines (the program's output, ==pid== messages) are
// skipped. The trace has no time or thread column: valgrind prints neither.
// Only the first process's lines are kept (with --trace-children=yes a log can
// hold several); the others are counted in the metadata.
import { basename } from 'node:path';
import { TraceError, type TraceEvent, type TraceMeta } from '../types.ts';
import { writeTrace, type WriteTraceSummary } from '../writer.ts';
import { AddressIds } from './address-ids.ts';
import { readLines } from './lines.ts';

export interface ImportCounts {
  events: number;
  /** Frees of addresses never seen allocated (dropped). */
  droppedFrees: number;
  /** Lines from other processes, or calls the importer does not model (malloc_usable_size...). */
  skippedLines: number;
}

const LINE = /^--(\d+)-- ([A-Za-z_][A-Za-z0-9_]*)\(([^()]*)\)(?: = (\S+))?\s*$/;

type Kind = 'alloc' | 'calloc' | 'realloc' | 'aligned' | 'free' | 'other';

/** What a traced function does, by its (possibly mangled) name. */
function kindOf(name: string): Kind {
  if (name === 'calloc') return 'calloc';
  if (name === 'realloc') return 'realloc';
  if (name === 'memalign' || name === 'posix_memalign' || name === 'aligned_alloc' || name === 'valloc' || name === 'pvalloc') return 'aligned';
  if (name === 'malloc' || name === '__builtin_new' || name === '__builtin_vec_new' || /^_Zna|^_Znw/.test(name)) return /align_val_t/.test(name) ? 'aligned' : 'alloc';
  if (name === 'free' || name === 'cfree' || name === '__builtin_delete' || name === '__builtin_vec_delete' || /^_Zd[la]/.test(name)) return 'free';
  return 'other';
}

function isNull(text: string | undefined): boolean {
  return text === undefined || text === '(nil)' || /^0x0+$/i.test(text) || text === '0';
}

function parseCount(file: string, line: number, text: string): number {
  const v = Number(text.trim());
  if (!Number.isSafeInteger(v) || v < 0) throw new TraceError(file, line, null, text, 'a byte count in valgrind --trace-malloc output');
  return v;
}

/** Named arguments such as `al 64, size 300` or `size 300, al 64`; plain numbers as positional. */
function parseAligned(file: string, line: number, args: string): { size: number; align: number } {
  const size = /size (\d+)/.exec(args);
  const al = /al (\d+)/.exec(args);
  if (size && al) return { size: parseCount(file, line, size[1]!), align: parseCount(file, line, al[1]!) };
  const [a, b] = args.split(',');
  if (a !== undefined && b !== undefined) return { align: parseCount(file, line, a), size: parseCount(file, line, b) };
  if (a !== undefined) return { align: 4096, size: parseCount(file, line, a) };
  throw new TraceError(file, line, null, args, 'alignment and size, e.g. "al 64, size 300"');
}

/** The events of a valgrind --trace-malloc=yes log; fills `counts` as it goes. */
export async function* readValgrindEvents(path: string, counts: ImportCounts): AsyncGenerator<TraceEvent> {
  const ids = new AddressIds();
  let pid: string | null = null;
  for await (const { text, line } of readLines(path)) {
    const m = LINE.exec(text);
    if (!m) continue;
    const [, linePid, name, args, result] = m as unknown as [string, string, string, string, string | undefined];
    pid ??= linePid;
    const kind = kindOf(name);
    if (linePid !== pid || kind === 'other') {
      counts.skippedLines++;
      continue;
    }
    const event = (op: TraceEvent['op'], id: string, size = 0, align = 0): TraceEvent => {
      counts.events++;
      return { op, id, size, align, thread: 0, timeNs: null, domain: 'obj', label: null, line };
    };
    const closeStale = function* (closed: string | null): Generator<TraceEvent> {
      if (closed) yield event('free', closed);
    };
    switch (kind) {
      case 'alloc':
      case 'calloc':
      case 'aligned': {
        if (isNull(result)) break; // a failed allocation
        let size: number;
        let align = 0;
        if (kind === 'calloc') {
          const [n, each] = args.split(',');
          if (each === undefined) throw new TraceError(path, line, null, args, 'calloc(count,size)');
          size = parseCount(path, line, n!) * parseCount(path, line, each);
        } else if (kind === 'aligned') {
          ({ size, align } = parseAligned(path, line, args));
        } else {
          size = parseCount(path, line, args.split(',')[0]!);
        }
        const { id, closed } = ids.allocate(result!);
        yield* closeStale(closed);
        yield kind === 'aligned' ? event('memalign', id, size, align) : event(kind === 'calloc' ? 'calloc' : 'malloc', id, size);
        break;
      }
      case 'realloc': {
        const [from, sizeText] = args.split(',');
        if (sizeText === undefined) throw new TraceError(path, line, null, args, 'realloc(address,size)');
        const size = parseCount(path, line, sizeText);
        if (isNull(from)) {
          if (isNull(result)) break;
          const { id, closed } = ids.allocate(result!);
          yield* closeStale(closed);
          yield event('malloc', id, size);
        } else if (isNull(result)) {
          // realloc(p, 0) frees p; any other NULL result is a failure that leaves p live.
          if (size === 0) {
            const id = ids.release(from!);
            if (id) yield event('free', id);
          }
        } else {
          const moved = ids.move(from!, result!);
          if (moved) {
            yield* closeStale(moved.closed);
            yield event('realloc', moved.id, size);
          } else {
            const { id, closed } = ids.allocate(result!);
            yield* closeStale(closed);
            yield event('malloc', id, size);
          }
        }
        break;
      }
      case 'free': {
        const address = args.split(',')[0]!.trim();
        if (isNull(address)) break;
        const id = ids.release(address);
        if (id) yield event('free', id);
        else counts.droppedFrees++;
        break;
      }
    }
  }
}

/** Import a valgrind log into a trace v1 file (gzip when `out` ends in .gz). */
export async function importValgrind(path: string, out: string, name?: string): Promise<{ counts: ImportCounts; trace: WriteTraceSummary }> {
  // Count in a first pass so the metadata can say what was dropped.
  const counts: ImportCounts = { events: 0, droppedFrees: 0, skippedLines: 0 };
  for await (const _ of readValgrindEvents(path, counts)) void _;
  const meta: TraceMeta = {
    name: name ?? basename(out).replace(/(\.csv)?(\.gz)?$/, ''),
    source: `valgrind --trace-malloc=yes log ${basename(path)}`,
    'dropped-frees': String(counts.droppedFrees),
    'skipped-lines': String(counts.skippedLines),
  };
  const trace = await writeTrace(out, meta, readValgrindEvents(path, { events: 0, droppedFrees: 0, skippedLines: 0 }), { columns: ['op', 'id', 'size', 'align'] });
  return { counts, trace };
}

// Decoded traces kept between runs. Parsing a CSV.gz trace costs about a
// fifth of the default suite's replay time even when each trace is parsed
// once per run; a compiled copy (.hrt) reads back at typed-array speed. So
// after a run decodes a CSV trace in full (strict mode, big enough to matter),
// its batches are written in compiled form under
// node_modules/.cache/heapreplay/decoded/, named by the sha256 of the CSV
// file and a key of the decoder's own source code; the next run that meets
// the same bytes replays the copy. The key changes with any change to the
// trace-reading modules (or the CSV parser package), so a copy never outlives
// the code that made it. The copy stands in for the CSV only as a stream of
// batches and ids: the path, metadata and sha256 in results stay the CSV's.
import { createHash } from 'node:crypto';
import { open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompiledTraceSource, writeCompiledTrace } from '../traces/compiled.ts';
import type { EventBatch, TraceSource } from '../traces/types.ts';
import { WrappedTraceSource } from '../traces/wrapped-source.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DECODED_DIR = join(ROOT, 'node_modules', '.cache', 'heapreplay', 'decoded');
/** The module whose import closure decodes traces. */
const DECODER_ENTRY = fileURLToPath(new URL('../traces/open.ts', import.meta.url));
/** Smaller traces parse in milliseconds: not worth a file. */
export const MIN_STORED_EVENTS = 100_000;
/** Copies made under another decoder key are removed once this old (a run with older code may still read them). */
const STALE_MS = 10 * 60 * 1000;

/** `import ... from 'x'`, `export ... from 'x'` (over several lines too) and `import 'x'`. */
const IMPORT_FROM = /(?:^|\n)\s*(?:(?:import|export)\b[^;'"]*?\bfrom\s*|import\s*)['"]([^'"]+)['"]/g;

/** Hash of the source of `entry` and every module it imports from the package, and the versions of the packages they use. */
export async function sourceClosureKey(entry: string): Promise<string> {
  const hash = createHash('sha256');
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = await readFile(file, 'utf8');
    // Paths relative to the entry, so that two checkouts of the same code share one key.
    hash.update(`${relative(dirname(entry), file)}\0${text}\0`);
    for (const m of text.matchAll(IMPORT_FROM)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  for (const name of [...packages].sort()) {
    const version = await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8').then((t) => String((JSON.parse(t) as { version?: unknown }).version), () => 'none');
    hash.update(`${name}@${version}\0`);
  }
  return hash.digest('hex').slice(0, 16);
}

/** Size of the END block that closes every compiled trace (traces/compiled.ts): header, f64 events, u32 ids, u32 skipped. */
const END_BLOCK_BYTES = 8 + 16;
const KIND_END = 3;

/** Whether `file` exists and ends with an END block, as a whole compiled trace does (a cut copy is treated as none). */
async function endsWhole(file: string): Promise<boolean> {
  const fh = await open(file, 'r').catch(() => null);
  if (fh === null) return false;
  try {
    const size = (await fh.stat()).size;
    if (size < END_BLOCK_BYTES) return false;
    const tail = Buffer.alloc(8);
    await fh.read(tail, 0, 8, size - END_BLOCK_BYTES);
    return tail.readUInt32LE(0) === KIND_END && tail.readUInt32LE(4) === END_BLOCK_BYTES - 8;
  } finally {
    await fh.close();
  }
}

/** A compiled copy standing in for a CSV trace: its batches and ids, the CSV's name, metadata and hash. */
class StoredCopy extends WrappedTraceSource {
  constructor(
    csv: TraceSource,
    private readonly copy: CompiledTraceSource,
  ) {
    super(csv);
  }

  override get idCount(): number {
    return this.copy.idCount;
  }

  /** Copies are made of strict passes only, which skip nothing. */
  override get skippedRows(): number {
    return 0;
  }

  override idName(id: number): string {
    return this.copy.idName(id);
  }

  batches(): AsyncIterable<EventBatch> {
    return this.copy.batches();
  }
}

export class DecodedStore {
  private key: Promise<string> | null = null;

  constructor(
    private readonly dir = DECODED_DIR,
    private readonly minEvents = MIN_STORED_EVENTS,
  ) {}

  private decoderKey(): Promise<string> {
    this.key ??= sourceClosureKey(DECODER_ENTRY);
    return this.key;
  }

  private async fileFor(csv: TraceSource): Promise<string> {
    return join(this.dir, `${(await csv.sha256()).slice(0, 32)}-${await this.decoderKey()}.hrt`);
  }

  /** The stored copy of `csv` (opened in strict mode), or null when there is none. */
  async lookup(csv: TraceSource): Promise<TraceSource | null> {
    try {
      const file = await this.fileFor(csv);
      if (!(await endsWhole(file))) return null;
      const copy = await CompiledTraceSource.open(file);
      if (copy.hasTime !== csv.hasTime || JSON.stringify(copy.meta) !== JSON.stringify(csv.meta)) return null;
      return new StoredCopy(csv, copy);
    } catch {
      return null;
    }
  }

  /**
   * Write the copy of `csv` from `decoded` (a source of the same events that
   * serves them from memory: writing re-reads nothing). A failure to write
   * only costs the next run a parse, so it is not an error.
   */
  async save(csv: TraceSource, decoded: TraceSource, events: number): Promise<boolean> {
    if (events < this.minEvents) return false;
    try {
      const file = await this.fileFor(csv);
      await writeCompiledTrace(decoded, file);
      await this.removeStale(await this.decoderKey());
      return true;
    } catch {
      return false;
    }
  }

  private async removeStale(key: string): Promise<void> {
    const now = Date.now();
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.hrt') || name.endsWith(`-${key}.hrt`)) continue;
      const path = join(this.dir, name);
      const s = await stat(path).catch(() => null);
      if (s && now - s.mtimeMs > STALE_MS) await rm(path, { force: true });
    }
  }
}

/** The store a run uses: the package's cache, unless HEAPREPLAY_DECODED_CACHE=0 (to compare, or to rule it out). */
export function runStore(env: NodeJS.ProcessEnv = process.env): DecodedStore | null {
  return env.HEAPREPLAY_DECODED_CACHE === '0' ? null : new DecodedStore();
}

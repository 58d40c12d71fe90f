// Lines of an importer's input, decompressed by magic bytes: gzip in-process,
// zstd through the `zstd` program (Node 20's zlib has no zstd), else plain text.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { execa } from 'execa';
import { UsageError } from '../../harness/cli-errors.ts';

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];

export type Compression = 'gzip' | 'zstd' | 'none';

export async function detectCompression(path: string): Promise<Compression> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    if (bytesRead >= 2 && head[0] === GZIP[0] && head[1] === GZIP[1]) return 'gzip';
    if (bytesRead >= 4 && ZSTD.every((b, i) => head[i] === b)) return 'zstd';
    return 'none';
  } finally {
    await fh.close();
  }
}

/** Yields each line with its 1-based number; a corrupt stream throws naming the file and line reached. */
export async function* readLines(path: string): AsyncGenerator<{ text: string; line: number }> {
  const compression = await detectCompression(path);
  let input: Readable;
  let done: Promise<unknown> = Promise.resolve();
  if (compression === 'zstd') {
    const child = execa('zstd', ['-dc', '--', path], { stdin: 'ignore', buffer: false, reject: false });
    input = child.stdout;
    done = child.then((r) => {
      if ((r as { code?: string }).code === 'ENOENT') throw new UsageError(`${path} is zstd-compressed: install the Debian package zstd to read it`);
      if (r.exitCode !== 0) throw new UsageError(`${path}: zstd could not decompress it (${String(r.stderr ?? '').trim() || `exit ${r.exitCode}`})`);
    });
  } else if (compression === 'gzip') {
    input = createReadStream(path).pipe(createGunzip());
  } else {
    input = createReadStream(path);
  }
  let line = 0;
  try {
    const rl = createInterface({ input, crlfDelay: Infinity });
    for await (const text of rl) yield { text, line: ++line };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR') throw new UsageError(`${path}: the gzip stream is truncated or corrupt (after line ${line})`);
    throw err;
  }
  await done;
}

// Output files are written whole or not at all: write beside the target, then
// rename over it, so a failure never leaves a half-written file behind.
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
}

/** Write `data` to `path` atomically, creating the directory if needed. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Stream into `path` atomically: `produce` writes into the given stream (which
 * may be a transform such as gzip in front of the file); on any error the
 * partial file is removed and the target is left as it was.
 */
export async function streamFileAtomic(path: string, source: AsyncIterable<string | Uint8Array>, transforms: NodeJS.ReadWriteStream[] = []): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    const sink: Writable = createWriteStream(tmp);
    // pipeline's overloads cannot type a variable-length chain; the streams are checked at run time.
    await (pipeline as unknown as (...streams: unknown[]) => Promise<void>)(source, ...transforms, sink);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * address-space-32bit: seed 000 (000_259c7bcbf86affa6.txt), "Python and
 * memory fragmentation": a long-running 32-bit CPython 2.7 process juggles
 * large and small allocations until no contiguous range is left for a big
 * request, although about 1 GB is free.
 *
 * The worker loads images: each job reads a file into a str of 4-40 MiB
 * (glibc mmaps it: above the 128 KiB threshold, placed top-down, so the big
 * blocks lie side by side below the libraries), makes thumbnails of 8-64 KiB
 * and some metadata (small objects) that it keeps, on the brk heap growing up
 * from below. It fills the 3 GiB address space to within ~150 MiB, then
 * releases two images out of every five. No two released images are
 * neighbours, so the holes stay single images (tens of MB each), about 1 GB
 * in all. Freeing them raises glibc's dynamic mmap threshold, so the next
 * few medium buffers come from the heap. Finally one 256 MiB request needs a
 * contiguous range: none of the holes and not the gap between heap and
 * mappings is that large, so it fails in 32-bit mode (harness hint
 * `address-space: 32`).
 */
import { CPYTHON_27_I386 } from './cpython-sizes.ts';
import { scaled, type CaseStudy, type CaseStudyOptions } from './case-study.ts';
import { Prng } from './prng.ts';
import { PythonHeap } from './python-heap.ts';
import { TraceBuilder } from './trace-builder.ts';
import type { TraceEvent } from '../types.ts';

const MiB = 1024 * 1024;
/**
 * Room between the brk heap's start (0x0a000000) and the lowest address a
 * mapping may take below the shared libraries in the harness's default
 * 32-bit layout (3 GiB user space: 3072 - 136 - 160 MiB).
 */
export const USABLE_SPACE = 2776 * MiB;
/** What the fill leaves unused between heap and mappings: less than the big request, more than zero. */
export const FILL_HEADROOM = 150 * MiB;
export const BIG_REQUEST = 256 * MiB;
export const IMAGE_MIN = 4 * MiB;
export const IMAGE_MAX = 40 * MiB;
export const THUMBNAILS_PER_JOB = 12;
export const METADATA_PER_JOB = 200;
/** Jobs i with i % 5 in this set release their image: never two neighbours. */
export const RELEASED_RESIDUES: readonly number[] = [1, 3];

function* events({ scale, seed }: CaseStudyOptions): Generator<TraceEvent, void, unknown> {
  const rng = new Prng(seed);
  const b = new TraceBuilder();
  const py = new PythonHeap(b, CPYTHON_27_I386);
  b.idle(20_000_000); // interpreter and library start-up

  const images: number[] = [];
  const metadataPerJob = scaled(METADATA_PER_JOB, scale);
  const budget = USABLE_SPACE - FILL_HEADROOM;
  let used = 0;
  for (;;) {
    const room = budget - used;
    if (room < IMAGE_MIN + THUMBNAILS_PER_JOB * 64 * 1024) break;
    const length = Math.min(rng.octaveInt(IMAGE_MIN, IMAGE_MAX), room - THUMBNAILS_PER_JOB * 64 * 1024);
    // data = open(path, 'rb').read(): one str of the file's length.
    const image = yield* py.str(length);
    images.push(image);
    used += b.sizeOf(image);
    b.idle(length / 2); // the disk read, ~2 GB/s from the page cache
    for (let t = 0; t < THUMBNAILS_PER_JOB; t++) {
      const thumb = yield* py.str(rng.octaveInt(8 * 1024, 64 * 1024));
      used += b.sizeOf(thumb);
      b.idle(200_000); // scaling the image down
    }
    for (let m = 0; m < metadataPerJob; m++) {
      const id = m % 4 === 0 ? yield* py.tuple(rng.int(2, 4)) : yield* py.str(rng.octaveInt(4, 200));
      used += b.sizeOf(id);
    }
  }
  yield* b.mark('After fill');

  for (let i = 0; i < images.length; i++) {
    if (RELEASED_RESIDUES.includes(i % 5)) {
      yield* b.free(images[i]!);
      b.idle(30_000); // munmap of tens of MB
    }
  }
  yield* b.mark('After free');

  // Later work with medium buffers: the raised mmap threshold puts them on the heap.
  for (let i = 0; i < 6; i++) {
    const buffer = yield* py.str(rng.octaveInt(2 * MiB, 8 * MiB));
    b.idle(2_000_000);
    yield* b.free(buffer);
  }
  b.idle(50_000_000);
  yield* b.mark('Before big request');
  yield* py.str(BIG_REQUEST - CPYTHON_27_I386.strSize(0));
}

export const addressSpace32bit: CaseStudy = {
  name: 'address-space-32bit',
  summary: 'a 32-bit process fills 3 GiB with 4-40 MiB images and small objects, frees 2 in 5, then asks for 256 MiB',
  source: 'seed 000 (000_259c7bcbf86affa6.txt), "Python and memory fragmentation"',
  python: CPYTHON_27_I386.version,
  description:
    'An image worker in a 32-bit CPython 2.7 keeps thumbnails and metadata on the brk heap while 4-40 MiB images are mmapped top-down, until the address space is full to within ~150 MiB; it frees two images in every five (never neighbours), leaving ~1 GB free in holes of at most 40 MiB, and finally requests 256 MiB, which no contiguous range can hold.',
  hints: { 'address-space': '32' },
  scaleNote: 'the address space fixes the images and the fill; the scale multiplies the small metadata objects per job',
  events,
};

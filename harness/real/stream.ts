// Converts any trace (CSV, gzip or compiled, through a TraceSource) into the
// replay stream the native replayer reads: a header and fixed-size 32-byte
// little-endian records, so the C side needs no parser and no allocation.
//
// Header (32 bytes): "HRREPLAY" | u32 version (1) | u32 record size (32) |
//   u64 event count | u32 slot count | u32 peak-live event index (0xffffffff: none)
// Record (32 bytes): u8 op (OP codes) | u8 0 | u16 thread | u32 slot |
//   u64 size | u64 aux | f64 time_ns
//   aux: memalign → alignment; realloc → the block's previous requested size;
//        free → the freed block's requested size; mark → label length in bytes.
//   A mark record is followed by its UTF-8 label, padded with zeros to a whole
//   number of records, so records stay aligned.
// Slots are small integers the C side indexes a pointer table with. A slot is
// reused once its block is freed, so the table (whose pages count in the child's
// RSS) grows with the peak number of live blocks, not with the trace's ids.
import { open } from 'node:fs/promises';
import { NO_ID, OP, type TraceSource } from '../../traces/types.ts';

export const STREAM_MAGIC = 'HRREPLAY';
export const STREAM_VERSION = 1;
export const RECORD_BYTES = 32;
export const HEADER_BYTES = 32;
/** Labels longer than this are cut (at a character boundary) to keep the C side's buffer static. */
export const MAX_LABEL_BYTES = 4000;
const NO_EVENT = 0xffffffff;
const CHUNK_RECORDS = 1 << 16;
const TWO_32 = 2 ** 32;

export interface StreamSummary {
  events: number;
  /** Pointer-table size the replayer needs (peak live blocks). */
  slots: number;
  /** Exact peak of live requested bytes, and the event (0-based) where it was reached. */
  peakLiveBytes: number;
  peakLiveEvent: number;
  finalLiveBytes: number;
  /** The mark labels in trace order (the C side echoes them; kept here to cross-check). */
  marks: { event: number; label: string }[];
  hasTime: boolean;
}

export interface StreamOptions {
  /** ns per event when the trace has no time column. */
  tickNs: number;
}

/** Cut a label to MAX_LABEL_BYTES of UTF-8 without splitting a character. */
function labelBytes(label: string): Buffer {
  let bytes = Buffer.from(label, 'utf8');
  if (bytes.length <= MAX_LABEL_BYTES) return bytes;
  let end = MAX_LABEL_BYTES;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  bytes = bytes.subarray(0, end);
  return bytes;
}

/** Write the replay stream for `source` to `outPath`. */
export async function writeReplayStream(source: TraceSource, outPath: string, options: StreamOptions): Promise<StreamSummary> {
  const file = await open(outPath, 'w');
  try {
    const chunk = Buffer.alloc(CHUNK_RECORDS * RECORD_BYTES);
    const u32 = new Uint32Array(chunk.buffer, chunk.byteOffset, chunk.length / 4);
    const f64 = new Float64Array(chunk.buffer, chunk.byteOffset, chunk.length / 8);
    let used = 0; // records in chunk
    let filePos = HEADER_BYTES;
    const flush = async (): Promise<void> => {
      if (used === 0) return;
      await file.write(chunk, 0, used * RECORD_BYTES, filePos);
      filePos += used * RECORD_BYTES;
      used = 0;
    };

    let slotOfId = new Int32Array(1024).fill(-1);
    let sizeOfId = new Float64Array(1024);
    let freeSlots = new Uint32Array(1024);
    let freeCount = 0;
    let slotCount = 0;
    let live = 0;
    let peakLive = 0;
    let peakLiveEvent = NO_EVENT;
    let event = 0;
    const marks: { event: number; label: string }[] = [];

    const ensureIds = (n: number): void => {
      if (n <= slotOfId.length) return;
      let cap = slotOfId.length;
      while (cap < n) cap *= 2;
      const s = new Int32Array(cap).fill(-1);
      s.set(slotOfId);
      slotOfId = s;
      const z = new Float64Array(cap);
      z.set(sizeOfId);
      sizeOfId = z;
    };

    for await (const batch of source.batches()) {
      ensureIds(source.idCount);
      for (let i = 0; i < batch.length; i++, event++) {
        if (used + 1 + Math.ceil(MAX_LABEL_BYTES / RECORD_BYTES) > CHUNK_RECORDS) await flush();
        const op = batch.op[i]!;
        const id = batch.id[i]!;
        const size = batch.size[i]!;
        let slot = 0;
        let aux = 0;
        if (op === OP.mark) {
          const label = batch.labels.get(i) ?? '';
          marks.push({ event, label });
          const bytes = labelBytes(label);
          aux = bytes.length;
          const base = (used + 1) * RECORD_BYTES;
          const padded = Math.ceil(bytes.length / RECORD_BYTES) * RECORD_BYTES;
          chunk.fill(0, base, base + padded);
          bytes.copy(chunk, base);
        } else {
          if (id === NO_ID || id >= slotOfId.length) throw new Error(`replay stream: event ${event} has no id`);
          if (op === OP.free || op === OP.realloc) {
            slot = slotOfId[id]!;
            if (slot < 0) throw new Error(`replay stream: event ${event} frees or reallocs id ${source.idName(id)}, which is not live`);
            aux = sizeOfId[id]!;
            live -= aux;
            if (op === OP.free) {
              slotOfId[id] = -1;
              if (freeCount === freeSlots.length) {
                const f = new Uint32Array(freeSlots.length * 2);
                f.set(freeSlots);
                freeSlots = f;
              }
              freeSlots[freeCount++] = slot;
            }
          } else {
            slot = freeCount > 0 ? freeSlots[--freeCount]! : slotCount++;
            slotOfId[id] = slot;
            if (op === OP.memalign) aux = batch.align[i]!;
          }
          if (op !== OP.free) {
            sizeOfId[id] = size;
            live += size;
            if (live > peakLive) {
              peakLive = live;
              peakLiveEvent = event;
            }
          }
        }
        const w = used * 8; // record index in u32 words
        u32[w] = op | (batch.thread[i]! << 16);
        u32[w + 1] = slot;
        const recSize = op === OP.mark || op === OP.free ? 0 : size;
        u32[w + 2] = recSize % TWO_32;
        u32[w + 3] = Math.floor(recSize / TWO_32);
        u32[w + 4] = aux % TWO_32;
        u32[w + 5] = Math.floor(aux / TWO_32);
        const t = batch.timeNs[i]!;
        f64[used * 4 + 3] = source.hasTime && !Number.isNaN(t) ? t : event * options.tickNs;
        used += 1 + (op === OP.mark ? Math.ceil(aux / RECORD_BYTES) : 0);
      }
    }
    await flush();

    const header = Buffer.alloc(HEADER_BYTES);
    header.write(STREAM_MAGIC, 0, 'latin1');
    header.writeUInt32LE(STREAM_VERSION, 8);
    header.writeUInt32LE(RECORD_BYTES, 12);
    header.writeUInt32LE(event % TWO_32, 16);
    header.writeUInt32LE(Math.floor(event / TWO_32), 20);
    header.writeUInt32LE(slotCount, 24);
    header.writeUInt32LE(peakLiveEvent, 28);
    await file.write(header, 0, HEADER_BYTES, 0);
    return {
      events: event,
      slots: slotCount,
      peakLiveBytes: peakLive,
      peakLiveEvent: peakLiveEvent === NO_EVENT ? -1 : peakLiveEvent,
      finalLiveBytes: live,
      marks,
      hasTime: source.hasTime,
    };
  } finally {
    await file.close();
  }
}

// The replayer: one pass over a trace's event batches, feeding each event to an
// allocator model and watching the simulated OS. Follow one event: the batch
// gives its op, interned id and size; the id table gives the block's address;
// the model serves the request on its AddressSpace; the replayer writes the
// user bytes (the touch policy), which makes pages resident; the probe reads
// RSS. Marks take a snapshot: RSS, an address map, and the model's account of
// the resident memory that holds no live data.
import type { AddressSpace } from '../allocators/address-space.ts';
import type { ModelInstance } from '../allocators/registry.ts';
import type { AllocRequest, AllocatorModel } from '../allocators/types.ts';
import { formatBytes } from '../allocators/units.ts';
import { CompiledTraceSource } from '../traces/compiled.ts';
import { OP, TraceError, type EventBatch, type TraceSource } from '../traces/types.ts';
import { buildAddressMap, freeAddressSpace } from './address-map.ts';
import { LIVE_STRIDE, LiveBlocks } from './live-blocks.ts';
import { MetricsProbe } from './probe.ts';
import { SAMPLE_CHUNK, SampleColumns } from './sample-columns.ts';
import type { FailureRecord, MarkRecord, ModelIdentity, RetentionRecord, RunOptionsRecord, RunResult, RunStatus, TraceIdentity } from './result.ts';

/** The effective options of a run, plus what only the replayer needs. */
export interface ReplayOptions extends RunOptionsRecord {
  /** Draw an address map at each mark (default true). */
  addressMaps?: boolean;
  /** Called after each batch with the number of events replayed so far. */
  onProgress?: (events: number) => void;
  /** Budget of the downsampled timeline (default 2000). */
  timelinePoints?: number;
}

/** Events between two look-aheads, and how far ahead they load (a power of two). */
const LOOKAHEAD = 16;

/** The label retention is taken under when the trace ends (or the run stops). */
export const END_MARK = '(end)';

/** A trace's display name: its `# name:` metadata, else the file name without extensions. */
export function traceName(source: TraceSource): string {
  const named = source.meta.name?.trim();
  if (named) return named;
  const base = source.path.split(/[\\/]/).pop() ?? source.path;
  return base.replace(/(\.csv)?(\.gz)?$/i, '').replace(/\.hrt$/i, '');
}

export function modelIdentity(instance: ModelInstance): ModelIdentity {
  const { spec, model } = instance;
  const params: Record<string, number | boolean | string> = { ...instance.params };
  for (const [k, v] of Object.entries(instance.backingParams ?? {})) params[`backing.${k}`] = v;
  const note = model.describe();
  return {
    name: spec.name,
    preset: spec.preset,
    backing: spec.backing ? `${spec.backing.name}@${spec.backing.preset}` : null,
    params,
    note: { title: note.title, text: note.text },
  };
}

/** The model's retention findings, with the blocking block named by its trace id, size and allocating event. */
function takeRetention(model: AllocatorModel, blocks: LiveBlocks, source: TraceSource, mark: string): RetentionRecord[] {
  return model.retention().map((f) => {
    const r: RetentionRecord = { mark, kind: f.kind, bytes: f.bytes, text: f.text };
    let blockId = f.blockId;
    let blockSize = f.blockSize;
    let blockEvent = f.blockEvent;
    if (f.blockAddr !== undefined && blockId === undefined) {
      const id = blocks.find(f.blockAddr);
      if (id >= 0) {
        blockId = source.idName(id);
        blockSize = blocks.sizeOf(id);
        blockEvent = blocks.eventOf(id);
      }
    }
    if (blockId !== undefined) r.blockId = blockId;
    if (blockSize !== undefined) r.blockSize = blockSize;
    if (blockEvent !== undefined) r.blockEvent = blockEvent;
    if (f.liveBlocks !== undefined) r.liveBlocks = f.liveBlocks;
    if (f.purgeAtNs !== undefined) r.purgeAtNs = f.purgeAtNs;
    return r;
  });
}

function allocFailure(space: AddressSpace, event: number, line: number, request: number, what: string): FailureRecord {
  const free = freeAddressSpace(space);
  return {
    event,
    line,
    reason: `${what} of ${request} bytes (${formatBytes(request)}) returned NULL; the largest free address range was ${formatBytes(free.largestFreeBytes)} of ${formatBytes(free.totalFreeBytes)} free`,
    requestBytes: request,
    largestFreeRangeBytes: free.largestFreeBytes,
    freeAddressBytes: free.totalFreeBytes,
  };
}

/**
 * What the hot loop reads and carries from one batch to the next, in one
 * object of one shape, so that the loop reads fields and locals: no closure,
 * no per-event allocation. The loop stops at marks and at the end of the run
 * and leaves those to `replay`, which keeps the per-event path short.
 */
class ReplayLoop {
  readonly model: AllocatorModel;
  readonly space: AddressSpace;
  readonly blocks: LiveBlocks;
  readonly probe: MetricsProbe;
  private readonly columns = new SampleColumns();
  /** Never read: see lookAhead. */
  private lookAheadSink = 0;
  readonly req: AllocRequest = { id: 0, event: 0, thread: 0, domain: 0, nowNs: 0 };
  readonly touchFull: boolean;
  readonly hasTime: boolean;
  readonly tickNs: number;
  /** The memory limit in bytes, or +Infinity for none (one comparison per event either way). */
  readonly limit: number;
  readonly trackFree: boolean;
  /** Index of the next event; the trace clock; the largest free range when tracked (NaN otherwise). */
  event = 0;
  clock = 0;
  largestFree = NaN;
  lastMappedPages = -1;
  /** Set when the run stops: an allocation returned NULL or RSS passed the limit. */
  failure: FailureRecord | null = null;
  status: RunStatus = 'ok';

  constructor(
    readonly source: TraceSource,
    instance: ModelInstance,
    options: ReplayOptions,
  ) {
    this.model = instance.model;
    this.space = instance.space;
    this.touchFull = options.touch === 'full';
    this.hasTime = source.hasTime;
    this.tickNs = options.tickNs;
    this.limit = options.memoryLimitBytes ?? Infinity;
    this.trackFree = this.space.bits === 32;
    // A compiled trace says up front how many ids it holds: one table of the final size, no doubling copies.
    const ids = source instanceof CompiledTraceSource ? (source.finalIdCount ?? source.idCount) : source.idCount;
    this.blocks = new LiveBlocks(Math.max(1024, ids));
    this.probe = new MetricsProbe({ trackLargestFree: this.trackFree, maxPoints: options.timelinePoints });
  }

  /**
   * Replay events [from, b.length) of a batch. Returns the index of a mark
   * event (already sampled, its clock applied, `event` still its index) for
   * the caller to snapshot, or b.length when the batch is done or the run stopped.
   *
   * The state after each event goes into the sample columns with plain stores
   * and reaches the probe a chunk at a time: a probe call per event would box
   * its seven numbers whenever the model's code leaves no inlining budget.
   */
  run(b: EventBatch, from: number): number {
    const model = this.model;
    const space = this.space;
    const blocks = this.blocks;
    const req = this.req;
    const touchFull = this.touchFull;
    const hasTime = this.hasTime;
    const tickNs = this.tickNs;
    const limit = this.limit;
    const trackFree = this.trackFree;
    const cols = this.columns;
    const cTime = cols.time;
    const cLive = cols.live;
    const cRss = cols.rss;
    const cMapped = cols.mapped;
    const cSlack = cols.slack;
    const cFree = cols.free;
    const ops = b.op;
    const ids = b.id;
    const sizes = b.size;
    const times = b.timeNs;
    const threads = b.thread;
    const domains = b.domain;
    const n = b.length;
    let event = this.event;
    let clock = this.clock;
    let largestFree = this.largestFree;
    /** Rows filled in the columns, and the event of row 0. */
    let k = 0;
    let firstEvent = event;
    let i = from;
    this.lookAhead(ids, from, Math.min(n, from + 2 * LOOKAHEAD));
    for (; i < n; i++) {
      if ((i & (LOOKAHEAD - 1)) === 0) this.lookAhead(ids, i + LOOKAHEAD, Math.min(n, i + 2 * LOOKAHEAD));
      const op = ops[i]!;
      const id = ids[i]!;
      const size = sizes[i]!;
      const now = hasTime ? times[i]! : event * tickNs;
      if (now > clock) {
        clock = now;
        model.advanceTime(clock);
      }
      req.id = id;
      req.event = event;
      req.thread = threads[i]!;
      req.domain = domains[i]!;
      req.nowNs = clock;

      if (op === OP.free) {
        const addr = id < blocks.capacity ? blocks.slots[id * LIVE_STRIDE]! : 0;
        if (addr === 0) throw this.notLive(b, i);
        model.free(addr, req);
        blocks.remove(id);
      } else if (op === OP.malloc || op === OP.calloc || op === OP.memalign) {
        if (id >= blocks.capacity) blocks.ensure(id + 1);
        if (blocks.slots[id * LIVE_STRIDE] !== 0) throw this.alreadyLive(b, i);
        const addr = op === OP.memalign ? model.memalign(b.align[i]!, size, req) : model.malloc(size, req);
        if (addr === 0) {
          this.allocFailed(b, i, event, op);
        } else {
          blocks.add(id, addr, size, event, model.usableSize(addr) - size);
          if (touchFull && op !== OP.calloc) space.touch(addr, size);
        }
      } else if (op === OP.realloc) {
        const old = id < blocks.capacity ? blocks.slots[id * LIVE_STRIDE]! : 0;
        if (old === 0) throw this.notLive(b, i);
        const addr = model.realloc(old, size, req);
        if (addr === 0) {
          this.allocFailed(b, i, event, op);
        } else {
          blocks.remove(id);
          blocks.add(id, addr, size, event, model.usableSize(addr) - size);
          if (touchFull) space.touch(addr, size);
        }
      }

      const rss = space.residentBytes;
      if (trackFree && space.mappedPages !== this.lastMappedPages) {
        // 32-bit mode: the layout changes only when something is mapped or unmapped.
        this.lastMappedPages = space.mappedPages;
        largestFree = space.largestFreeRange();
        this.largestFree = largestFree;
      }
      cTime[k] = clock;
      cLive[k] = blocks.liveBytes;
      cRss[k] = rss;
      cMapped[k] = space.mappedBytes;
      cSlack[k] = blocks.slackBytes;
      cFree[k] = largestFree;
      k++;
      if (op === OP.mark) break;
      if (rss > limit && this.failure === null) this.oom(b, i, event, rss);
      if (this.failure !== null) {
        event++;
        i = n;
        break;
      }
      if (k === SAMPLE_CHUNK) {
        this.probe.sampleColumns(cols, firstEvent, k);
        k = 0;
        firstEvent = event + 1;
      }
      event++;
    }
    this.probe.sampleColumns(cols, firstEvent, k);
    this.event = event;
    this.clock = clock;
    return i;
  }

  /**
   * Load the live-block rows of the ids of events [from, to) ahead of their
   * turn. A free or realloc reads the row of an id allocated long before, a
   * cache miss on a big trace (tens of MB of rows); loaded one event at a
   * time the misses come one after the other, loaded here together they
   * overlap. The comparison keeps the loads from being optimised away.
   */
  private lookAhead(ids: Uint32Array, from: number, to: number): void {
    const slots = this.blocks.slots;
    const capacity = this.blocks.capacity;
    let ones = 0;
    for (let j = from; j < to; j++) {
      const id = ids[j]!;
      if (id < capacity && slots[id * LIVE_STRIDE] === 1) ones++;
    }
    this.lookAheadSink += ones;
  }

  private notLive(b: EventBatch, i: number): TraceError {
    return new TraceError(this.source.path, b.line[i]!, 'id', this.source.idName(b.id[i]!), 'an id that is live');
  }

  private alreadyLive(b: EventBatch, i: number): TraceError {
    return new TraceError(this.source.path, b.line[i]!, 'id', this.source.idName(b.id[i]!), 'an id that is not live (it was allocated and not freed)');
  }

  private allocFailed(b: EventBatch, i: number, event: number, op: number): void {
    const what = op === OP.memalign ? 'memalign' : op === OP.calloc ? 'calloc' : op === OP.realloc ? 'realloc' : 'malloc';
    this.status = 'alloc-failed';
    this.failure = allocFailure(this.space, event, b.line[i]!, b.size[i]!, what);
  }

  oom(b: EventBatch, i: number, event: number, rss: number): void {
    this.status = 'oom';
    this.failure = {
      event,
      line: b.line[i]!,
      reason: `RSS reached ${formatBytes(rss)}, past the memory limit of ${formatBytes(this.limit)}: the kernel's OOM killer ends the process here`,
      rssBytes: rss,
      largestFreeRangeBytes: this.trackFree ? this.largestFree : null,
    };
  }
}

/**
 * Replay `source` through the model of `instance` (built on a fresh
 * AddressSpace with the run's address-space options) and measure it.
 *
 * Touch policy `full` writes the user bytes the program would write: after
 * malloc and memalign the requested bytes, after realloc the whole new block
 * (the copy plus the bytes the program then fills). calloc is never touched:
 * fresh pages from the kernel are already zero, and recycled memory that
 * calloc clears is already resident, so the write changes no RSS either way.
 * `none` writes nothing; models still touch their own metadata.
 *
 * realloc follows the model contract: it returns the new address or 0 on
 * failure, the old block staying live. A realloc to size 0 is passed to the
 * model as a resize to 0 bytes and the id stays live, because trace format v1
 * keeps the id of a realloc and frees it with a later `free` row (glibc's
 * "realloc(p, 0) frees p" shows in a trace as a free row). A 0 from malloc,
 * memalign or realloc stops the run as `alloc-failed` in either address-space
 * mode, recording the largest free address range at that moment.
 */
export async function replay(source: TraceSource, instance: ModelInstance, options: ReplayOptions): Promise<RunResult> {
  const { model, space } = instance;
  const drawMaps = options.addressMaps ?? true;
  const loop = new ReplayLoop(source, instance, options);
  const { blocks, probe } = loop;
  const marks: MarkRecord[] = [];
  const retention: RetentionRecord[] = [];
  let totalEvents = 0;

  const started = performance.now();
  // The loop is done with a batch before it asks for the next, so a compiled trace may reuse its buffers.
  const batches = source instanceof CompiledTraceSource ? source.batches({ reuseBuffers: true }) : source.batches();
  for await (const b of batches) {
    totalEvents += b.length;
    if (loop.failure !== null) continue; // the run stopped; keep streaming only to count the trace's events
    blocks.ensure(source.idCount);
    for (let i = loop.run(b, 0); i < b.length; i = loop.run(b, i + 1)) {
      // A mark: the loop has applied its clock and sampled it.
      const event = loop.event;
      const label = b.labels.get(i) ?? '';
      const rss = space.residentBytes;
      const mapped = space.mappedBytes;
      const mark: MarkRecord = {
        label,
        event,
        timeNs: loop.clock,
        rssBytes: rss,
        liveBytes: blocks.liveBytes,
        mappedBytes: mapped,
        freeResidentBytes: Math.max(0, rss - blocks.liveBytes),
      };
      if (drawMaps) mark.map = buildAddressMap(space);
      marks.push(mark);
      probe.keepPoint({ event, timeNs: loop.clock, liveBytes: blocks.liveBytes, rssBytes: rss, mappedBytes: mapped, largestFreeBytes: loop.largestFree });
      retention.push(...takeRetention(model, blocks, source, label));
      if (rss > loop.limit) loop.oom(b, i, event, rss);
      loop.event = event + 1;
      if (loop.failure !== null) break;
    }
    options.onProgress?.(loop.event);
  }
  const event = loop.event;
  const status = loop.status;
  const failure = loop.failure;
  const seconds = (performance.now() - started) / 1000;

  retention.push(...takeRetention(model, blocks, source, END_MARK));
  const summary = probe.finish();
  const trace: TraceIdentity = {
    name: traceName(source),
    path: source.path,
    events: totalEvents,
    sha256: await source.sha256(),
    meta: { ...source.meta },
  };
  if (options.lenient || source.skippedRows > 0) trace.skippedRows = source.skippedRows;
  const record: RunOptionsRecord = {
    touch: options.touch,
    tickNs: options.tickNs,
    memoryLimitBytes: options.memoryLimitBytes,
    addressSpaceBits: options.addressSpaceBits,
    ...(options.userSpaceBytes !== undefined ? { userSpaceBytes: options.userSpaceBytes } : {}),
    lenient: options.lenient,
    ...(options.shard !== undefined ? { shard: options.shard } : {}),
  };
  return {
    trace,
    model: modelIdentity(instance),
    status,
    peakRssBytes: summary.peakRssBytes,
    finalRssBytes: summary.finalRssBytes,
    peakLiveBytes: summary.peakLiveBytes,
    finalLiveBytes: summary.finalLiveBytes,
    peakMappedBytes: summary.peakMappedBytes,
    internalFragmentationBytes: summary.internalFragmentationBytes,
    freeResidentBytes: Math.max(0, summary.finalRssBytes - summary.finalLiveBytes),
    marks,
    fragmentation: summary.fragmentation,
    retention,
    failure,
    timeline: summary.timeline,
    replay: { events: event, seconds, eventsPerSecond: seconds > 0 ? event / seconds : 0 },
    options: record,
  };
}

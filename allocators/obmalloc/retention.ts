// Why resident obmalloc memory holds no live data: arenas kept by a few live
// blocks, empty pools inside live arenas, free blocks in used pools, the empty
// arena 3.9+ keeps on purpose; then the backing's own findings, with chunks
// that are obmalloc's arenas or bookkeeping named as such.
import type { ModelNote, RetentionFinding } from '../types.ts';
import { formatBytes } from '../units.ts';
import { NO_ARENA } from './arenas.ts';
import type { ObmallocModel } from './model.ts';

/** Arenas whose free pools are at least this share of their pools count as "mostly free". */
const MOSTLY_FREE = 0.5;
/** Name one pinning block when an arena is held by at most this many. */
const FEW_BLOCKS = 16;
/** Pinned arenas reported one by one; the rest are summed in one finding. */
const PINNED_SHOWN = 5;

/** What one live arena holds, in blocks and resident bytes. */
export interface ArenaSummary {
  arena: number;
  address: number;
  totalPools: number;
  /** Empty pools plus pools never carved. */
  freePools: number;
  usedPools: number;
  liveBlocks: number;
  /** Bytes of the live blocks (block sizes, not requests). */
  liveBytes: number;
  /** Resident bytes of empty and never-carved pools. */
  emptyPoolBytes: number;
  /** Resident bytes of used pools that hold no live block (free blocks, header, tail). */
  freeBlockBytes: number;
}

export function summarizeArena(model: ObmallocModel, a: number): ArenaSummary {
  const { arenas, pools, space, config } = model;
  const pageBytes = space.pageSize;
  let usedPools = 0;
  let liveBlocks = 0;
  let liveBytes = 0;
  let emptyPoolBytes = 0;
  let freeBlockBytes = 0;
  const carved = arenas.carved[a]!;
  for (let slot = 0; slot < carved; slot++) {
    const p = arenas.poolNumber(a, slot);
    const resident = space.residentPagesIn(pools.addr[p]!, config.poolSize) * pageBytes;
    const n = pools.count(p);
    if (n === 0) {
      emptyPoolBytes += resident;
      continue;
    }
    const bytes = n * pools.blockSizeOf(p);
    usedPools++;
    liveBlocks += n;
    liveBytes += bytes;
    freeBlockBytes += Math.max(0, resident - bytes - config.poolHeader);
  }
  const total = arenas.ntotalpools[a]!;
  if (carved < total) {
    // Arenas carved from a reused C heap can have resident never-used pools.
    const start = arenas.firstPool[a]! + carved * config.poolSize;
    emptyPoolBytes += space.residentPagesIn(start, (total - carved) * config.poolSize) * pageBytes;
  }
  return { arena: a, address: arenas.address[a]!, totalPools: total, freePools: total - usedPools, usedPools, liveBlocks, liveBytes, emptyPoolBytes, freeBlockBytes };
}

/** Every arena that holds memory, in arena-object order. */
export function liveArenas(model: ObmallocModel): number[] {
  const out: number[] = [];
  for (let a = 0; a < model.arenas.objects; a++) if (model.arenas.address[a] !== 0) out.push(a);
  return out;
}

/** The address of one live block of arena a, or undefined. */
export function onePinningBlock(model: ObmallocModel, a: number): number | undefined {
  const { arenas, pools } = model;
  for (let slot = 0; slot < arenas.carved[a]!; slot++) {
    const p = arenas.poolNumber(a, slot);
    if (pools.count(p) > 0) return pools.liveBlocks(p, 1)[0];
  }
  return undefined;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function obmallocRetention(model: ObmallocModel): RetentionFinding[] {
  const { config } = model;
  const out: RetentionFinding[] = [];
  const pinned: { s: ArenaSummary; bytes: number }[] = [];
  let emptyBytes = 0;
  let emptyPools = 0;
  let freeBytes = 0;
  let freePoolsWithSpace = 0;
  let wholeEmptyArenas = 0;
  let usedPoolsTotal = 0;
  const tail = model.usable?.tail() ?? NO_ARENA;
  for (const a of liveArenas(model)) {
    const s = summarizeArena(model, a);
    usedPoolsTotal += s.usedPools;
    if (s.liveBlocks === 0 && config.freesArenas) {
      const bytes = s.emptyPoolBytes + s.freeBlockBytes;
      const why = a === tail ? 'at the tail of usable_arenas, kept on purpose so that a loop that allocates and frees does not map and unmap an arena each time (bpo-37257, CPython 3.9+)' : 'kept although every pool is free';
      out.push({ kind: 'kept-arena', bytes, text: `An empty ${formatBytes(config.arenaSize)} obmalloc arena at ${hex(s.address)} (${formatBytes(bytes)} resident) is ${why}.` });
      continue;
    }
    if (s.liveBlocks === 0) wholeEmptyArenas++;
    if (config.freesArenas && s.emptyPoolBytes > 0 && s.freePools >= MOSTLY_FREE * s.totalPools) {
      pinned.push({ s, bytes: s.emptyPoolBytes + s.freeBlockBytes });
      continue;
    }
    emptyBytes += s.emptyPoolBytes;
    if (s.emptyPoolBytes > 0) emptyPools += s.freePools;
    freeBytes += s.freeBlockBytes;
    if (s.freeBlockBytes > 0) freePoolsWithSpace += s.usedPools;
  }
  pinned.sort((x, y) => y.bytes - x.bytes || x.s.address - y.s.address);
  pinned.slice(0, PINNED_SHOWN).forEach(({ s, bytes }) => {
    if (bytes === 0) return;
    const f: RetentionFinding = {
      kind: 'arena-pinned',
      bytes,
      liveBlocks: s.liveBlocks,
      text: `The ${formatBytes(config.arenaSize)} obmalloc arena at ${hex(s.address)} has ${s.freePools} of ${s.totalPools} pools free but stays allocated because ${plural(s.liveBlocks, 'live block')} (${formatBytes(s.liveBytes)}) ${s.liveBlocks === 1 ? 'keeps' : 'keep'} it; ${formatBytes(bytes)} of its resident pages hold no live data.`,
    };
    if (s.liveBlocks <= FEW_BLOCKS) f.blockAddr = onePinningBlock(model, s.arena);
    out.push(f);
  });
  const rest = pinned.slice(PINNED_SHOWN).filter((x) => x.bytes > 0);
  if (rest.length > 0) {
    const bytes = rest.reduce((t, x) => t + x.bytes, 0);
    const blocks = rest.reduce((t, x) => t + x.s.liveBlocks, 0);
    out.push({ kind: 'arena-pinned', bytes, liveBlocks: blocks, text: `${plural(rest.length, 'more mostly free obmalloc arena')} stay allocated because ${plural(blocks, 'live block')} keep them; ${formatBytes(bytes)} of their resident pages hold no live data.` });
  }
  if (emptyBytes > 0) {
    const why = config.freesArenas
      ? 'obmalloc gives memory back only as whole arenas, and these arenas still hold live blocks'
      : `obmalloc ${config.version} never frees an arena${wholeEmptyArenas > 0 ? ` (${plural(wholeEmptyArenas, 'arena')} hold no live block at all)` : ''}, so free pools wait for reuse`;
    out.push({ kind: 'empty-pools', bytes: emptyBytes, text: `${formatBytes(emptyBytes)} of free pools (${plural(emptyPools, 'pool')}) inside live arenas stay resident: ${why}.` });
  }
  if (freeBytes > 0) {
    out.push({ kind: 'free-blocks', bytes: freeBytes, text: `${formatBytes(freeBytes)} of free blocks inside ${plural(freePoolsWithSpace, 'partly used pool')} stay resident until requests of the same size class reuse them.` });
  }
  const metadata = bookkeeping(model, usedPoolsTotal);
  if (metadata !== null) out.push(metadata);
  for (const f of model.backing.retention()) out.push(nameOwnChunk(model, f));
  return out;
}

/**
 * obmalloc's own bookkeeping: the arena vector (and 2.4's leaked old ones),
 * the headers of used pools, and the 3.10+ radix-tree nodes. CPython never
 * frees the vector or the nodes, so after everything is freed this is what
 * obmalloc still holds besides a kept arena.
 */
function bookkeeping(model: ObmallocModel, usedPools: number): RetentionFinding | null {
  const { arenas, config } = model;
  const slot = config.freesArenas ? config.arenaObjectSize : config.pointerSize;
  let vector = arenas.vectorSlots * slot;
  let size = arenas.vectorSlots;
  for (let i = arenas.leakedVectors.length; i > 0; i--) vector += (size /= 2) * slot;
  const headers = usedPools * config.poolHeader;
  const radix = model.radix?.residentBytes() ?? 0;
  const bytes = vector + headers + radix;
  if (bytes === 0) return null;
  const parts = [`the arena vector (${formatBytes(arenas.vectorSlots * slot)}${arenas.leakedVectors.length > 0 ? `, plus ${plural(arenas.leakedVectors.length, 'older copy', 'older copies')} leaked on purpose` : ''})`];
  if (headers > 0) parts.push(`the ${config.poolHeader}-byte headers of ${plural(usedPools, 'used pool')}`);
  if (radix > 0) parts.push(`the resident pages of the arena radix tree (${formatBytes(radix)})`);
  return { kind: 'metadata', bytes, text: `${formatBytes(bytes)} of obmalloc bookkeeping: ${parts.join(', ')}.` };
}

/** A copy of f with new text and no blockAddr: the chunk it named is not a trace block. */
function withoutBlock(f: RetentionFinding, text: string): RetentionFinding {
  const { blockAddr: _chunk, ...rest } = f;
  return { ...rest, text };
}

/** When a backing finding's blocking chunk is one of obmalloc's, say which and what holds it. */
function nameOwnChunk(model: ObmallocModel, f: RetentionFinding): RetentionFinding {
  const addr = f.blockAddr;
  if (addr === undefined) return f;
  const { arenas } = model;
  if (addr === arenas.vectorAddr || arenas.leakedVectors.includes(addr)) {
    return withoutBlock(f, `${f.text} That chunk is obmalloc's arena vector, which is never freed.`);
  }
  if (model.config.arenaSource !== 'malloc') return f;
  const a = arenas.arenaContaining(addr);
  if (a === NO_ARENA || arenas.address[a] !== addr) return f;
  const s = summarizeArena(model, a);
  const held = !model.config.freesArenas
    ? `obmalloc ${model.config.version} never frees arenas (${plural(s.liveBlocks, 'live block')} in it now)`
    : s.liveBlocks === 0
      ? 'an empty arena obmalloc keeps on purpose (bpo-37257)'
      : `it stays until ${s.liveBlocks === 1 ? 'its one live block is' : `its last ${s.liveBlocks} live blocks are`} freed`;
  const out = withoutBlock(f, `${f.text} That chunk is an obmalloc arena: ${held}.`);
  out.liveBlocks = s.liveBlocks;
  if (model.config.freesArenas && s.liveBlocks > 0 && s.liveBlocks <= FEW_BLOCKS) out.blockAddr = onePinningBlock(model, a);
  return out;
}

export function describeObmalloc(model: ObmallocModel): ModelNote {
  const c = model.config;
  const source = c.arenaSource === 'mmap' ? 'anonymous mmap' : 'the backing malloc';
  const lifecycle = c.freesArenas
    ? `An arena is given back (${c.arenaSource === 'mmap' ? 'munmap' : 'free'}) when all its pools are empty${c.keepEmptyArena ? ', except one wholly empty arena kept at the tail of usable_arenas (bpo-37257)' : ''}; new pools come from the arena with the fewest free pools (usable_arenas${c.searchFingers ? ', nfp2lasta fingers' : ''}), and each arena keeps its own free-pool list.`
    : 'Arenas are never given back; only the newest arena has virgin pools, emptied pools go to one global LIFO, and the arena vector doubles into a fresh malloc, leaking the old one.';
  const backing = model.backing.describe().title;
  return {
    title: `CPython ${c.version} obmalloc (${formatBytes(c.poolSize)} pools, ${formatBytes(c.arenaSize)} arenas from ${c.arenaSource}) on ${backing}`,
    text:
      `Object requests of 1 to ${c.threshold} bytes are served from ${c.classes} size classes ${c.alignment} bytes apart, in ${formatBytes(c.poolSize)} pools with a ${c.poolHeader}-byte header, ` +
      `carved from ${formatBytes(c.arenaSize)} arenas taken from ${source} (an arena whose base is not pool-aligned loses a pool). ` +
      `Every block has an address; free lists are LIFO, pools are front-linked per size class, and pool headers and free-list links are written (made resident) where CPython writes them. ${lifecycle} ` +
      `Zero-byte and larger object requests, raw-domain requests and memalign go to ${backing}; ` +
      (c.takesOverForeignBlocks ? 'realloc moves a C-heap block into a pool when the new size fits one (2.4). ' : 'realloc leaves C-heap blocks to the C library (2.5+). ') +
      (c.radixTree ? 'The radix tree that tracks arenas has its nodes allocated from the backing (as calloc: untouched until written). ' : '') +
      'Not modelled: type-specific free lists (lists, dicts, tuples, frames, 2.x int and float blocks), which sit above obmalloc and appear in the trace as blocks that stay live; ' +
      'threads other than the GIL holder; debug hooks and PYTHONMALLOC. Header and pointer sizes follow the address space (a 32-bit run has 32-byte pool headers); ' +
      "the presets' alignment, pool and arena sizes are the 64-bit build's, so a 32-bit CPython 3.8+ needs alignment=8 (and 3.10+ pool_size=4KiB, arena_size=256KiB) as params.",
  };
}

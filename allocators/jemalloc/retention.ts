// Why resident memory holds no live data under jemalloc, in plain sentences:
// dirty pages waiting for decay (or, in jemalloc 3, under the dirty ratio),
// MADV_FREE'd pages, free regions in partly used slabs, thread caches, and the
// allocator's own metadata.
import type { ModelNote, RetentionFinding } from '../types.ts';
import { formatBytes } from '../units.ts';
import { ChunkArena } from './chunks.ts';
import type { JemallocConfig } from './config.ts';
import type { JemallocModel } from './model.ts';
import { PAGE } from './size-classes.ts';

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function findRetention(m: JemallocModel): RetentionFinding[] {
  const out: RetentionFinding[] = [];
  const cfg = m.config;
  const arenas = m.huge ? [m.arena, m.huge] : [m.arena];

  let dirty = 0;
  let dirtyExtents = 0;
  let muzzy = 0;
  let muzzyExtents = 0;
  let spare = 0;
  for (const a of arenas) {
    const c = a.cachedPages();
    dirty += c.dirtyBytes;
    dirtyExtents += c.dirtyExtents;
    muzzy += c.muzzyBytes;
    muzzyExtents += c.muzzyExtents;
    spare += c.spareBytes;
  }
  if (dirty > 0) {
    const outlook = m.arena.purgeOutlook(m.nowNs);
    const finding: RetentionFinding = {
      kind: 'dirty-pages',
      bytes: dirty,
      text: `${formatBytes(dirty)} of freed pages in ${plural(dirtyExtents, cfg.generation === 5 ? 'dirty extent' : 'dirty run')} stay resident: ${outlook.text}.`,
    };
    if (outlook.purgeAtNs !== undefined) finding.purgeAtNs = outlook.purgeAtNs;
    out.push(finding);
  }
  if (spare > 0) {
    out.push({
      kind: 'dirty-pages',
      bytes: spare,
      text: `${formatBytes(spare)} sit in the arena's spare chunk: jemalloc 3 keeps one wholly free chunk mapped and unpurged for reuse, and purges it only when another chunk empties.`,
    });
  }
  if (muzzy > 0) {
    out.push({
      kind: 'muzzy-pages',
      bytes: muzzy,
      text: `${formatBytes(muzzy)} in ${plural(muzzyExtents, 'muzzy extent')} were released with MADV_FREE: Linux counts them in RSS until it is short of memory, and muzzy decay (muzzy_decay_ms ${cfg.muzzyDecayMs}) DONTNEEDs them later while the allocator is active.`,
    });
  }

  // Free regions in partly used slabs keep their pages resident.
  let slabs = 0;
  let liveRegions = 0;
  let slack = 0;
  const pool = m.pool;
  for (const s of m.bins.partlyUsedSlabs()) {
    const cls = cfg.small[pool.bin[s]!]!;
    const live = cls.nregs - m.bins.nfreeOf(s);
    const resident = m.space.residentPagesIn(pool.start[s]!, cls.slabBytes) * PAGE;
    const free = Math.max(0, resident - live * cls.size);
    if (free === 0) continue;
    slabs++;
    liveRegions += live;
    slack += free;
  }
  if (slack > 0) {
    out.push({
      kind: 'slab-slack',
      bytes: slack,
      liveBlocks: liveRegions,
      text: `${formatBytes(slack)} of free regions in ${plural(slabs, 'partly used slab')} stay resident, held by ${plural(liveRegions, 'live region')}: a slab goes back to the page cache only when every region in it is free.`,
    });
  }

  let cached = 0;
  let cachedBlocks = 0;
  for (const ts of m.threads.values()) {
    const tc = ts.tcache;
    if (!tc) continue;
    for (let b = 0; b < tc.counts.length; b++) {
      const n = tc.counts[b]!;
      if (n === 0) continue;
      cachedBlocks += n;
      for (let i = 0; i < n; i++) cached += m.usableSize(tc.cached(b, i));
    }
  }
  if (cached > 0) {
    out.push({
      kind: 'tcache',
      bytes: cached,
      text: `${formatBytes(cached)} in ${plural(cachedBlocks, 'freed block')} parked in ${plural(m.threads.size, 'thread cache')} (up to ncached_max per size class); the arena still counts them allocated, so their pages stay resident until the cache flushes them (when a bin fills, or as GC drains what a bin leaves unused).`,
    });
  }

  const meta = m.meta.residentBytes() + (m.arena instanceof ChunkArena ? m.arena.headerResidentBytes() : 0);
  if (meta > 0) {
    out.push({
      kind: 'metadata',
      bytes: meta,
      text:
        cfg.generation === 5
          ? `${formatBytes(meta)} of allocator metadata: arena structs, extent structs and thread-cache stacks in base blocks, and the radix-tree leaves that map pages to extents.`
          : `${formatBytes(meta)} of allocator metadata: the page-map header of each 4 MiB chunk (${cfg.headerPages} pages) and base memory for the arena and thread caches.`,
    });
  }
  return out;
}

export function describeModel(cfg: JemallocConfig): ModelNote {
  const gc = cfg.tcacheGc;
  const gcText = gc === null ? 'no GC: cached blocks stay until a full bin flushes' : `incremental GC, one bin per ${gc.unit === 'bytes' ? `${formatBytes(gc.every)} allocated or freed` : `${gc.every} cache operations`}, returns ¾ of the entries a bin left unused and adapts its fill count`;
  const tcache = cfg.tcache ? `tcache up to ${formatBytes(cfg.tcacheMax)} (${gcText})` : 'no tcache';
  if (cfg.generation === 3) {
    return {
      title: 'jemalloc 3.6, arena 0',
      text:
        `Size classes of jemalloc 3.6 (8, 16..128 by 16, then four per doubling to 3584), page-multiple runs up to a ${formatBytes(cfg.chunkBytes)} chunk minus ${cfg.headerPages} header pages, ` +
        `whole chunks above. Free runs coalesce at once and are reused best fit; dirty pages beyond active/${2 ** cfg.lgDirtyMult} are purged at once with DONTNEED, oldest run first ` +
        `(3.6 purges chunk by chunk); one spare chunk stays mapped; freed chunks are purged and kept for reuse${cfg.retain ? '' : ' (retain=false: unmapped)'}. ${tcache}. ` +
        'Simplified: small runs use the out-of-band slab geometry of jemalloc 5 instead of 3.6\'s in-run headers; large runs never grow in place; one arena for every thread.',
    };
  }
  const muzzy = cfg.muzzyDecayMs === 0 ? 'straight to DONTNEED' : `through MADV_FREE (counted resident) then DONTNEED after muzzy_decay_ms ${cfg.muzzyDecayMs}`;
  return {
    title: `jemalloc ${cfg.preset}, arena 0${cfg.oversizeThreshold > 0 ? ' + huge arena' : ''}`,
    text:
      `36 small classes in slabs (lowest free region first), large extents of class + 4 KiB with a seeded random cache-line offset, first fit by (serial, address) from dirty, muzzy, retained, then exp_grow mappings from 2 MiB. ` +
      `Decay on the trace clock: 200 epochs over dirty_decay_ms ${cfg.dirtyDecayMs}, smootherstep limit, checked only when a ${cfg.geometricTicker ? 'geometric (mean 1000, seeded)' : 'fixed 1000-event'} ticker fires on arena activity; purging goes ${muzzy}. ` +
      `${cfg.oversizeThreshold > 0 ? `Requests ≥ ${formatBytes(cfg.oversizeThreshold)} use the huge arena (decay 0). ` : ''}${cfg.retain ? 'retain: nothing is unmapped. ' : 'retain=false: purging unmaps. '}${tcache}. ` +
      `One arena for every thread (narenas not modelled), no background thread; metadata (base blocks, radix-tree leaves) is mapped and touched as written, with struct sizes estimated.`,
  };
}

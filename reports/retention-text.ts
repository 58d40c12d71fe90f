// Retention findings as plain sentences. A finding carries structured facts
// (the blocking block, how many live blocks pin an arena, when decay purges);
// the sentence is built from them so that every finding of a kind reads alike
// and says who holds the memory. The model's own text is kept where the
// structure has nothing more to say. Output is plain text: callers escape it.
import type { MarkRecord, RetentionRecord, RunResult } from '../harness/result.ts';
import { formatBytes, formatCount, formatDuration } from './format.ts';

/** The mark label the harness uses for findings taken at the end of the trace. */
export const END_MARK = '(end)';

/** Findings shown per mark; the rest are summed up in one line. */
export const FINDINGS_PER_MARK = 5;

/** Where the memory sits, per kind, when nothing more specific is known. */
const WHERE: Record<string, string> = {
  'trim-blocked': 'in free chunks below a live chunk that blocks the trim',
  'top-pad': 'in the top chunk, kept on purpose (top_pad and the trim threshold)',
  'free-chunks': 'in free chunks in its bins, resident until reused',
  tcache: 'in blocks parked in the thread cache',
  fastbins: 'in fastbin chunks, which are not coalesced until a consolidation',
  'mmap-slack': 'as page rounding of mmapped chunks',
  'dirty-pages': 'in dirty pages waiting for decay',
  'muzzy-pages': "in muzzy pages (MADV_FREE'd, counted resident until the kernel takes them)",
  'slab-slack': 'in free regions of partly used slabs',
  'arena-pinned': 'in arenas kept by a few live blocks',
  'empty-pools': 'in empty pools inside arenas that still hold live blocks',
  'free-blocks': 'in free blocks inside used pools',
  'kept-arena': 'in an empty arena kept on purpose',
  metadata: 'in allocator bookkeeping',
};

/** Where the memory sits in a few words, used before the model's own sentence so the two do not repeat each other. */
const WHERE_SHORT: Record<string, string> = {
  'trim-blocked': 'below a live chunk that blocks the trim',
  'top-pad': 'in the top chunk',
  'free-chunks': 'in free chunks',
  tcache: 'in the thread cache',
  fastbins: 'in fastbin chunks',
  'mmap-slack': 'in page rounding',
  'dirty-pages': 'in dirty pages',
  'muzzy-pages': 'in muzzy pages',
  'slab-slack': 'in partly used slabs',
  'arena-pinned': 'in pinned arenas',
  'empty-pools': 'in empty pools',
  'free-blocks': 'in free pool blocks',
  'kept-arena': 'in a kept empty arena',
  metadata: 'in allocator metadata',
};

function blockSizeText(size: number): string {
  return size < 1024 * 1024 ? `${size}-byte` : formatBytes(size);
}

/** "id 100001, allocated at event 100003", from whichever of the two is known. */
function blockFacts(f: RetentionRecord): string {
  const parts: string[] = [];
  if (f.blockId !== undefined) parts.push(`id ${f.blockId}`);
  if (f.blockEvent !== undefined) parts.push(`allocated at event ${f.blockEvent}`);
  return parts.join(', ');
}

function aBlock(f: RetentionRecord): string {
  const facts = blockFacts(f);
  const size = f.blockSize !== undefined ? `a ${blockSizeText(f.blockSize)} block` : 'a live block';
  return facts ? `${size} (${facts})` : size;
}

function hasBlock(f: RetentionRecord): boolean {
  return f.blockId !== undefined || f.blockSize !== undefined || f.blockEvent !== undefined;
}

function pluralBlocks(n: number, noun = 'live block'): string {
  return `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;
}

/** When decay will purge the pages, relative to the mark (markTimeNs null: unknown). */
function purgeText(purgeAtNs: number, markTimeNs: number | null): string {
  if (purgeAtNs < 0) return 'decay will not purge them (decay disabled)';
  if (markTimeNs === null) return `decay purges them at trace time ${formatDuration(purgeAtNs)}`;
  const wait = purgeAtNs - markTimeNs;
  if (wait <= 0) return 'they are due for purging at the next allocator activity';
  return `decay purges them ${formatDuration(wait)} later, at trace time ${formatDuration(purgeAtNs)}, if the allocator is used again`;
}

/** "The top chunk…" → "the top chunk…" after a colon; acronyms and names ("RSS", "tcache") stay. */
function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

function ensurePeriod(text: string): string {
  const t = text.trim();
  return t === '' || /[.!?]$/.test(t) ? t : `${t}.`;
}

/**
 * One finding as a sentence, e.g. "glibc keeps 498 MiB after 'After del': a
 * 5037-byte block (id 100001, allocated at event 100003) sits above 498 MiB of
 * free chunks and blocks the trim."
 */
export function retentionSentence(model: string, f: RetentionRecord, markTimeNs: number | null = null): string {
  const bytes = formatBytes(f.bytes);
  const when = f.mark === END_MARK ? 'at the end of the trace' : `after '${f.mark}'`;
  const lead = `${model} keeps ${bytes} ${when}`;
  let body: string;
  switch (f.kind) {
    case 'trim-blocked':
      body = hasBlock(f) ? `: ${aBlock(f)} sits above ${bytes} of free chunks and blocks the trim` : '';
      break;
    case 'arena-pinned':
      if (f.liveBlocks !== undefined && f.liveBlocks > 0) {
        body = ` in arenas that ${pluralBlocks(f.liveBlocks)} keep alive (${formatBytes(f.bytes / f.liveBlocks)} held per live block)`;
        if (hasBlock(f)) body += `; one of them is ${aBlock(f)}`;
      } else body = hasBlock(f) ? ` in arenas kept by ${aBlock(f)}` : '';
      break;
    case 'slab-slack':
      body = f.liveBlocks !== undefined ? ` in free regions of partly used slabs, pinned by ${pluralBlocks(f.liveBlocks, 'live region')}` : '';
      break;
    case 'dirty-pages':
    case 'muzzy-pages':
      body = f.purgeAtNs !== undefined ? ` ${WHERE[f.kind]}; ${purgeText(f.purgeAtNs, markTimeNs)}` : '';
      break;
    default:
      body = hasBlock(f) ? ` ${WHERE[f.kind] ?? `(${f.kind})`}, held by ${aBlock(f)}` : '';
  }
  if (body !== '') return `${lead}${body}.`;
  // Without structured facts the model's own sentence is the best explanation there is.
  const text = f.text.trim();
  if (text === '') return `${lead} ${WHERE[f.kind] ?? `(${f.kind})`}.`;
  return `${lead} ${WHERE_SHORT[f.kind] ?? `(${f.kind})`}: ${ensurePeriod(lowerFirst(text))}`;
}

/** The findings of one run at one mark, biggest first, ready to print. */
export interface MarkFindings {
  mark: string;
  sentences: string[];
  /** Findings left out past FINDINGS_PER_MARK (and zero-byte ones are never shown). */
  omitted: { count: number; bytes: number };
  /** Free-resident bytes at the mark that no finding accounts for (0 when all are explained or unknown). */
  unexplainedBytes: number;
  /**
   * Set when the findings are those of the mark before (nothing changed in
   * between, e.g. a trace that ends right after its last mark): the sentences
   * are left out.
   */
  sameAs?: string;
}

/** What makes two groups of findings the same for a reader. */
function findingsKey(findings: readonly RetentionRecord[]): string {
  return findings
    .filter((f) => f.bytes > 0)
    .map((f) => `${f.kind}:${f.bytes}:${f.blockId ?? ''}:${f.liveBlocks ?? ''}`)
    .sort()
    .join('|');
}

/** Findings grouped by mark in trace order ("(end)" last), each group biggest first. */
export function groupFindings(run: RunResult, model: string): MarkFindings[] {
  const marks = new Map<string, MarkRecord>();
  for (const m of run.marks) if (!marks.has(m.label)) marks.set(m.label, m);
  const order: string[] = [];
  for (const f of run.retention) if (!order.includes(f.mark)) order.push(f.mark);
  const rank = (label: string): number => (label === END_MARK ? Number.MAX_SAFE_INTEGER : (marks.get(label)?.event ?? Number.MAX_SAFE_INTEGER - 1));
  order.sort((a, b) => rank(a) - rank(b) || order.indexOf(a) - order.indexOf(b));
  const groups = order.map((label): MarkFindings => {
    const all = run.retention.filter((f) => f.mark === label && f.bytes > 0);
    const sorted = [...all].sort((a, b) => b.bytes - a.bytes || a.kind.localeCompare(b.kind));
    const shown = sorted.slice(0, FINDINGS_PER_MARK);
    const rest = sorted.slice(FINDINGS_PER_MARK);
    const mark = marks.get(label);
    const markTime = label === END_MARK ? (run.timeline.timeNs[run.timeline.timeNs.length - 1] ?? null) : (mark?.timeNs ?? null);
    const freeResident = label === END_MARK ? run.freeResidentBytes : (mark?.freeResidentBytes ?? null);
    const explained = all.reduce((s, f) => s + f.bytes, 0);
    // Small gaps are page rounding and live-data accounting, not worth a line.
    const gap = freeResident === null ? 0 : freeResident - explained;
    const unexplainedBytes = gap > 1024 * 1024 && gap > 0.05 * (freeResident ?? 0) ? gap : 0;
    return {
      mark: label,
      sentences: shown.map((f) => retentionSentence(model, f, markTime)),
      omitted: { count: rest.length, bytes: rest.reduce((s, f) => s + f.bytes, 0) },
      unexplainedBytes,
    };
  });
  const findings = (label: string): RetentionRecord[] => run.retention.filter((f) => f.mark === label);
  // Compare with the original neighbour, so a run of equal marks all point back to the first one.
  const keys = groups.map((g) => `${findingsKey(findings(g.mark))}#${g.unexplainedBytes}`);
  let firstOfRun = 0;
  for (let i = 1; i < groups.length; i++) {
    if (keys[i] === keys[i - 1] && keys[i] !== '#0') {
      groups[i] = { ...groups[i]!, sentences: [], omitted: { count: 0, bytes: 0 }, unexplainedBytes: 0, sameAs: groups[firstOfRun]!.mark };
    } else firstOfRun = i;
  }
  return groups;
}

/** The line under a group for what was left out. */
export function omittedSentence(o: MarkFindings['omitted']): string | null {
  if (o.count === 0) return null;
  return `${formatCount(o.count)} smaller finding${o.count === 1 ? '' : 's'} hold ${formatBytes(o.bytes)} in all.`;
}

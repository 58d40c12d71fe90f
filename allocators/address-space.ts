// The simulated OS every model allocates from: a brk heap growing up, anonymous
// mappings placed top-down, and page residency. RSS is counted here, in pages,
// the same way for every model, so that models differ only in what they do.
import { PageBitset } from './page-bitset.ts';

/** A range of addresses that nothing may map (program text, libraries, thread stacks). */
export interface ReservedRange {
  start: number;
  length: number;
  name: string;
}

export interface AddressSpaceOptions {
  /** Bytes per page; 4096 on x86-64. */
  pageSize?: number;
  /** 64 (default) or 32: a 32-bit process has a small user space with fixed barriers. */
  bits?: 64 | 32;
  /** 32-bit only: size of the user address space, 2 or 3 GiB (default 3 GiB). */
  userSpaceBytes?: number;
  /** Where the brk heap starts (page-aligned). */
  heapStart?: number;
  /** Mappings are placed top-down below this address. */
  mmapBase?: number;
  /** Ranges nothing may map; defaults depend on `bits`. */
  reserved?: ReservedRange[];
}

/** What a mapping is for; shown in address-space maps and findings. */
export type MappingKind = 'heap' | 'mmap' | 'reserved';

/** One contiguous mapping with its own residency bitset (page 0 = `start`). */
export interface Mapping {
  start: number;
  length: number;
  kind: MappingKind;
  tag: string;
  resident: PageBitset;
}

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

/** What `overPieces` does to each mapped piece of a range. */
const PIECE_SET = 0;
const PIECE_CLEAR = 1;
const PIECE_COUNT = 2;
type PieceOp = typeof PIECE_SET | typeof PIECE_CLEAR | typeof PIECE_COUNT;

/**
 * Default 32-bit layout after a classic Linux i386 process (seed 000): program
 * text at 0x08048000, shared libraries and the main stack near the top of a
 * 3 GiB user space. Thread stacks are added with `reserved`.
 */
function defaultReserved32(userSpace: number): ReservedRange[] {
  return [
    { start: 0, length: 0x08048000, name: 'null guard and low memory' },
    { start: 0x08048000, length: 2 * MiB, name: 'program text and data' },
    { start: userSpace - 8 * MiB, length: 8 * MiB, name: 'main thread stack' },
    { start: userSpace - 136 * MiB, length: 8 * MiB, name: 'shared libraries' },
  ];
}

export class AddressSpace {
  readonly pageSize: number;
  /** log2(pageSize). */
  private readonly pageShift: number;
  readonly bits: 64 | 32;
  readonly heapStart: number;
  readonly mmapBase: number;
  /** Lowest address a mapping may take. */
  readonly mmapFloor: number;
  readonly reserved: readonly ReservedRange[];

  private brkEnd: number;
  private readonly heapResident: PageBitset;
  /** Anonymous mappings sorted by start (the heap and reserved ranges are kept apart). */
  private readonly maps: Mapping[] = [];
  private residentCount = 0;
  private mappedCount = 0;
  /**
   * The mappings written most recently, most recent first: models write to a
   * few mappings at a time (a chunk's header in one arena, the block in
   * another), so most writes outside the heap land in one of these and skip
   * the binary search. Cleared when a mapping is split, moved or removed.
   */
  private recent0: Mapping | null = null;
  private recent1: Mapping | null = null;
  private recent2: Mapping | null = null;
  private recent3: Mapping | null = null;
  /** The reserved ranges by start, ascending and descending (ties in the order given), for walks that allocate nothing. */
  private readonly reservedUp: readonly ReservedRange[];
  private readonly reservedDown: readonly ReservedRange[];
  /** The first address above the user space (32-bit): the mmap base or the top of a reserved range. */
  private readonly top: number;

  constructor(options: AddressSpaceOptions = {}) {
    this.pageSize = options.pageSize ?? 4096;
    if (!Number.isInteger(Math.log2(this.pageSize))) throw new Error(`page size must be a power of two, not ${this.pageSize}`);
    this.pageShift = Math.log2(this.pageSize);
    this.bits = options.bits ?? 64;
    if (this.bits === 32) {
      const user = options.userSpaceBytes ?? 3 * GiB;
      this.reserved = options.reserved ?? defaultReserved32(user);
      this.heapStart = options.heapStart ?? 0x0a000000;
      this.mmapBase = options.mmapBase ?? user - 136 * MiB;
      this.mmapFloor = this.heapStart;
    } else {
      this.reserved = options.reserved ?? [];
      // Typical PIE brk start and a top-down mmap base that, like a real
      // process with libraries mapped, is page- but not 16 KiB-aligned.
      this.heapStart = options.heapStart ?? 0x555555a00000;
      this.mmapBase = options.mmapBase ?? 0x7ffff7fc3000;
      this.mmapFloor = this.heapStart + 64 * GiB;
    }
    if (this.heapStart % this.pageSize !== 0) throw new Error('heapStart must be page-aligned');
    // Array.prototype.sort is stable: equal starts keep the order given, as the obstacle list of the gap search always had.
    this.reservedUp = [...this.reserved].sort((a, b) => a.start - b.start);
    this.reservedDown = [...this.reserved].sort((a, b) => b.start - a.start);
    let top = this.mmapBase;
    for (const r of this.reserved) top = Math.max(top, r.start + r.length);
    this.top = top;
    this.brkEnd = this.heapStart;
    this.heapResident = new PageBitset(1024);
  }

  // ---- brk heap ---------------------------------------------------------

  /** The current program break. */
  get brk(): number {
    return this.brkEnd;
  }

  /**
   * Move the break by `increment` bytes (page multiple). Returns the old break,
   * or -1 when the heap would run into a mapping or a reserved range.
   * Shrinking gives the pages above the new break back to the OS.
   */
  sbrk(increment: number): number {
    const old = this.brkEnd;
    const next = old + increment;
    if (next < this.heapStart) return -1;
    if (increment > 0) {
      if (!this.isFree(old, increment, true)) return -1;
      this.heapResident.ensure(this.pageOf(next - this.heapStart + this.pageSize - 1));
    }
    const oldPages = this.pageCeil(old - this.heapStart);
    const newPages = this.pageCeil(next - this.heapStart);
    if (newPages < oldPages) this.residentCount -= this.heapResident.clearRange(newPages, oldPages);
    this.mappedCount += newPages - oldPages;
    this.brkEnd = next;
    return old;
  }

  // ---- anonymous mappings -----------------------------------------------

  /** Map `length` bytes (rounded up to pages) in the highest free gap below mmapBase. Returns 0 on failure. */
  mmap(length: number, tag = 'mmap'): number {
    const len = this.pageCeil(length) * this.pageSize;
    const start = this.findGapTopDown(len);
    if (start < 0) return 0;
    this.insertMapping({ start, length: len, kind: 'mmap', tag, resident: new PageBitset(len / this.pageSize) });
    this.mappedCount += len / this.pageSize;
    return start;
  }

  /** Unmap [addr, addr+length): whole mappings or parts of them. */
  munmap(addr: number, length: number): void {
    this.assertAligned(addr, 'munmap');
    const end = addr + this.pageCeil(length) * this.pageSize;
    for (let i = 0; i < this.maps.length; ) {
      const m = this.maps[i]!;
      const mEnd = m.start + m.length;
      if (mEnd <= addr || m.start >= end) {
        i++;
        continue;
      }
      const cutFrom = Math.max(addr, m.start);
      const cutTo = Math.min(end, mEnd);
      const p0 = (cutFrom - m.start) / this.pageSize;
      const p1 = (cutTo - m.start) / this.pageSize;
      this.residentCount -= m.resident.countRange(p0, p1);
      this.mappedCount -= p1 - p0;
      const pieces: Mapping[] = [];
      if (cutFrom > m.start) pieces.push({ ...m, length: cutFrom - m.start, resident: m.resident.slice(0, p0) });
      if (cutTo < mEnd) {
        const totalPages = m.length / this.pageSize;
        pieces.push({ ...m, start: cutTo, length: mEnd - cutTo, resident: m.resident.slice(p1, totalPages) });
      }
      this.maps.splice(i, 1, ...pieces);
      i += pieces.length;
    }
    this.forgetRecent();
  }

  /**
   * Resize a mapping as mremap(MREMAP_MAYMOVE) does: in place when the pages
   * above are free, otherwise move it (residency moves with it). Returns the
   * new address, or 0 when no room is left.
   */
  mremap(addr: number, oldLength: number, newLength: number): number {
    const i = this.indexOfMapping(addr);
    if (i < 0 || this.maps[i]!.start !== addr) throw new Error(`mremap of 0x${addr.toString(16)}: not the start of a mapping`);
    const m = this.maps[i]!;
    const oldLen = this.pageCeil(oldLength) * this.pageSize;
    const newLen = this.pageCeil(newLength) * this.pageSize;
    if (oldLen !== m.length) throw new Error('mremap: old length does not match the mapping');
    if (newLen <= oldLen) {
      if (newLen < oldLen) this.munmap(addr + newLen, oldLen - newLen);
      return addr;
    }
    if (this.isFree(addr + oldLen, newLen - oldLen, false)) {
      m.resident.ensure(newLen / this.pageSize);
      m.length = newLen;
      this.mappedCount += (newLen - oldLen) / this.pageSize;
      return addr;
    }
    const start = this.findGapTopDown(newLen);
    if (start < 0) return 0;
    const resident = new PageBitset(newLen / this.pageSize);
    resident.copyFrom(m.resident, oldLen / this.pageSize, 0);
    this.maps.splice(i, 1);
    this.insertMapping({ start, length: newLen, kind: 'mmap', tag: m.tag, resident });
    this.mappedCount += (newLen - oldLen) / this.pageSize;
    this.forgetRecent();
    return start;
  }

  /** madvise(MADV_DONTNEED): the pages leave RSS but stay mapped. */
  dontneed(addr: number, length: number): void {
    this.assertAligned(addr, 'madvise');
    this.residentCount -= this.overPieces(addr, this.pageCeil(length) * this.pageSize, PIECE_CLEAR);
  }

  // ---- residency --------------------------------------------------------

  /**
   * A write to [addr, addr+length): every page it covers becomes resident.
   * Every model write and every user write lands here, several per event, so
   * the common case (a range inside the heap or the last mapping written,
   * within one page) costs a shift and one bit test.
   */
  touch(addr: number, length: number): void {
    if (length <= 0) return;
    const heapOff = addr - this.heapStart;
    const end = addr + length;
    if (heapOff >= 0 && end <= this.brkEnd) {
      this.residentCount += this.setPages(this.heapResident, heapOff, length);
      return;
    }
    let m = this.recent0;
    if (m !== null && addr >= m.start && end <= m.start + m.length) {
      this.residentCount += this.setPages(m.resident, addr - m.start, length);
      return;
    }
    m = this.recentHit(addr, end);
    if (m !== null) {
      this.residentCount += this.setPages(m.resident, addr - m.start, length);
      return;
    }
    this.residentCount += this.overPieces(addr, length, PIECE_SET);
  }

  /** The remembered mapping (after the first) that holds [addr, end), moved to the front; or null. */
  private recentHit(addr: number, end: number): Mapping | null {
    const m1 = this.recent1;
    if (m1 !== null && addr >= m1.start && end <= m1.start + m1.length) {
      this.recent1 = this.recent0;
      this.recent0 = m1;
      return m1;
    }
    const m2 = this.recent2;
    if (m2 !== null && addr >= m2.start && end <= m2.start + m2.length) {
      this.recent2 = this.recent1;
      this.recent1 = this.recent0;
      this.recent0 = m2;
      return m2;
    }
    const m3 = this.recent3;
    if (m3 !== null && addr >= m3.start && end <= m3.start + m3.length) {
      this.recent3 = this.recent2;
      this.recent2 = this.recent1;
      this.recent1 = this.recent0;
      this.recent0 = m3;
      return m3;
    }
    return null;
  }

  /** Remember a mapping just written, most recent first. */
  private remember(m: Mapping): void {
    if (this.recent0 === m) return;
    if (this.recent1 === m) {
      this.recent1 = this.recent0;
    } else if (this.recent2 === m) {
      this.recent2 = this.recent1;
      this.recent1 = this.recent0;
    } else {
      this.recent3 = this.recent2;
      this.recent2 = this.recent1;
      this.recent1 = this.recent0;
    }
    this.recent0 = m;
  }

  private forgetRecent(): void {
    this.recent0 = null;
    this.recent1 = null;
    this.recent2 = null;
    this.recent3 = null;
  }

  /** Set the pages of [offset, offset+length) in `bits` (offsets from the start of its mapping); returns how many were new. */
  private setPages(bits: PageBitset, offset: number, length: number): number {
    const last = offset + length - 1;
    // Offsets below 2^32 page by a shift (the integer offset's floor division); larger ones by division.
    if (last < 4294967296) {
      const p0 = offset >>> this.pageShift;
      const p1 = last >>> this.pageShift;
      return p0 === p1 ? bits.setPage(p0) : bits.setRange(p0, p1 + 1);
    }
    return bits.setRange(this.pageOf(offset), this.pageOf(last) + 1);
  }

  /** Resident pages that overlap [addr, addr+length). */
  residentPagesIn(addr: number, length: number): number {
    return length > 0 ? this.overPieces(addr, length, PIECE_COUNT) : 0;
  }

  /** Resident pages lying wholly inside [addr, addr+length): what a madvise of that range could release. */
  residentWholePagesIn(addr: number, length: number): number {
    const from = Math.ceil(addr / this.pageSize) * this.pageSize;
    const to = Math.floor((addr + length) / this.pageSize) * this.pageSize;
    return to > from ? this.residentPagesIn(from, to - from) : 0;
  }

  isResident(addr: number): boolean {
    return this.residentPagesIn(addr, 1) === 1;
  }

  get residentPages(): number {
    return this.residentCount;
  }

  get mappedPages(): number {
    return this.mappedCount;
  }

  get residentBytes(): number {
    return this.residentCount * this.pageSize;
  }

  get mappedBytes(): number {
    return this.mappedCount * this.pageSize;
  }

  /** Every mapping, the heap and reserved ranges included, sorted by address (for maps and reports). */
  mappings(): Mapping[] {
    const out: Mapping[] = this.reserved.map((r) => ({ start: r.start, length: r.length, kind: 'reserved' as const, tag: r.name, resident: new PageBitset(0) }));
    if (this.brkEnd > this.heapStart) {
      out.push({ start: this.heapStart, length: this.pageCeil(this.brkEnd - this.heapStart) * this.pageSize, kind: 'heap', tag: 'brk heap', resident: this.heapResident });
    }
    out.push(...this.maps);
    return out.sort((a, b) => a.start - b.start);
  }

  /**
   * The largest range of addresses in the user space that nothing occupies
   * (what a new mmap could get). In 32-bit mode the replayer asks after every
   * change of the mapped page count, so this walks the sorted reserved ranges,
   * the heap and the sorted mappings together, allocating nothing.
   */
  largestFreeRange(): number {
    const low = this.bits === 32 ? 0 : this.heapStart;
    const high = this.bits === 32 ? this.top : this.mmapBase;
    const reserved = this.reservedUp;
    const maps = this.maps;
    const heapLength = this.brkEnd > this.heapStart ? this.pageCeil(this.brkEnd - this.heapStart) * this.pageSize : 0;
    let heapPending = heapLength > 0;
    let ri = 0;
    let mi = 0;
    let best = 0;
    let cursor = low;
    // Ascending by start; the order among equal starts does not change the answer.
    for (;;) {
      let start = Infinity;
      let end = 0;
      let from = 0;
      if (ri < reserved.length) {
        start = reserved[ri]!.start;
        end = start + reserved[ri]!.length;
        from = 1;
      }
      if (heapPending && this.heapStart < start) {
        start = this.heapStart;
        end = start + heapLength;
        from = 2;
      }
      if (mi < maps.length && maps[mi]!.start < start) {
        start = maps[mi]!.start;
        end = start + maps[mi]!.length;
        from = 3;
      }
      if (from === 0) break;
      if (from === 1) ri++;
      else if (from === 2) heapPending = false;
      else mi++;
      if (end <= cursor) continue;
      if (start >= high) break;
      best = Math.max(best, Math.min(start, high) - cursor);
      cursor = Math.max(cursor, end);
    }
    return Math.max(best, high - cursor);
  }

  // ---- internals --------------------------------------------------------

  private userTop(): number {
    return this.top;
  }

  private pageOf(offset: number): number {
    return Math.floor(offset / this.pageSize);
  }

  private pageCeil(bytes: number): number {
    return Math.ceil(bytes / this.pageSize);
  }

  private assertAligned(addr: number, what: string): void {
    if (addr % this.pageSize !== 0) throw new Error(`${what} of unaligned address 0x${addr.toString(16)}`);
  }

  /** Whether [start, start+len) touches no mapping, reserved range or (unless `forHeap`) the heap. */
  private isFree(start: number, len: number, forHeap: boolean): boolean {
    const end = start + len;
    if (this.bits === 32 && end > this.userTop()) return false;
    if (!forHeap && start < this.pageCeil(this.brkEnd) * this.pageSize && end > this.heapStart) return false;
    for (const r of this.reserved) if (start < r.start + r.length && end > r.start) return false;
    for (const m of this.maps) {
      if (m.start >= end) break;
      if (m.start + m.length > start) return false;
    }
    return true;
  }

  /**
   * Highest start s ≤ mmapBase − len such that [s, s+len) is free, or −1.
   * Walks the obstacles (mappings, reserved ranges, the heap) from the top
   * down by start, merging the sorted lists in place of building and sorting
   * one. Among equal starts the order is mappings (in list order), reserved
   * ranges, the heap: the order a stable sort of that concatenation gives.
   */
  private findGapTopDown(len: number): number {
    const maps = this.maps;
    const reserved = this.reservedDown;
    const heapTop = this.pageCeil(this.brkEnd) * this.pageSize;
    const heapEnd = Math.max(heapTop, this.heapStart);
    const floor = this.bits === 32 ? 0 : this.mmapFloor;
    const anyStart = this.bits === 32;
    let mi = maps.length - 1;
    /** A run of mappings with one start, taken in list order: indexes runAt .. runEnd. */
    let runAt = 0;
    let runEnd = -1;
    let ri = 0;
    let heapPending = true;
    let ceiling = this.mmapBase;
    for (;;) {
      let start: number;
      let end: number;
      if (runAt <= runEnd) {
        start = maps[runAt]!.start;
        end = start + maps[runAt]!.length;
        runAt++;
      } else {
        const ms = mi >= 0 ? maps[mi]!.start : -Infinity;
        const rs = ri < reserved.length ? reserved[ri]!.start : -Infinity;
        const hs = heapPending ? this.heapStart : -Infinity;
        if (mi >= 0 && ms >= rs && ms >= hs) {
          let lo = mi;
          while (lo > 0 && maps[lo - 1]!.start === ms) lo--;
          runAt = lo;
          runEnd = mi;
          mi = lo - 1;
          start = ms;
          end = start + maps[runAt]!.length;
          runAt++;
        } else if (ri < reserved.length && rs >= hs) {
          start = rs;
          end = rs + reserved[ri]!.length;
          ri++;
        } else if (heapPending) {
          start = this.heapStart;
          end = heapEnd;
          heapPending = false;
        } else break;
      }
      if (start >= ceiling) continue;
      if (end <= ceiling && ceiling - end >= len) {
        const s = ceiling - len;
        if (s >= this.mmapFloor || anyStart) return s;
      }
      ceiling = start;
      // Every later gap lies lower still: none can start at or above the floor.
      if (!anyStart && ceiling - len < floor) return -1;
    }
    return ceiling - len >= floor ? ceiling - len : -1;
  }

  private insertMapping(m: Mapping): void {
    let lo = 0;
    let hi = this.maps.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.maps[mid]!.start < m.start) lo = mid + 1;
      else hi = mid;
    }
    this.maps.splice(lo, 0, m);
  }

  /** Index of the mapping that contains addr, or −1. */
  private indexOfMapping(addr: number): number {
    let lo = 0;
    let hi = this.maps.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.maps[mid]!;
      if (addr < m.start) hi = mid - 1;
      else if (addr >= m.start + m.length) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /**
   * Set, clear or count the pages of every mapped piece of [addr, addr+length);
   * returns the pages newly set, cleared, or counted. Setting is a write:
   * bytes that are not mapped are a model bug (a write to unmapped memory
   * would be a segfault), and the mappings written are remembered. Clearing
   * needs mapped memory too (madvise fails on a hole); counting skips holes.
   */
  private overPieces(addr: number, length: number, op: PieceOp): number {
    const end = addr + length;
    let cursor = addr;
    let n = 0;
    const heapEnd = this.pageCeil(this.brkEnd - this.heapStart) * this.pageSize + this.heapStart;
    while (cursor < end) {
      let bits: PageBitset;
      let base: number;
      let to: number;
      if (cursor >= this.heapStart && cursor < heapEnd) {
        bits = this.heapResident;
        base = this.heapStart;
        to = Math.min(end, heapEnd);
      } else {
        const i = this.indexOfMapping(cursor);
        if (i < 0) {
          if (op !== PIECE_COUNT) throw new Error(`access to unmapped address 0x${cursor.toString(16)}`);
          cursor = this.nextMappedAddress(cursor, end);
          continue;
        }
        const m = this.maps[i]!;
        if (op === PIECE_SET) this.remember(m);
        bits = m.resident;
        base = m.start;
        to = Math.min(end, m.start + m.length);
      }
      const p0 = this.pageOf(cursor - base);
      const p1 = this.pageOf(to - 1 - base) + 1;
      n += op === PIECE_SET ? bits.setRange(p0, p1) : op === PIECE_CLEAR ? bits.clearRange(p0, p1) : bits.countRange(p0, p1);
      cursor = to;
    }
    return n;
  }

  private nextMappedAddress(cursor: number, end: number): number {
    let next = end;
    if (this.heapStart > cursor && this.brkEnd > this.heapStart) next = Math.min(next, this.heapStart);
    for (const m of this.maps) {
      if (m.start > cursor) {
        next = Math.min(next, m.start);
        break;
      }
    }
    return next;
  }
}

// The simulated OS every model allocates from: a brk heap growing up, anonymous
// mappings placed top-down, and page residency. RSS is counted here, in pages,
// the same way for every model, so that models differ only in what they do.
import { PageBitset } from './page-bitset.ts';
import { PageTable } from './page-table.ts';

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

/** One contiguous mapping with its residency as a bitset (page 0 = `start`); `mappings()` gives snapshots. */
export interface Mapping {
  start: number;
  length: number;
  kind: MappingKind;
  tag: string;
  resident: PageBitset;
}

/** A mapping as the layout keeps it; its residency lives in the page table. */
interface MapEntry {
  start: number;
  length: number;
  kind: MappingKind;
  tag: string;
}

const GiB = 1024 * 1024 * 1024;
const MiB = 1024 * 1024;

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
  readonly bits: 64 | 32;
  readonly heapStart: number;
  readonly mmapBase: number;
  /** Lowest address a mapping may take. */
  readonly mmapFloor: number;
  readonly reserved: readonly ReservedRange[];

  private brkEnd: number;
  /**
   * Mapped and resident bits of every page, the heap's and the mappings':
   * a write finds its page by address arithmetic, whichever mapping holds it.
   */
  private readonly pages: PageTable;
  /** Anonymous mappings sorted by start (the heap and reserved ranges are kept apart). */
  private readonly maps: MapEntry[] = [];
  private residentCount = 0;
  private mappedCount = 0;
  /** The reserved ranges by start, ascending and descending (ties in the order given), for walks that allocate nothing. */
  private readonly reservedUp: readonly ReservedRange[];
  private readonly reservedDown: readonly ReservedRange[];
  /** The first address above the user space (32-bit): the mmap base or the top of a reserved range. */
  private readonly top: number;

  constructor(options: AddressSpaceOptions = {}) {
    this.pageSize = options.pageSize ?? 4096;
    if (!Number.isInteger(Math.log2(this.pageSize))) throw new Error(`page size must be a power of two, not ${this.pageSize}`);
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
    this.pages = new PageTable(this.pageSize);
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
    if (increment > 0 && !this.isFree(old, increment, true)) return -1;
    const oldPages = this.pageCeil(old - this.heapStart);
    const newPages = this.pageCeil(next - this.heapStart);
    const heapPage = this.heapStart / this.pageSize;
    if (newPages < oldPages) this.residentCount -= this.pages.unmap(heapPage + newPages, oldPages - newPages);
    else this.pages.map(heapPage + oldPages, newPages - oldPages);
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
    this.insertMapping({ start, length: len, kind: 'mmap', tag });
    this.pages.map(start / this.pageSize, len / this.pageSize);
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
      const cut = (cutTo - cutFrom) / this.pageSize;
      this.residentCount -= this.pages.unmap(cutFrom / this.pageSize, cut);
      this.mappedCount -= cut;
      const pieces: MapEntry[] = [];
      if (cutFrom > m.start) pieces.push({ ...m, length: cutFrom - m.start });
      if (cutTo < mEnd) pieces.push({ ...m, start: cutTo, length: mEnd - cutTo });
      this.maps.splice(i, 1, ...pieces);
      i += pieces.length;
    }
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
      this.pages.map((addr + oldLen) / this.pageSize, (newLen - oldLen) / this.pageSize);
      m.length = newLen;
      this.mappedCount += (newLen - oldLen) / this.pageSize;
      return addr;
    }
    const start = this.findGapTopDown(newLen);
    if (start < 0) return 0;
    // The residency moves with the pages: RSS does not change.
    const oldPages = oldLen / this.pageSize;
    this.pages.map(start / this.pageSize, newLen / this.pageSize);
    this.pages.copyResident(addr / this.pageSize, start / this.pageSize, oldPages);
    this.pages.unmap(addr / this.pageSize, oldPages);
    this.maps.splice(i, 1);
    this.insertMapping({ start, length: newLen, kind: 'mmap', tag: m.tag });
    this.mappedCount += (newLen - oldLen) / this.pageSize;
    return start;
  }

  /** madvise(MADV_DONTNEED): the pages leave RSS but stay mapped. */
  dontneed(addr: number, length: number): void {
    this.assertAligned(addr, 'madvise');
    this.residentCount -= this.pages.clearResident(addr / this.pageSize, this.pageCeil(length));
  }

  // ---- residency --------------------------------------------------------

  /**
   * A write to [addr, addr+length): every page it covers becomes resident.
   * Every model write and every user write lands here, several per event: the
   * page table answers by address arithmetic, and a write within one page
   * already resident costs a shift and one bit test.
   */
  touch(addr: number, length: number): void {
    if (length > 0) this.residentCount += this.pages.setResident(addr, length);
  }

  /** Resident pages that overlap [addr, addr+length). */
  residentPagesIn(addr: number, length: number): number {
    if (length <= 0) return 0;
    const first = this.pageOf(addr);
    return this.pages.countResident(first, this.pageOf(addr + length - 1) - first + 1);
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
      const pages = this.pageCeil(this.brkEnd - this.heapStart);
      out.push({ start: this.heapStart, length: pages * this.pageSize, kind: 'heap', tag: 'brk heap', resident: this.pages.snapshot(this.heapStart / this.pageSize, pages) });
    }
    for (const m of this.maps) out.push({ ...m, resident: this.pages.snapshot(m.start / this.pageSize, m.length / this.pageSize) });
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

  private insertMapping(m: MapEntry): void {
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
}

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
  private lastMap: Mapping | null = null;

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
    this.lastMap = null;
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
    this.lastMap = null;
    return start;
  }

  /** madvise(MADV_DONTNEED): the pages leave RSS but stay mapped. */
  dontneed(addr: number, length: number): void {
    this.assertAligned(addr, 'madvise');
    this.forEachPiece(addr, this.pageCeil(length) * this.pageSize, (bits, p0, p1) => {
      this.residentCount -= bits.clearRange(p0, p1);
    });
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
    if (heapOff >= 0 && addr + length <= this.brkEnd) {
      this.residentCount += this.setPages(this.heapResident, heapOff, length);
      return;
    }
    const m = this.lastMap;
    if (m !== null && addr >= m.start && addr + length <= m.start + m.length) {
      this.residentCount += this.setPages(m.resident, addr - m.start, length);
      return;
    }
    this.forEachPiece(addr, length, (bits, p0, p1) => {
      this.residentCount += bits.setRange(p0, p1);
    }, true);
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
    let n = 0;
    if (length > 0) this.forEachPiece(addr, length, (bits, p0, p1) => (n += bits.countRange(p0, p1)), false, true);
    return n;
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

  /** The largest range of addresses in the user space that nothing occupies (what a new mmap could get). */
  largestFreeRange(): number {
    const low = this.bits === 32 ? 0 : this.heapStart;
    const high = this.bits === 32 ? this.userTop() : this.mmapBase;
    let best = 0;
    let cursor = low;
    for (const m of this.mappings()) {
      const mEnd = m.start + m.length;
      if (mEnd <= cursor) continue;
      if (m.start >= high) break;
      best = Math.max(best, Math.min(m.start, high) - cursor);
      cursor = Math.max(cursor, mEnd);
    }
    return Math.max(best, high - cursor);
  }

  // ---- internals --------------------------------------------------------

  private userTop(): number {
    let top = 0;
    for (const r of this.reserved) top = Math.max(top, r.start + r.length);
    return Math.max(top, this.mmapBase);
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

  /** Highest start s ≤ mmapBase − len such that [s, s+len) is free, or −1. */
  private findGapTopDown(len: number): number {
    // Obstacles sorted by start descending; walk down from mmapBase.
    const heapTop = this.pageCeil(this.brkEnd) * this.pageSize;
    const obstacles: { start: number; end: number }[] = this.maps.map((m) => ({ start: m.start, end: m.start + m.length }));
    for (const r of this.reserved) obstacles.push({ start: r.start, end: r.start + r.length });
    obstacles.push({ start: this.heapStart, end: Math.max(heapTop, this.heapStart) });
    obstacles.sort((a, b) => b.start - a.start);
    let ceiling = this.mmapBase;
    for (const o of obstacles) {
      if (o.start >= ceiling) {
        ceiling = Math.min(ceiling, o.start);
        continue;
      }
      if (o.end <= ceiling && ceiling - o.end >= len) {
        const s = ceiling - len;
        if (s >= this.mmapFloor || this.bits === 32) return s;
      }
      ceiling = Math.min(ceiling, o.start);
    }
    const floor = this.bits === 32 ? 0 : this.mmapFloor;
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
   * Call `fn` with the bitset and page range of every mapped piece of
   * [addr, addr+length). Unless `allowGaps`, bytes that are not mapped are a
   * model bug (a write to unmapped memory would be a segfault).
   */
  private forEachPiece(addr: number, length: number, fn: (bits: PageBitset, p0: number, p1: number) => void, remember = false, allowGaps = false): void {
    const end = addr + length;
    let cursor = addr;
    const heapEnd = this.pageCeil(this.brkEnd - this.heapStart) * this.pageSize + this.heapStart;
    while (cursor < end) {
      if (cursor >= this.heapStart && cursor < heapEnd) {
        const to = Math.min(end, heapEnd);
        fn(this.heapResident, this.pageOf(cursor - this.heapStart), this.pageOf(to - 1 - this.heapStart) + 1);
        cursor = to;
        continue;
      }
      const i = this.indexOfMapping(cursor);
      if (i < 0) {
        if (!allowGaps) throw new Error(`access to unmapped address 0x${cursor.toString(16)}`);
        cursor = this.nextMappedAddress(cursor, end);
        continue;
      }
      const m = this.maps[i]!;
      if (remember) this.lastMap = m;
      const to = Math.min(end, m.start + m.length);
      fn(m.resident, this.pageOf(cursor - m.start), this.pageOf(to - 1 - m.start) + 1);
      cursor = to;
    }
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

// Page → extent lookup (jemalloc's emap/rtree): how free() and
// malloc_usable_size() find the extent of a pointer. Slabs register every page
// (interior lookups); large extents register the page the user pointer is in.
import type { Metadata } from './metadata.ts';
import { AddrHash } from './addr-hash.ts';
import { PAGE } from './size-classes.ts';

export class PageMap {
  private readonly map = new AddrHash();

  constructor(private readonly meta: Metadata) {}

  registerRange(start: number, bytes: number, e: number): void {
    for (let p = start / PAGE, end = (start + bytes) / PAGE; p < end; p++) {
      this.map.set(p, e);
      this.meta.registerPage(p);
    }
  }

  unregisterRange(start: number, bytes: number): void {
    for (let p = start / PAGE, end = (start + bytes) / PAGE; p < end; p++) this.map.delete(p);
  }

  /** The extent holding `addr`, or −1 (NONE). */
  lookup(addr: number): number {
    return this.map.get(Math.floor(addr / PAGE));
  }
}

// Page → extent lookup (jemalloc's emap/rtree): how free() and
// malloc_usable_size() find the extent of a pointer. Slabs register every page
// (interior lookups); large extents register the page the user pointer is in.
import type { Metadata } from './metadata.ts';
import { AddressIndex } from '../address-index.ts';
import { PAGE } from './size-classes.ts';

export class PageMap {
  private readonly index = new AddressIndex(PAGE);

  constructor(private readonly meta: Metadata) {}

  registerRange(start: number, bytes: number, e: number): void {
    for (let a = start, end = start + bytes; a < end; a += PAGE) {
      this.index.set(a, e);
      this.meta.registerPage(a / PAGE);
    }
  }

  unregisterRange(start: number, bytes: number): void {
    this.index.deleteRun(start, bytes / PAGE);
  }

  /** The extent holding `addr`, or −1 (NONE). */
  lookup(addr: number): number {
    return this.index.get(addr);
  }
}

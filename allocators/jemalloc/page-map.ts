// Page → extent lookup (jemalloc's emap/rtree): how free() and
// malloc_usable_size() find the extent of a pointer. Slabs register every page
// (interior lookups); large extents register the page the user pointer is in.
import type { Metadata } from './metadata.ts';
import { PageIndex } from './page-index.ts';
import { PAGE } from './size-classes.ts';

export class PageMap {
  private readonly index = new PageIndex();

  constructor(private readonly meta: Metadata) {}

  registerRange(start: number, bytes: number, e: number): void {
    const pages = Math.ceil(bytes / PAGE);
    if (pages === 1) this.index.set(start, e);
    else this.index.setRun(start, pages, e);
    this.meta.registerPages(Math.floor(start / PAGE), pages);
  }

  unregisterRange(start: number, bytes: number): void {
    this.index.deleteRun(start, bytes / PAGE);
  }

  /** The extent holding `addr`, or −1 (NONE). */
  lookup(addr: number): number {
    return this.index.get(addr);
  }
}

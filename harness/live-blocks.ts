// The replayer's table of live blocks, indexed by interned trace id: where the
// model put each block, what the program asked for, which event placed it and
// how many usable bytes the model gave beyond the request. Typed arrays, so a
// trace of millions of events allocates nothing per event.

/** How far below a user pointer a model's block address may sit (a chunk header) and still name that block. */
const HEADER_SLOP = 32;

export class LiveBlocks {
  /** Address of the live block; 0 when the id is not live (no model returns address 0 for a live block). */
  addr: Float64Array;
  /** Bytes the trace requested. */
  size: Float64Array;
  /** Index of the event that last placed the block (its malloc, or the realloc that moved or resized it). */
  event: Float64Array;
  /** usableSize − requested: the model's internal fragmentation for this block. */
  slack: Float64Array;
  /** Σ requested bytes of live blocks. */
  liveBytes = 0;
  /** Σ slack of live blocks. */
  slackBytes = 0;
  count = 0;

  constructor(initialIds = 1024) {
    const n = Math.max(16, initialIds);
    this.addr = new Float64Array(n);
    this.size = new Float64Array(n);
    this.event = new Float64Array(n);
    this.slack = new Float64Array(n);
  }

  get capacity(): number {
    return this.addr.length;
  }

  /** Make room for ids below `ids` (doubling, so growth is amortised). */
  ensure(ids: number): void {
    if (ids <= this.addr.length) return;
    let n = this.addr.length;
    while (n < ids) n *= 2;
    const grow = (a: Float64Array): Float64Array => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.addr = grow(this.addr);
    this.size = grow(this.size);
    this.event = grow(this.event);
    this.slack = grow(this.slack);
  }

  isLive(id: number): boolean {
    return id < this.addr.length && this.addr[id] !== 0;
  }

  /** Record a block that became live (or a live block that a realloc resized: call remove first). */
  add(id: number, addr: number, size: number, event: number, slack: number): void {
    this.addr[id] = addr;
    this.size[id] = size;
    this.event[id] = event;
    this.slack[id] = slack;
    this.liveBytes += size;
    this.slackBytes += slack;
    this.count++;
  }

  remove(id: number): void {
    this.liveBytes -= this.size[id]!;
    this.slackBytes -= this.slack[id]!;
    this.addr[id] = 0;
    this.count--;
  }

  /**
   * The id of the live block a model names by address, or −1. Models may name
   * the user pointer, the chunk header just below it (glibc's chunk starts 16
   * bytes below the user pointer, inside the usable tail of the chunk before),
   * or an address inside the block; so an exact match wins, then the nearest
   * block just above, then containment. A linear scan: this runs at marks only.
   */
  find(blockAddr: number): number {
    let inside = -1;
    let above = -1;
    let aboveDistance = Infinity;
    const addr = this.addr;
    for (let id = 0; id < addr.length; id++) {
      const a = addr[id]!;
      if (a === 0) continue;
      if (a === blockAddr) return id;
      if (a > blockAddr) {
        if (a - blockAddr <= HEADER_SLOP && a - blockAddr < aboveDistance) {
          above = id;
          aboveDistance = a - blockAddr;
        }
      } else if (blockAddr < a + Math.max(1, this.size[id]! + this.slack[id]!)) inside = id;
    }
    return above >= 0 ? above : inside;
  }
}

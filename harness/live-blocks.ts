// The replayer's table of live blocks, indexed by interned trace id: where the
// model put each block, what the program asked for, which event placed it and
// how many usable bytes the model gave beyond the request. One typed array,
// four numbers per id side by side, so a trace of millions of events allocates
// nothing per event and an add or remove touches one cache line.

/** How far below a user pointer a model's block address may sit (a chunk header) and still name that block. */
const HEADER_SLOP = 32;

/** Numbers per id in `slots`; the address comes first. */
export const LIVE_STRIDE = 4;
const STRIDE = LIVE_STRIDE;
const ADDR = 0;
const SIZE = 1;
const EVENT = 2;
const SLACK = 3;

export class LiveBlocks {
  /**
   * Per id: address of the live block (0 when the id is not live; no model
   * returns address 0 for a live block), bytes the trace requested, index of
   * the event that last placed the block (its malloc, or the realloc that
   * moved or resized it), and usableSize − requested (the model's internal
   * fragmentation for this block). The replay loop reads the address of id
   * straight from slots[id * LIVE_STRIDE] (a call per event costs more than
   * the read); everything else goes through the methods.
   */
  slots: Float64Array;
  /** Ids the table has room for. */
  capacity: number;
  /** Σ requested bytes of live blocks. */
  liveBytes = 0;
  /** Σ slack of live blocks. */
  slackBytes = 0;
  count = 0;

  constructor(initialIds = 1024) {
    this.capacity = Math.max(16, initialIds);
    this.slots = new Float64Array(this.capacity * STRIDE);
  }

  /** Make room for ids below `ids` (doubling, so growth is amortised). */
  ensure(ids: number): void {
    if (ids <= this.capacity) return;
    let n = this.capacity;
    while (n < ids) n *= 2;
    const grown = new Float64Array(n * STRIDE);
    grown.set(this.slots);
    this.slots = grown;
    this.capacity = n;
  }

  /** The live block's address, 0 when the id is not live (or beyond capacity). */
  addrOf(id: number): number {
    return id < this.capacity ? this.slots[id * STRIDE + ADDR]! : 0;
  }

  sizeOf(id: number): number {
    return this.slots[id * STRIDE + SIZE]!;
  }

  eventOf(id: number): number {
    return this.slots[id * STRIDE + EVENT]!;
  }

  slackOf(id: number): number {
    return this.slots[id * STRIDE + SLACK]!;
  }

  isLive(id: number): boolean {
    return this.addrOf(id) !== 0;
  }

  /** Record a block that became live (or a live block that a realloc resized: call remove first). */
  add(id: number, addr: number, size: number, event: number, slack: number): void {
    const at = id * STRIDE;
    const slots = this.slots;
    slots[at + ADDR] = addr;
    slots[at + SIZE] = size;
    slots[at + EVENT] = event;
    slots[at + SLACK] = slack;
    this.liveBytes += size;
    this.slackBytes += slack;
    this.count++;
  }

  remove(id: number): void {
    const at = id * STRIDE;
    const slots = this.slots;
    this.liveBytes -= slots[at + SIZE]!;
    this.slackBytes -= slots[at + SLACK]!;
    slots[at + ADDR] = 0;
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
    const slots = this.slots;
    const ids = this.capacity;
    for (let id = 0; id < ids; id++) {
      const a = slots[id * STRIDE + ADDR]!;
      if (a === 0) continue;
      if (a === blockAddr) return id;
      if (a > blockAddr) {
        if (a - blockAddr <= HEADER_SLOP && a - blockAddr < aboveDistance) {
          above = id;
          aboveDistance = a - blockAddr;
        }
      } else if (blockAddr < a + Math.max(1, slots[id * STRIDE + SIZE]! + slots[id * STRIDE + SLACK]!)) inside = id;
    }
    return above >= 0 ? above : inside;
  }
}

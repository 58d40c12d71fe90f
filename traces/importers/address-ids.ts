// Trace ids for tools that name blocks by address. The id is the address at
// allocation; realloc keeps it while the address changes. A new block at an
// address whose plain id is still live (its block moved away) gets
// "<address>.<n>", so an id is never reused while live (trace v1 rule).
// The recorder shim (heapreplay-record.c) applies the same rule in C.

// Dictionary objects rather than Map/Set: with ~10^5 live address strings
// V8's Map and Set slowed to ~20 µs per operation (see traces/recorder/record.ts).
type Dict<T> = Record<string, T>;

export class AddressIds {
  /** Current address → id. */
  private readonly byAddress: Dict<string> = Object.create(null) as Dict<string>;
  /** Plain ids (bare addresses) that are live. */
  private readonly livePlain: Dict<true> = Object.create(null) as Dict<true>;
  private suffix = 0;

  /** A new block at `address`; returns its id. A block still recorded there is closed first (returned in `closed`). */
  allocate(address: string): { id: string; closed: string | null } {
    const closed = this.release(address);
    let id = address;
    if (this.livePlain[address]) id = `${address}.${++this.suffix}`;
    else this.livePlain[address] = true;
    this.byAddress[address] = id;
    return { id, closed };
  }

  /** The block at `address` is freed; returns its id, or null if no block is known there. */
  release(address: string): string | null {
    const id = this.byAddress[address];
    if (id === undefined) return null;
    delete this.byAddress[address];
    if (!id.includes('.')) delete this.livePlain[id];
    return id;
  }

  /** The block at `from` moved to `to`; returns its id, or null if unknown. A block still recorded at `to` is closed (`closed`). */
  move(from: string, to: string): { id: string; closed: string | null } | null {
    const id = this.byAddress[from];
    if (id === undefined) return null;
    if (from === to) return { id, closed: null };
    delete this.byAddress[from];
    const closed = this.release(to);
    this.byAddress[to] = id;
    return { id, closed };
  }
}

// Interns allocation id tokens ("42", "0x7f3a10", "obj:17") to dense integers
// so the replayer can keep per-id state in typed arrays instead of string maps.

export class IdTable {
  private readonly index = new Map<string, number>();
  private readonly names: string[] = [];
  /** names[0 .. indexed) are in `index`. Names appended in bulk (a compiled trace) are indexed only when looked up by text. */
  private indexed = 0;

  /** Number of distinct ids interned so far; interned ids are 0 .. size-1. */
  get size(): number {
    return this.names.length;
  }

  /** The integer for `name`, interning it on first sight. The same text always gives the same integer. */
  intern(name: string): number {
    const known = this.lookup(name);
    return known >= 0 ? known : this.add(name);
  }

  /** Intern a name the caller just found absent with lookup(): saves the second hash lookup on the hot path. */
  add(name: string): number {
    if (this.indexed < this.names.length) this.catchUpIndex();
    const id = this.names.length;
    this.index.set(name, id);
    this.names.push(name);
    this.indexed = this.names.length;
    return id;
  }

  /** The integer for `name`, or -1 when it was never interned. */
  lookup(name: string): number {
    if (this.indexed < this.names.length) this.catchUpIndex();
    return this.index.get(name) ?? -1;
  }

  /**
   * Append names known to be new and distinct, taking the next integers in
   * order (a compiled trace stores them so). Skips the text index: replaying
   * only needs integer → text, and a million Map inserts cost a second.
   */
  appendDistinct(names: Iterable<string>): void {
    for (const n of names) this.names.push(n);
  }

  /** The id text of an interned integer. */
  name(id: number): string {
    const text = this.names[id];
    if (text === undefined) throw new RangeError(`id ${id} is not in the id table (it holds ${this.names.length} ids)`);
    return text;
  }

  private catchUpIndex(): void {
    for (let id = this.indexed; id < this.names.length; id++) this.index.set(this.names[id]!, id);
    this.indexed = this.names.length;
  }
}

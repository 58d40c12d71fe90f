// Interns allocation id tokens ("42", "0x7f3a10", "obj:17") to dense integers
// so the replayer can keep per-id state in typed arrays instead of string maps.
//
// Built for the CSV fast path, which interns straight from the decompressed
// bytes without making a string per row, and for big traces:
//   - every token's bytes sit back to back in one arena (names are made into
//     strings only when asked for);
//   - tokens that are canonical numbers (decimal without leading zeros below
//     2^53, or "0x" + lower-case hex without leading zeros below 2^52) are
//     keyed by their value: the text is a function of the value, so equal
//     values are equal tokens and no bytes need comparing. Small decimals
//     (below a bound that grows with the id count, so memory stays
//     proportional to it) index a plain array directly: generated traces
//     number their allocations 1, 2, 3..., and then a lookup is one read with
//     the locality of the trace itself. Other numbers go to an
//     open-addressing table of [key, id] pairs: one cache line per lookup;
//   - other tokens go to a second table of [hash, id] pairs, confirmed
//     against the arena.
// The two tables use linear probing at load ≤ 1/2. A random read from a
// table of a million ids misses the cache, and on a busy machine that miss
// costs more than parsing the whole row: hence the few reads per lookup.
// Tokens are ASCII (validated), one byte per character; the string methods
// take Latin-1 text (what a compiled trace's names decode to) and refuse
// anything wider.

/** numericKey of a token that is not a canonical number. */
const NOT_NUMERIC = Infinity;
const TWO_32 = 4294967296;
const MAX_HEX_DIGITS = 13;
/** The direct array may hold this many slots per interned id (and always 2^16): memory stays proportional to the id count. */
const DIRECT_PER_ID = 4;
const DIRECT_MIN = 1 << 16;

/** Decimal value + 1 of a lower-case hex digit's char code, 0 for anything else. */
const HEX_VALUE = new Uint8Array(256);
for (let d = 0; d < 16; d++) HEX_VALUE['0123456789abcdef'.charCodeAt(d)] = d + 1;

/**
 * The key of the canonical numeric token in buf[start, end): its value for
 * decimal, -(value + 1) for hex, NOT_NUMERIC for any other token.
 */
function numericKeyBytes(buf: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n === 0) return NOT_NUMERIC;
  const c0 = buf[start]!;
  if (n > 2 && c0 === 48 && buf[start + 1] === 120) {
    if (n - 2 > MAX_HEX_DIGITS || (n > 3 && buf[start + 2] === 48)) return NOT_NUMERIC;
    let v = 0;
    for (let i = start + 2; i < end; i++) {
      const d = HEX_VALUE[buf[i]!]!;
      if (d === 0) return NOT_NUMERIC;
      v = v * 16 + d - 1;
    }
    return -(v + 1);
  }
  if (c0 === 48 && n > 1) return NOT_NUMERIC;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return NOT_NUMERIC;
    v = v * 10 + d;
  }
  return v > Number.MAX_SAFE_INTEGER ? NOT_NUMERIC : v;
}

/** murmur3's finaliser: spreads sequential ids over the low bits that pick the slot. */
function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hash of a numeric key, split into 32-bit halves arithmetically (keys reach 2^53). */
function hashNumber(key: number): number {
  const a = key < 0 ? -key : key;
  const lo = a % TWO_32;
  const hi = (a - lo) / TWO_32;
  return finish(Math.imul(lo | 0, 0x9e3779b1) ^ Math.imul(hi + (key < 0 ? 0x5bd1e995 : 0), 0x27d4eb2f));
}

/** FNV-1a over bytes, finished. */
function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return finish(h);
}

/** Whether every character of `text` fits a byte (Latin-1): only such text can be a stored token. */
function isByteText(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false;
  return true;
}

const MAX_TOKEN_BYTES = 255;

export class IdTable {
  /** Every token's bytes, back to back. */
  private arena = Buffer.alloc(1 << 16);
  private arenaUsed = 0;
  /** Per id: where its bytes start in the arena × 256 + how many (≤ 255), one read for both. */
  private place = new Float64Array(1024);
  private count = 0;
  /** Decimal tokens below direct.length: direct[value] = id + 1, or 0 when absent. */
  private direct = new Uint32Array(DIRECT_MIN);
  /** Other numeric tokens: pairs [key, id + 1]; id + 1 = 0 marks an empty slot. */
  private numSlots = new Float64Array(2 * 1024);
  private numMask = 1023;
  private numCount = 0;
  /** Other tokens: pairs [hash, id + 1]; id + 1 = 0 marks an empty slot. */
  private textSlots = new Uint32Array(2 * 1024);
  private textMask = 1023;
  private textCount = 0;
  /** Ids 0 .. indexed-1 are in the tables. Names appended in bulk (a compiled trace) are indexed only when looked up. */
  private indexed = 0;
  /** A scratch buffer for string lookups. */
  private readonly scratch = new Uint8Array(MAX_TOKEN_BYTES);

  /** Number of distinct ids interned so far; interned ids are 0 .. size-1. */
  get size(): number {
    return this.count;
  }

  /** The integer for `name`, interning it on first sight. The same text always gives the same integer. */
  intern(name: string): number {
    const known = this.lookup(name);
    return known >= 0 ? known : this.add(name);
  }

  /** The integer for `name`, or -1 when it was never interned. */
  lookup(name: string): number {
    const n = name.length;
    if (n > MAX_TOKEN_BYTES) return -1;
    // Copied by hand: a native write() per lookup costs more than the few characters of a token.
    const scratch = this.scratch;
    for (let i = 0; i < n; i++) {
      const c = name.charCodeAt(i);
      if (c > 0xff) return -1;
      scratch[i] = c;
    }
    return this.lookupBytes(scratch, 0, n);
  }

  /** Intern a name the caller just found absent (lookup returned -1): names are never interned twice. */
  add(name: string): number {
    if (!isByteText(name)) throw new RangeError(`id ${JSON.stringify(name.slice(0, 40))} is not an id token (ids are ASCII)`);
    const at = this.reserveBytes(name.length);
    this.arena.write(name, at, 'latin1');
    return this.index(this.appendEntry(at, name.length));
  }

  /** The integer for the token in buf[start, end), or -1 when it was never interned. No string is made. */
  lookupBytes(buf: Uint8Array, start: number, end: number): number {
    if (this.indexed < this.count) this.catchUpIndex();
    const key = numericKeyBytes(buf, start, end);
    if (key !== NOT_NUMERIC) {
      if (key >= 0 && key < this.direct.length) return this.direct[key]! - 1;
      const slots = this.numSlots;
      const mask = this.numMask;
      for (let slot = hashNumber(key) & mask; ; slot = (slot + 1) & mask) {
        const entry = slots[2 * slot + 1]!;
        if (entry === 0) return -1;
        if (slots[2 * slot] === key) return entry - 1;
      }
    }
    const h = hashBytes(buf, start, end);
    const n = end - start;
    const slots = this.textSlots;
    const mask = this.textMask;
    const arena = this.arena;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[2 * slot + 1]!;
      if (entry === 0) return -1;
      if (slots[2 * slot] !== h) continue;
      const id = entry - 1;
      const place = this.place[id]!;
      if (place % 256 !== n) continue;
      let p = (place - n) / 256;
      let i = start;
      while (i < end && arena[p] === buf[i]) {
        p++;
        i++;
      }
      if (i === end) return id;
    }
  }

  /** Intern the token in buf[start, end) that lookupBytes just found absent. */
  addBytes(buf: Uint8Array, start: number, end: number): number {
    const n = end - start;
    const at = this.reserveBytes(n);
    this.copyIn(buf, start, end, at);
    return this.index(this.appendEntry(at, n));
  }

  /**
   * Append names known to be new and distinct, taking the next integers in
   * order (a compiled trace stores them so). Skips the hash index: replaying
   * only needs integer → text; the index is built if someone looks up a name.
   */
  appendDistinct(names: Iterable<string>): void {
    for (const name of names) {
      if (!isByteText(name)) throw new RangeError(`id ${JSON.stringify(name.slice(0, 40))} is not an id token (ids are ASCII)`);
      const at = this.reserveBytes(name.length);
      this.arena.write(name, at, 'latin1');
      this.appendEntry(at, name.length);
    }
  }

  /** Append one new, distinct name given as bytes (see appendDistinct). */
  appendDistinctBytes(buf: Uint8Array, start: number, end: number): void {
    const at = this.reserveBytes(end - start);
    this.copyIn(buf, start, end, at);
    this.appendEntry(at, end - start);
  }

  /** The id text of an interned integer. */
  name(id: number): string {
    if (!(id >= 0 && id < this.count)) throw new RangeError(`id ${id} is not in the id table (it holds ${this.count} ids)`);
    const place = this.place[id]!;
    const n = place % 256;
    const at = (place - n) / 256;
    return this.arena.toString('latin1', at, at + n);
  }

  /** Bytes of an id's token. */
  byteLength(id: number): number {
    return this.place[id]! % 256;
  }

  /** Copy an id's token into `target` at `offset`; returns the bytes copied. */
  copyName(id: number, target: Uint8Array, offset: number): number {
    const place = this.place[id]!;
    const n = place % 256;
    const at = (place - n) / 256;
    // Tokens are a few bytes: a loop costs less than a native copy call per token.
    const arena = this.arena;
    for (let i = 0; i < n; i++) target[offset + i] = arena[at + i]!;
    return n;
  }

  /** Tokens are short: a loop beats making a subarray view per token for set(). */
  private copyIn(buf: Uint8Array, start: number, end: number, at: number): void {
    const arena = this.arena;
    for (let i = start; i < end; i++) arena[at++] = buf[i]!;
  }

  private reserveBytes(n: number): number {
    if (n > MAX_TOKEN_BYTES) throw new RangeError(`an id token of ${n} bytes is too long (ids are at most 64 characters)`);
    if (this.arenaUsed + n > this.arena.length) {
      const grown = Buffer.alloc(Math.max(this.arena.length * 2, this.arenaUsed + n));
      this.arena.copy(grown, 0, 0, this.arenaUsed);
      this.arena = grown;
    }
    const at = this.arenaUsed;
    this.arenaUsed += n;
    return at;
  }

  private appendEntry(at: number, n: number): number {
    const id = this.count;
    if (id === this.place.length) this.growEntries();
    this.place[id] = at * 256 + n;
    this.count = id + 1;
    return id;
  }

  /** Put the newest id into its table, with any appended in bulk before it. */
  private index(id: number): number {
    if (this.indexed < id) this.catchUpIndex();
    else {
      this.insert(id);
      this.indexed = id + 1;
    }
    return id;
  }

  private insert(id: number): void {
    const place = this.place[id]!;
    const n = place % 256;
    const at = (place - n) / 256;
    const end = at + n;
    const key = numericKeyBytes(this.arena, at, end);
    if (key !== NOT_NUMERIC) {
      if (key >= this.direct.length && key < DIRECT_PER_ID * (this.count + 1)) this.growDirect(key);
      if (key >= 0 && key < this.direct.length) this.direct[key] = id + 1;
      else {
        if ((this.numCount + 1) * 2 > this.numMask + 1) this.growNumeric();
        this.placeNumeric(key, id);
        this.numCount++;
      }
    } else {
      if ((this.textCount + 1) * 2 > this.textMask + 1) this.growText();
      this.placeText(hashBytes(this.arena, at, end), id);
      this.textCount++;
    }
  }

  private placeNumeric(key: number, id: number): void {
    const slots = this.numSlots;
    let slot = hashNumber(key) & this.numMask;
    while (slots[2 * slot + 1] !== 0) slot = (slot + 1) & this.numMask;
    slots[2 * slot] = key;
    slots[2 * slot + 1] = id + 1;
  }

  private placeText(h: number, id: number): void {
    const slots = this.textSlots;
    let slot = h & this.textMask;
    while (slots[2 * slot + 1] !== 0) slot = (slot + 1) & this.textMask;
    slots[2 * slot] = h;
    slots[2 * slot + 1] = id + 1;
  }

  /** Rebuild the numeric table at `capacity` slots, moving keys that now fall in the direct array there. */
  private rebuildNumeric(capacity: number): void {
    const old = this.numSlots;
    this.numSlots = new Float64Array(2 * capacity);
    this.numMask = capacity - 1;
    this.numCount = 0;
    const direct = this.direct;
    for (let s = 0; s < old.length; s += 2) {
      if (old[s + 1] === 0) continue;
      const key = old[s]!;
      if (key >= 0 && key < direct.length) direct[key] = old[s + 1]!;
      else {
        this.placeNumeric(key, old[s + 1]! - 1);
        this.numCount++;
      }
    }
  }

  private growNumeric(): void {
    this.rebuildNumeric(2 * (this.numMask + 1));
  }

  /** Widen the direct array to hold `key`; decimal keys from the table that now fit move into it. */
  private growDirect(key: number): void {
    let n = this.direct.length;
    while (n <= key) n *= 2;
    const direct = new Uint32Array(n);
    direct.set(this.direct);
    this.direct = direct;
    if (this.numCount > 0) this.rebuildNumeric(this.numMask + 1);
  }

  private growText(): void {
    const old = this.textSlots;
    const capacity = 2 * (this.textMask + 1);
    this.textSlots = new Uint32Array(2 * capacity);
    this.textMask = capacity - 1;
    for (let s = 0; s < old.length; s += 2) if (old[s + 1] !== 0) this.placeText(old[s]!, old[s + 1]! - 1);
  }

  private catchUpIndex(): void {
    for (let id = this.indexed; id < this.count; id++) this.insert(id);
    this.indexed = this.count;
  }

  private growEntries(): void {
    const place = new Float64Array(this.place.length * 2);
    place.set(this.place);
    this.place = place;
  }
}

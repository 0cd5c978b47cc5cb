// One open-addressed hash index over typed arrays, shared by the flow, embryo, host and tuple tables.
//
// Robin Hood linear probing. An entry is one uint32: the slot + 1 of the record it points at
// (low `slotBits` bits), its distance from its home bucket (DIB_BITS bits) and, above them, the
// top bits of the key hash as a tag. Because an entry knows its own distance, deletion shifts
// the following entries back without hashing their keys again (the old index re-read three
// arrays per shifted entry, 15% of a SYN flood's time), and a lookup stops as soon as it meets
// an entry closer to its home than the probe is (a miss costs about as much as a hit).
//
// Buckets are picked with a multiply-shift range reduction, not a power-of-two mask, so the
// index can be sized to exactly 4/3 of the records it holds (5.3 bytes a record, not 8).
//
// The index holds no keys: lookups are driven by the caller, which compares its own key with
// each candidate slot (`first`/`next`, no closures on the packet path).

/** Bits of an entry holding the distance from the home bucket. */
const DIB_BITS = 6;
/** Longest distance an entry can have; a longer probe grows the index instead. */
export const MAX_DIB = (1 << DIB_BITS) - 1;

/** Default load factor 3/4: the flow index's, whose bytes count in the per-flow budget. */
const LOAD_NUM = 3;
const LOAD_DEN = 4;

/** Most records per entry, as a fraction num/den (see the HashIndex constructor). */
export interface LoadFactor {
  num: number;
  den: number;
}

/** Entries an index needs to hold `records` at load factor num/den. */
function entriesFor(records: number, num = LOAD_NUM, den = LOAD_DEN): number {
  return Math.max(8, Math.ceil((records * den) / num) + 1);
}

/** Bytes an index costs per record when it holds `records` (for memory budgets). */
export function hashIndexBytesPerRecord(): number {
  return (4 * LOAD_DEN) / LOAD_NUM;
}

/**
 * A hash index of up to `maxRecords` slots. Its entry array is allocated once for the cap (the
 * OS commits pages only when written), but only the first `size` entries are used: `size`
 * follows the record count, so a small table stays in cache, and rebuild() is called by the
 * owner with every live (hash, slot) when `needsGrowth` says so. Growth doubles `size`, but
 * never past what `maxRecords` need at the load factor: a table at its cap costs exactly
 * hashIndexBytesPerRecord() a record (as memory budgets assume), not up to twice that as the
 * last doubling would leave it. Only a probe that overflows there takes the reserve beyond.
 */
export class HashIndex {
  readonly maxRecords: number;
  /** Entries in use. */
  size = 0;
  /** Records indexed. */
  count = 0;
  /** Entries `maxRecords` need at the load factor: growth stops here unless a probe overflows. */
  readonly #capSize: number;
  /**
   * The entries, slot bits and masks are public for callers on the packet path: the engine's
   * flow and host lookups walk them in place (see flow_table.ts findFlowOrEmbryo()) instead of
   * through first()/next(), whose cursor lives in fields.
   */
  readonly entries: Uint32Array;
  readonly slotBits: number;
  readonly slotMask: number;
  /**
   * Bits of an entry above the slot and distance: the tag (0 when none are left), the hash's
   * lowest bits shifted up by `tagShift`. Not its highest: the home bucket is the top bits of
   * hash * size, so entries that share a home share their top bits too, and a tag of those
   * (as it first was) matched every such entry: 0.7 key compares, each a cache miss, per
   * flood SYN that had no flow. `((entry ^ (hash << tagShift)) & tagMask) === 0` matches.
   */
  readonly tagMask: number;
  readonly tagShift: number;
  readonly #loadNum: number;
  readonly #loadDen: number;
  /** Cursor of first()/next(): the probe position, its distance and the tag sought. */
  #pos = 0;
  #dib = 0;
  #tag = 0;

  /**
   * `load` is the most records per entry before growth (default 3/4). A lower one costs bytes
   * and shortens probes, misses most: the host table, whose lookups mostly miss under churn and
   * whose index is small beside its 1.6 KB records, uses 1/2.
   */
  constructor(
    maxRecords: number,
    initialRecords = maxRecords,
    load: LoadFactor = { num: LOAD_NUM, den: LOAD_DEN },
  ) {
    if (!Number.isInteger(maxRecords) || maxRecords < 1) {
      throw new RangeError(`maxRecords must be a positive integer, got ${maxRecords}`);
    }
    this.maxRecords = maxRecords;
    if (!(load.num > 0 && load.num < load.den)) {
      throw new RangeError(`load must be a fraction below 1, got ${load.num}/${load.den}`);
    }
    this.#loadNum = load.num;
    this.#loadDen = load.den;
    this.slotBits = Math.ceil(Math.log2(maxRecords + 1));
    if (this.slotBits + DIB_BITS > 32) {
      throw new RangeError(`A hash index holds at most ${2 ** (32 - DIB_BITS) - 1} records`);
    }
    this.slotMask = 2 ** this.slotBits - 1;
    this.tagShift = this.slotBits + DIB_BITS;
    this.tagMask = this.tagShift >= 32 ? 0 : ~((1 << this.tagShift) - 1);
    // Room for growth past the load factor when probes run long (see insert()).
    this.#capSize = entriesFor(maxRecords, load.num, load.den);
    this.entries = new Uint32Array(this.#capSize * 2);
    this.size = entriesFor(Math.min(maxRecords, Math.max(1, initialRecords)), load.num, load.den);
  }

  /** True when one more record would pass the load factor of the entries in use. */
  get needsGrowth(): boolean {
    return (this.count + 1) * this.#loadDen > this.size * this.#loadNum &&
      this.size < this.#capSize;
  }

  /** Home bucket of hash `h` (multiply-shift: the top bits of h * size). */
  #home(h: number): number {
    return Math.floor((h >>> 0) * this.size / 4294967296);
  }

  /** The tag of hash `h` (its low bits), shifted into place (0 when no bits are left). */
  #tagOf(h: number): number {
    return this.tagShift >= 32 ? 0 : (h << this.tagShift) >>> 0;
  }

  /**
   * The first slot whose entry has hash `h`'s home and tag, or -1. Call next() for the
   * following ones until the caller's key matches or -1 comes back.
   */
  first(h: number): number {
    this.#pos = this.#home(h);
    this.#dib = 0;
    this.#tag = this.#tagOf(h);
    return this.next();
  }

  /** The next candidate slot of the lookup started by first(), or -1. */
  next(): number {
    const entries = this.entries;
    const size = this.size;
    const slotMask = this.slotMask;
    const tagMask = this.tagMask;
    const bits = this.slotBits;
    const tag = this.#tag;
    let pos = this.#pos;
    let dib = this.#dib;
    for (;;) {
      const e = entries[pos];
      const theirs = (e >>> bits) & MAX_DIB;
      // An empty bucket, or an entry nearer its home than we are from ours: not present.
      if (e === 0 || theirs < dib) return -1;
      pos = pos + 1 === size ? 0 : pos + 1;
      // Same distance at the same position means the same home bucket.
      if (theirs === dib++ && ((e & tagMask) >>> 0) === tag) {
        this.#pos = pos;
        this.#dib = dib;
        return (e & slotMask) - 1;
      }
    }
  }

  /**
   * Adds `slot` under hash `h` (the caller knows it is not present). Returns false when a probe
   * would run longer than MAX_DIB: the caller rebuilds with a larger size (see grow()).
   */
  insert(h: number, slot: number): boolean {
    if (slot < 0 || slot >= this.maxRecords) throw new RangeError(`slot ${slot} out of range`);
    const entries = this.entries;
    const size = this.size;
    const bits = this.slotBits;
    let entry = (this.#tagOf(h) | (slot + 1)) >>> 0;
    let dib = 0;
    let pos = this.#home(h);
    for (;;) {
      const e = entries[pos];
      if (e === 0) {
        entries[pos] = (entry | (dib << bits)) >>> 0;
        this.count++;
        return true;
      }
      const theirs = (e >>> bits) & MAX_DIB;
      if (theirs < dib) {
        // Robin Hood: the richer entry (nearer its home) gives up its bucket.
        entries[pos] = (entry | (dib << bits)) >>> 0;
        entry = (e & ~(MAX_DIB << bits)) >>> 0;
        dib = theirs;
      }
      dib++;
      if (dib > MAX_DIB) {
        // Undo is not needed: the displaced entry is re-placed by the caller's rebuild, which
        // re-inserts every live record. Count this one as present so the rebuild's count holds.
        this.#overflowed = true;
        this.count++;
        return false;
      }
      pos = pos + 1 === size ? 0 : pos + 1;
    }
  }

  /** Set when an insert ran past MAX_DIB: the owner must rebuild (larger) before any lookup. */
  #overflowed = false;

  /** True after an insert overflowed, until the next rebuild. */
  get overflowed(): boolean {
    return this.#overflowed;
  }

  /** Removes `slot`, indexed under hash `h`. Returns false when it was not there. */
  remove(h: number, slot: number): boolean {
    const entries = this.entries;
    const size = this.size;
    const bits = this.slotBits;
    const slotMask = this.slotMask;
    let pos = this.#home(h);
    for (let dib = 0;; dib++) {
      const e = entries[pos];
      const theirs = (e >>> bits) & MAX_DIB;
      if (e === 0 || theirs < dib) return false;
      if ((e & slotMask) === slot + 1 && theirs === dib) break;
      pos = pos + 1 === size ? 0 : pos + 1;
    }
    // Backward shift: pull each following entry that is not at its home one bucket back.
    for (;;) {
      const nextPos = pos + 1 === size ? 0 : pos + 1;
      const e = entries[nextPos];
      const dib = (e >>> bits) & MAX_DIB;
      if (e === 0 || dib === 0) {
        entries[pos] = 0;
        break;
      }
      entries[pos] = (e - (1 << bits)) >>> 0;
      pos = nextPos;
    }
    this.count--;
    return true;
  }

  /**
   * Empties the index and sizes it for `records` records (never smaller than the count it will
   * be given back, never past its allocation). The owner then inserts every live record.
   */
  reset(records: number): void {
    const size = Math.min(
      this.entries.length,
      Math.max(entriesFor(records, this.#loadNum, this.#loadDen), 8),
    );
    this.entries.fill(0, 0, Math.max(size, this.size));
    this.size = size;
    this.count = 0;
    this.#overflowed = false;
  }

  /**
   * Size the next rebuild should use: double, up to the cap's size; once there (a probe
   * overflowed at the cap), the whole allocation.
   */
  grownSize(): number {
    if (this.size < this.#capSize) return Math.min(this.#capSize, this.size * 2);
    return this.entries.length;
  }

  /** Records the next rebuild should be sized for. */
  grownRecords(): number {
    const size = this.grownSize();
    return size === this.#capSize
      ? this.maxRecords
      : Math.floor((size * this.#loadNum) / this.#loadDen);
  }
}

/** What rebuildIndexOf() needs of a table sharing an index. */
export interface IndexedTable {
  readonly indexBase: number;
  readonly slotsUsed: number;
  inUse(s: number): boolean;
  slotHash(s: number): number;
}

/**
 * Re-indexes every record of `tables` (which share `index`), sized for `records`; grows further
 * when an insert overflows (a run of probes longer than the index allows).
 */
export function rebuildIndexOf(
  index: HashIndex,
  tables: IndexedTable[],
  records: number,
  what = "flow index",
): void {
  let count = 0;
  for (const t of tables) for (let s = 0; s < t.slotsUsed; s++) if (t.inUse(s)) count++;
  for (let size = records, attempt = 0;; size = index.grownRecords(), attempt++) {
    const before = index.size;
    index.reset(Math.max(size, count));
    if (attempt > 0 && index.size === before) {
      throw new RangeError(`The ${what} cannot grow further: the key hash is clustering`);
    }
    let ok = true;
    for (const t of tables) {
      for (let s = 0; s < t.slotsUsed && ok; s++) {
        if (t.inUse(s)) ok = index.insert(t.slotHash(s), s + t.indexBase);
      }
    }
    if (ok) return;
  }
}

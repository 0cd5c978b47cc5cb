// Interns names (server names, DNS names) in a bounded table so records keep a u32 id.
//
// Each id is reference-counted: a holder (a flow record, a passive-DNS entry) retains the id
// while it keeps it and releases it when done. Entries nobody holds stay cached (a name comes
// back often) and are recycled least recently used first when the table is full. When every
// entry is held, intern() returns 0 ("no name") and counts a drop: memory stays bounded
// whatever the traffic.

/** Id 0 means "no name". */
export const NO_NAME = 0;

/** A bounded, reference-counted string interner. */
export class NameTable {
  readonly capacity: number;
  /** Names that could not be interned because every entry was held. */
  drops = 0;
  #names: (string | undefined)[];
  #ids = new Map<string, number>();
  #refs: Int32Array;
  // Doubly-linked list of unheld entries, least recently released first (0 is the sentinel).
  #prev: Int32Array;
  #next: Int32Array;
  /** Ids never used yet: 1 .. #fresh - 1 are taken. */
  #fresh = 1;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`NameTable capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#names = new Array(capacity + 1);
    this.#refs = new Int32Array(capacity + 1);
    this.#prev = new Int32Array(capacity + 1);
    this.#next = new Int32Array(capacity + 1);
  }

  /** Names held or cached. */
  get size(): number {
    return this.#ids.size;
  }

  /**
   * The id of `name`, retained once for the caller (release it when done); NO_NAME for an
   * empty name or when the table is full of held names (counted in `drops`).
   */
  intern(name: string): number {
    if (!name) return NO_NAME;
    let id = this.#ids.get(name);
    if (id !== undefined) {
      this.retain(id);
      return id;
    }
    if (this.#fresh <= this.capacity) {
      id = this.#fresh++;
    } else {
      id = this.#next[0]; // least recently released unheld entry
      if (id === 0) {
        this.drops++;
        return NO_NAME;
      }
      this.#unlink(id);
      this.#ids.delete(this.#names[id]!);
    }
    this.#names[id] = name;
    this.#ids.set(name, id);
    this.#refs[id] = 1;
    return id;
  }

  /** The id of `name` if it is in the table, without retaining it; NO_NAME otherwise. */
  find(name: string): number {
    return this.#ids.get(name) ?? NO_NAME;
  }

  /** The name of `id`, or undefined for NO_NAME or an unused id. */
  nameOf(id: number): string | undefined {
    return id > 0 && id <= this.capacity ? this.#names[id] : undefined;
  }

  /** Adds a holder to `id` (no-op for NO_NAME). */
  retain(id: number): void {
    if (id <= 0 || id > this.capacity || this.#names[id] === undefined) return;
    if (this.#refs[id]++ === 0) this.#unlink(id);
  }

  /** Drops a holder of `id`; an id nobody holds stays cached until its entry is needed. */
  release(id: number): void {
    if (id <= 0 || id > this.capacity || this.#refs[id] <= 0) return;
    if (--this.#refs[id] === 0) {
      // Append at the tail: most recently released.
      const tail = this.#prev[0];
      this.#prev[id] = tail;
      this.#next[id] = 0;
      this.#next[tail] = id;
      this.#prev[0] = id;
    }
  }

  /** Every (id, name) held or cached (for filters by name: not for the packet path). */
  entries(): IterableIterator<[number, string]> {
    const ids = this.#ids;
    return (function* () {
      for (const [name, id] of ids) yield [id, name] as [number, string];
    })();
  }

  /** Holders of `id` (for tests and diagnostics). */
  refsOf(id: number): number {
    return id > 0 && id <= this.capacity ? this.#refs[id] : 0;
  }

  #unlink(id: number): void {
    const p = this.#prev[id];
    const n = this.#next[id];
    this.#next[p] = n;
    this.#prev[n] = p;
    this.#prev[id] = this.#next[id] = 0;
  }
}

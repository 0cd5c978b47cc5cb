// Interned labels and hosts: each distinct name or address is one row, referred to by its id.

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { hostKey } from "./address_blob.ts";

/** Cached ids at most; past it the cache starts over (the table keeps every entry). */
const CACHE_LIMIT = 100_000;

/** Label ids by (kind, name), with the newest time each was used (for pruning). */
export class Labels {
  readonly #find: StatementSync;
  readonly #insert: StatementSync;
  readonly #touch: StatementSync;
  readonly #byId: StatementSync;
  #ids = new Map<string, number>();
  #names = new Map<number, string>();
  /** Ids used since the last touch(), with the newest time. */
  #used = new Map<number, number>();

  constructor(db: DatabaseSync) {
    this.#find = db.prepare("SELECT id FROM label WHERE kind = ? AND name = ?");
    this.#insert = db.prepare("INSERT INTO label (kind, name, last_used) VALUES (?, ?, ?)");
    this.#touch = db.prepare("UPDATE label SET last_used = max(last_used, ?) WHERE id = ?");
    this.#byId = db.prepare("SELECT name FROM label WHERE id = ?");
  }

  /** The id of `name` of `kind`, created when new; marks it used at `time`. */
  id(kind: number, name: string, time: number): number {
    const key = `${kind}\u0000${name}`;
    let id = this.#ids.get(key);
    if (id === undefined) {
      const row = this.#find.get(kind, name);
      id = row
        ? row.id as number
        : Number(this.#insert.run(kind, name, Math.floor(time)).lastInsertRowid);
      if (this.#ids.size >= CACHE_LIMIT) this.#ids.clear();
      this.#ids.set(key, id);
    }
    if ((this.#used.get(id) ?? -Infinity) < time) this.#used.set(id, time);
    return id;
  }

  /** The id of `name` of `kind` if it exists, else -1 (a filter on it matches nothing). */
  find(kind: number, name: string): number {
    return (this.#find.get(kind, name)?.id as number | undefined) ?? -1;
  }

  /** The name of label `id` (cached), or null. */
  name(id: number | null): string | null {
    if (id === null) return null;
    let name = this.#names.get(id);
    if (name === undefined) {
      name = this.#byId.get(id)?.name as string | undefined;
      if (name === undefined) return null;
      if (this.#names.size >= CACHE_LIMIT) this.#names.clear();
      this.#names.set(id, name);
    }
    return name;
  }

  /** Writes the newest use of each label used since the last call (inside the transaction). */
  touch(): void {
    for (const [id, time] of this.#used) this.#touch.run(Math.floor(time), id);
    this.#used.clear();
  }

  /** Forgets cached ids, after rows were deleted. */
  forget(): void {
    this.#ids.clear();
    this.#names.clear();
    this.#used.clear();
  }
}

/** What is known of a host: its id and the newest name, country and ASN seen. */
interface KnownHost {
  id: number;
  name: string | null;
  country: string | null;
  asn: number | null;
}

/**
 * Host ids by address; the newest name, country and ASN seen are kept on the host row. The
 * address is stored as its blob (4 or 16 bytes; empty for "other"), half the text's size in
 * the table and again in its unique index. A host that is not an address counts as "other".
 */
export class Hosts {
  readonly #find: StatementSync;
  readonly #insert: StatementSync;
  readonly #describe: StatementSync;
  readonly #touch: StatementSync;
  #known = new Map<string, KnownHost>();
  /** Ids used since the last touch(), with the newest time. */
  #used = new Map<number, number>();

  constructor(db: DatabaseSync) {
    this.#find = db.prepare("SELECT id, name, country, asn FROM host WHERE address = ?");
    this.#insert = db.prepare(
      "INSERT INTO host (address, name, country, asn, last_used) VALUES (?, ?, ?, ?, ?)",
    );
    this.#describe = db.prepare("UPDATE host SET name = ?, country = ?, asn = ? WHERE id = ?");
    this.#touch = db.prepare("UPDATE host SET last_used = max(last_used, ?) WHERE id = ?");
  }

  /** The id of `address`, created when new; records what is known of it at `time`. */
  id(
    address: string,
    name: string | null,
    country: string | null,
    asn: number | null,
    time: number,
  ): number {
    let known = this.#known.get(address);
    if (!known) {
      const key = hostKey(address);
      if (!key) return this.id("other", null, null, null, time);
      const row = this.#find.get(key);
      known = row
        ? {
          id: row.id as number,
          name: row.name as string | null,
          country: row.country as string | null,
          asn: row.asn as number | null,
        }
        : {
          id: Number(this.#insert.run(key, name, country, asn, time).lastInsertRowid),
          name,
          country,
          asn,
        };
      if (this.#known.size >= CACHE_LIMIT) this.#known.clear();
      this.#known.set(address, known);
    }
    // A new name, country or ASN replaces the old; an unknown one (null) keeps it.
    const changed = (name !== null && name !== known.name) ||
      (country !== null && country !== known.country) || (asn !== null && asn !== known.asn);
    if (changed) {
      known.name = name ?? known.name;
      known.country = country ?? known.country;
      known.asn = asn ?? known.asn;
      this.#describe.run(known.name, known.country, known.asn, known.id);
    }
    if ((this.#used.get(known.id) ?? -Infinity) < time) this.#used.set(known.id, time);
    return known.id;
  }

  /** Writes the newest use of each host used since the last call (inside the transaction). */
  touch(): void {
    for (const [id, time] of this.#used) this.#touch.run(Math.floor(time), id);
    this.#used.clear();
  }

  forget(): void {
    this.#known.clear();
    this.#used.clear();
  }
}

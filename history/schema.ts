// The history database's tables, versioned in `meta`, and the migrations from each version.
//
// Layout, and why:
// - `totals`, `breakdown` and `host_traffic` hold all three tiers, told apart by `tier` (0 1m,
//   1 5m, 2 1h) leading the primary key: a tier's range is one contiguous run of the B-tree for
//   queries and for retention's deletes. WITHOUT ROWID: the key is the row, stored once.
// - Names that repeat (protocols, services, apps, TLS server names, states) are interned in
//   `label`, and host addresses (as 4- or 16-byte blobs) in `host`, so each traffic row holds
//   small integers.
// - `flow`'s rowid is the flow's end time in milliseconds times 2048 plus a tie-breaker (see
//   flow_rows.ts): flows arrive roughly in end order, so inserts append, the table is clustered
//   by time, and a time range is a rowid range with no separate index to store or update.

import type { DatabaseSync } from "node:sqlite";

/** Tier numbers as stored, by tier name. */
export const TIER_ID = { "1m": 0, "5m": 1, "1h": 2 } as const;

/** Kinds of interned label. */
export const LabelKind = {
  Protocol: 0,
  Service: 1,
  App: 2,
  ServerName: 3,
  Tunnel: 4,
  EndReason: 5,
  State: 6,
} as const;

/** Sources of learned names as stored. */
export const NAME_SOURCES = ["dns", "sni", "quic", "http", "dhcp", "netbios", "mdns"] as const;

const V1 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE label (
  id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, name TEXT NOT NULL,
  last_used INTEGER NOT NULL DEFAULT 0, UNIQUE (kind, name));
CREATE TABLE host (
  id INTEGER PRIMARY KEY, address BLOB NOT NULL UNIQUE, name TEXT, country TEXT, asn INTEGER,
  last_used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE totals (
  tier INTEGER NOT NULL, t INTEGER NOT NULL,
  packets INTEGER NOT NULL, bytes INTEGER NOT NULL, dropped INTEGER NOT NULL,
  PRIMARY KEY (tier, t)) WITHOUT ROWID;
CREATE TABLE breakdown (
  tier INTEGER NOT NULL, t INTEGER NOT NULL, label INTEGER NOT NULL,
  packets INTEGER NOT NULL, bytes INTEGER NOT NULL,
  PRIMARY KEY (tier, t, label)) WITHOUT ROWID;
CREATE TABLE host_traffic (
  tier INTEGER NOT NULL, t INTEGER NOT NULL, host INTEGER NOT NULL,
  bytes_sent INTEGER NOT NULL, bytes_received INTEGER NOT NULL,
  packets_sent INTEGER NOT NULL, packets_received INTEGER NOT NULL,
  PRIMARY KEY (tier, t, host)) WITHOUT ROWID;
CREATE TABLE flow (
  rid INTEGER PRIMARY KEY, lus INTEGER NOT NULL, dur INTEGER NOT NULL, fid INTEGER NOT NULL,
  proto INTEGER NOT NULL, src BLOB NOT NULL, sport INTEGER NOT NULL,
  dst BLOB NOT NULL, dport INTEGER NOT NULL, vlan INTEGER,
  pc INTEGER NOT NULL, bc INTEGER NOT NULL, ps INTEGER NOT NULL, bs INTEGER NOT NULL,
  state INTEGER, service INTEGER, app INTEGER, sni INTEGER, tunnel INTEGER, reason INTEGER,
  flags INTEGER NOT NULL);
CREATE TABLE learned_name (
  address TEXT NOT NULL, name TEXT NOT NULL, source INTEGER NOT NULL,
  first_seen REAL NOT NULL, last_seen REAL NOT NULL,
  PRIMARY KEY (address, name, source)) WITHOUT ROWID;
CREATE INDEX learned_name_last ON learned_name (last_seen);
`;

/**
 * MIGRATIONS[v] takes a database from schema version v to v + 1. Each runs in the transaction
 * that also records the new version, so a crash mid-migration leaves the old version intact.
 * Append, never edit: a released version's migration is what older files went through.
 */
const MIGRATIONS: ReadonlyArray<(db: DatabaseSync) => void> = [
  (db) => db.exec(V1),
];

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Why a database cannot be used as it is (the file is left alone). */
export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SchemaError";
  }
}

/** The value of `key` in meta, or undefined (also when there is no meta table yet). */
export function readMeta(db: DatabaseSync, key: string): string | number | undefined {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
    .get();
  if (!hasMeta) return undefined;
  const row = db.prepare("SELECT value FROM meta WHERE key = ?").get(key);
  return row?.value as string | number | undefined;
}

export function writeMeta(db: DatabaseSync, key: string, value: string | number): void {
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value);
}

/**
 * The schema version of the open database (0 for an empty one). Throws SchemaError for a file
 * another program made or a newer Netwatch wrote: those are never touched. Reads only.
 */
export function storedVersion(db: DatabaseSync, path: string): number {
  const stored = readMeta(db, "schema_version");
  const version = stored === undefined ? 0 : Number(stored);
  if (version === 0) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master").get()!.n as number;
    if (tables > 0) {
      throw new SchemaError(`${path} is not a Netwatch database; set another --data-dir`);
    }
  }
  if (!Number.isInteger(version) || version > SCHEMA_VERSION) {
    throw new SchemaError(
      `${path} was written by a newer Netwatch (schema ${stored}, this one reads up to ` +
        `${SCHEMA_VERSION}); upgrade Netwatch or set another --data-dir`,
    );
  }
  return version;
}

/** Brings the open database (inside a write transaction) to SCHEMA_VERSION. */
export function migrate(db: DatabaseSync, path: string): void {
  for (let version = storedVersion(db, path); version < SCHEMA_VERSION; version++) {
    MIGRATIONS[version](db);
    writeMeta(db, "schema_version", version + 1);
  }
}

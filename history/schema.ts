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
// - Since version 2, two small tables keep /flows fast on millions of rows:
//   `flow_minute` counts the flow rows of each rowid minute (an insert trigger keeps it, so any
//   insert path agrees), and a time range's flow count is a sum of a few of its rows;
//   `flow_top` holds each minute's TOP_PER_MINUTE biggest flows (bytes, rowid), kept by the
//   flow writer, so the dashboard's default page (the biggest flows of a range) merges a few
//   entries per minute instead of sorting the range. Both are keyed by minute, so their writes
//   land at the end of their B-trees. (An index on bytes answered as fast but put each new flow
//   on a random page: it wrote 4.5x the bytes to disk and made inserts 3x slower.)
//   Retention removes flows by whole minutes, so every minute in either table is complete.
//   Since version 3, `flow_top_hour` holds each past hour's TOP_PER_MINUTE biggest (built from
//   its minutes' flow_top once the hour is over, see hour_tops.ts), so a week's biggest flows
//   read a few entries an hour; `flow_hour` keeps the hour's flow count as built, and an hour
//   whose flow_minute counts no longer add up to it (a late flow, retention) is read by minutes
//   until it is built again.
//   `flow_long` indexes the flows longer than a minute: a range that ends in the past must find
//   the flows that started before its end and ended long after, and only those few can. It
//   holds what deciding that and sorting by bytes need, so their rows are read only if chosen.

import type { DatabaseSync } from "node:sqlite";

/** rowids per millisecond of a flow's end time (see flow_rows.ts). */
export const RID_PER_MS = 2048;
/** rowids per minute: a flow's minute (`m` in flow_minute and flow_top) is its rowid over this. */
export const RID_PER_MINUTE = RID_PER_MS * 60_000;
/** Flows per minute kept in flow_top: pages by bytes up to this deep are read from it. */
export const TOP_PER_MINUTE = 256;
/** Flows longer than this (µs) are in flow_long. */
export const LONG_FLOW_US = 60_000_000;

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

const V2 = `
CREATE TABLE flow_minute (m INTEGER PRIMARY KEY, flows INTEGER NOT NULL);
INSERT INTO flow_minute SELECT rid / ${RID_PER_MINUTE}, count(*) FROM flow GROUP BY 1;
CREATE TRIGGER flow_counted AFTER INSERT ON flow BEGIN
  INSERT INTO flow_minute VALUES (new.rid / ${RID_PER_MINUTE}, 1)
  ON CONFLICT (m) DO UPDATE SET flows = flows + 1;
END;
CREATE TABLE flow_top (
  m INTEGER NOT NULL, bytes INTEGER NOT NULL, rid INTEGER NOT NULL,
  PRIMARY KEY (m, bytes, rid)) WITHOUT ROWID;
INSERT INTO flow_top SELECT m, bytes, rid FROM (
  SELECT rid / ${RID_PER_MINUTE} AS m, bc + bs AS bytes, rid, row_number() OVER (
    PARTITION BY rid / ${RID_PER_MINUTE} ORDER BY bc + bs DESC, rid DESC) AS k FROM flow)
  WHERE k <= ${TOP_PER_MINUTE};
CREATE INDEX flow_long ON flow (rid, lus, dur, bc, bs, fid) WHERE dur > ${LONG_FLOW_US};
`;

const V3 = `
CREATE TABLE flow_top_hour (
  h INTEGER NOT NULL, bytes INTEGER NOT NULL, rid INTEGER NOT NULL,
  PRIMARY KEY (h, bytes, rid)) WITHOUT ROWID;
CREATE TABLE flow_hour (h INTEGER PRIMARY KEY, flows INTEGER NOT NULL);
`;

/**
 * MIGRATIONS[v] takes a database from schema version v to v + 1. Each runs in the transaction
 * that also records the new version, so a crash mid-migration leaves the old version intact.
 * Append, never edit: a released version's migration is what older files went through.
 */
const MIGRATIONS: ReadonlyArray<(db: DatabaseSync) => void> = [
  (db) => db.exec(V1),
  (db) => db.exec(V2),
  (db) => db.exec(V3),
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

/**
 * Runs `body` in a write transaction (IMMEDIATE: the write lock is taken at once, so a locked or
 * read-only file fails here, not halfway), committed, or rolled back if it throws.
 */
export function transaction(db: DatabaseSync, body: () => void): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    body();
    db.exec("COMMIT");
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
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

/**
 * Brings the open database (inside a write transaction) to SCHEMA_VERSION. Upgrading a file
 * that holds data says so on stderr, before and after: on a full database it takes seconds,
 * and serve starts capturing once it is done.
 */
export function migrate(db: DatabaseSync, path: string): void {
  const from = storedVersion(db, path);
  const start = performance.now();
  const upgrading = from > 0 && from < SCHEMA_VERSION;
  if (upgrading) {
    console.error(
      `netwatch: upgrading the history in ${path} (schema ${from} to ${SCHEMA_VERSION})`,
    );
  }
  for (let version = from; version < SCHEMA_VERSION; version++) {
    MIGRATIONS[version](db);
    writeMeta(db, "schema_version", version + 1);
  }
  if (upgrading) {
    console.error(
      `netwatch: history upgraded in ${((performance.now() - start) / 1000).toFixed(1)} s`,
    );
  }
}

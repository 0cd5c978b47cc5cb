// Opens the history database safely: pragmas, migration, a check after an unclean stop, and a
// damaged file moved aside (never overwritten) for a fresh one. Never throws.

import { DatabaseSync } from "node:sqlite";
import { dirname } from "node:path";
import { migrate, readMeta, SchemaError, storedVersion, transaction, writeMeta } from "./schema.ts";

/** An open database, or the one line that says why there is none. */
export type Opened =
  | { db: DatabaseSync; movedAside: string | null; error?: undefined }
  | { error: string; db?: undefined };

/** What an SQLite error means for us, from its message (node:sqlite gives no error code). */
export type Failure = "corrupt" | "locked" | "unwritable" | "full" | "other";

export function classify(error: unknown): Failure {
  const message = error instanceof Error ? error.message : String(error);
  if (/not a database|malformed|corrupt/i.test(message)) return "corrupt";
  if (/locked|busy/i.test(message)) return "locked";
  if (/full/i.test(message)) return "full";
  if (/readonly|read-only|permission|access|unable to open|denied/i.test(message)) {
    return "unwritable";
  }
  return "other";
}

/** The one line for a database that cannot be used; history then stays in memory only. */
export function failureLine(path: string, error: unknown, kind?: Failure): string {
  const message = errorText(error);
  const head = "History off, keeping the last hour in memory only:";
  switch (error instanceof SchemaError ? "schema" : kind ?? classify(error)) {
    case "schema":
      return `${head} ${message}`;
    case "locked":
      return `${head} ${path} is locked by another process (another Netwatch with the same ` +
        `--data-dir?); stop it or set another --data-dir`;
    case "unwritable":
      return `${head} cannot write ${path} (${message}); make its directory writable by this ` +
        `user, set --data-dir, or pass --no-history`;
    case "full":
      return `${head} the disk holding ${path} is full; free space or lower --retention-size`;
    case "corrupt":
      return `${head} ${path} is damaged (${message}) and could not be moved aside; move it ` +
        `away by hand`;
    default:
      return `${head} cannot use ${path} (${message}); set --data-dir or pass --no-history`;
  }
}

/** Pragmas of every connection; WAL size bounded by `walLimit` bytes. */
function configure(db: DatabaseSync, path: string, walLimit: number): void {
  db.exec("PRAGMA busy_timeout = 2000");
  // Fails with "file is not a database" on garbage: the first read of the header.
  const fresh = (db.prepare("SELECT count(*) AS n FROM sqlite_master").get()!.n as number) === 0;
  // Before anything is written (even the journal mode): a file that is not ours stays as it is.
  storedVersion(db, path);
  // Must precede the first table; it lets retention give pages back to the file system.
  if (fresh) db.exec("PRAGMA auto_vacuum = INCREMENTAL");
  const mode = db.prepare("PRAGMA journal_mode = WAL").get()!.journal_mode;
  if (mode !== "wal") throw new Error(`attempt to write a readonly database (journal ${mode})`);
  // In WAL mode NORMAL loses no committed transaction when the process dies, only on power
  // loss, and it does not sync on every commit.
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec(`PRAGMA journal_size_limit = ${walLimit}`);
  db.exec(`PRAGMA wal_autocheckpoint = ${Math.max(64, Math.floor(walLimit / 4096 / 2))}`);
  db.exec("PRAGMA cache_size = -16384");
  db.exec("PRAGMA temp_store = MEMORY");
}

/** Migrates, checks the file after an unclean stop, and marks it open; in one transaction. */
function prepare(db: DatabaseSync, path: string): void {
  transaction(db, () => {
    migrate(db, path);
    if (readMeta(db, "clean_close") === 0) {
      // The last run was killed: check the pages before trusting them.
      const check = db.prepare("PRAGMA quick_check").all().map((row) => row.quick_check);
      if (check.length !== 1 || check[0] !== "ok") {
        throw new Error(`database disk image is malformed: ${String(check[0])}`);
      }
    }
    writeMeta(db, "clean_close", 0);
  });
}

/** `path` and its WAL renamed to `<path>.corrupt-<UTC time>`; the shared-memory index removed. */
export function moveAside(path: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  let aside = `${path}.corrupt-${stamp}`;
  for (let n = 2; exists(aside); n++) aside = `${path}.corrupt-${stamp}-${n}`;
  Deno.renameSync(path, aside);
  if (exists(`${path}-wal`)) Deno.renameSync(`${path}-wal`, `${aside}-wal`);
  if (exists(`${path}-shm`)) Deno.removeSync(`${path}-shm`);
  return aside;
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function tryOpen(path: string, walLimit: number): DatabaseSync {
  const db = new DatabaseSync(path);
  try {
    configure(db, path, walLimit);
    prepare(db, path);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Opens (creating when missing) the database at `path`. A damaged file is moved aside and a new
 * one started; anything else that stops it gives `{ error }` with one line, and no file is
 * changed.
 */
export function openDatabase(path: string, walLimit: number): Opened {
  try {
    Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (error) {
    return { error: failureLine(path, new Error(errorText(error)), "unwritable") };
  }
  try {
    return { db: tryOpen(path, walLimit), movedAside: null };
  } catch (error) {
    if (error instanceof SchemaError || classify(error) === "locked") {
      return { error: failureLine(path, error) };
    }
    if (classify(error) !== "corrupt") {
      const reason = osError(path);
      return { error: reason ? failureLine(path, reason, "unwritable") : failureLine(path, error) };
    }
    let aside: string;
    try {
      aside = moveAside(path);
    } catch {
      return { error: failureLine(path, error) };
    }
    try {
      return { db: tryOpen(path, walLimit), movedAside: aside };
    } catch (again) {
      return { error: failureLine(path, again) };
    }
  }
}

/**
 * The operating system's reason a file cannot be opened for writing ("Permission denied"),
 * which SQLite's "unable to open database file" leaves out; undefined when it can be.
 */
function osError(path: string): Error | undefined {
  let existed = true;
  try {
    Deno.statSync(path);
  } catch {
    existed = false;
  }
  try {
    Deno.openSync(path, { read: true, write: true, create: true }).close();
    if (!existed) Deno.removeSync(path);
    return undefined;
  } catch (error) {
    return new Error(errorText(error));
  }
}

function errorText(error: unknown): string {
  // Deno refuses /proc, /dev and /sys to anything short of --allow-all and says to rerun with
  // it, which Netwatch's users cannot: say what it means instead.
  if (error instanceof Deno.errors.NotCapable) {
    return "Netwatch may not write under /proc, /dev or /sys";
  }
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

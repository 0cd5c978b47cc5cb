// openDatabase(): files it must not touch (another program's, a newer Netwatch's) and the pragmas
// a new file gets.

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { classify, openDatabase } from "./open_database.ts";
import { SCHEMA_VERSION } from "./schema.ts";

function tempPath(): string {
  return `${Deno.makeTempDirSync()}/netwatch.db`;
}

Deno.test("openDatabase() makes a new file in WAL mode with incremental vacuum and the schema", () => {
  const path = tempPath();
  const opened = openDatabase(path, 1 << 20);
  assert.ok(opened.db, opened.error ?? "");
  const pragma = (name: string) => Object.values(opened.db.prepare(`PRAGMA ${name}`).get()!)[0];
  assert.equal(pragma("journal_mode"), "wal");
  assert.equal(pragma("auto_vacuum"), 2);
  assert.equal(pragma("synchronous"), 1);
  const version = opened.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get();
  assert.equal(Number(version!.value), SCHEMA_VERSION);
  opened.db.close();
  assert.equal((Deno.statSync(path.replace(/\/[^/]+$/, "")).mode! & 0o777).toString(8), "700");
});

Deno.test("openDatabase() leaves another program's database and a newer schema alone", () => {
  const foreign = tempPath();
  const other = new DatabaseSync(foreign);
  other.exec("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine')");
  other.close();
  const before = Deno.readFileSync(foreign);
  const a = openDatabase(foreign, 1 << 20);
  assert.match(a.error!, /History off.*is not a Netwatch database; set another --data-dir/);
  assert.deepEqual(Deno.readFileSync(foreign), before);

  const newer = tempPath();
  const db = openDatabase(newer, 1 << 20).db!;
  db.exec("UPDATE meta SET value = 99 WHERE key = 'schema_version'");
  db.close();
  const b = openDatabase(newer, 1 << 20);
  assert.match(
    b.error!,
    new RegExp(
      `written by a newer Netwatch \\(schema 99, this one reads up to ${SCHEMA_VERSION}\\)`,
    ),
  );
});

Deno.test("classify() tells damaged, locked, unwritable and full databases apart", () => {
  assert.equal(classify(new Error("file is not a database")), "corrupt");
  assert.equal(classify(new Error("database disk image is malformed")), "corrupt");
  assert.equal(classify(new Error("database is locked")), "locked");
  assert.equal(classify(new Error("attempt to write a readonly database")), "unwritable");
  assert.equal(classify(new Error("database or disk is full")), "full");
  assert.equal(classify(new Error("no such table: x")), "other");
});

// History through its worker: restart, kill -9, SIGTERM, a damaged, locked or unwritable
// database. Each failure gets one line, and the caller keeps going without history.

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { generateMonth } from "../bench/history_month.ts";
import { HistoryClient } from "../history/history_client.ts";
import { HistoryStore } from "../history/history_store.ts";
import { HistoryWriter } from "../history/history_writer.ts";
import { waitForLine } from "./helpers/netns.ts";
import { asNobody, runProcess, sharedHome } from "./helpers/process.ts";

const START = 1_700_002_800;
const WRITER = new URL("./helpers/history_writer.ts", import.meta.url).pathname;

async function openClient(dir: string, lines: string[] = []) {
  return await HistoryClient.open({
    path: `${dir}/netwatch.db`,
    capBytes: 64 << 20,
    warn: (line) => lines.push(line),
  });
}

function month(minutes: number) {
  return [...generateMonth({ start: START, minutes, flowsPerMinute: 10, topN: 5 })];
}

/** Minutes stored in the database at `path`, read with a fresh store. */
function storedMinutes(path: string): number[] {
  const opened = HistoryStore.open({ path, capBytes: 64 << 20 });
  assert.ok(opened.store, opened.error ?? "");
  const rows = opened.store.db.prepare("SELECT t FROM totals WHERE tier = 0 ORDER BY t").all();
  opened.store.close();
  return rows.map((row) => row.t as number);
}

Deno.test("history written through the worker is served again after a restart", async () => {
  const dir = await Deno.makeTempDir();
  const data = month(90);
  const client = await openClient(dir);
  assert.equal(client.status().state, "ok");
  // Half from this thread, half through a port, as the engine's worker will write.
  const port = HistoryWriter.onPort(client.writerPort());
  for (const [i, m] of data.entries()) {
    const writer = i % 2 ? port : client.writer;
    writer.minute(m.totals, m.hosts);
    for (const flow of m.flows) writer.flow(flow);
    writer.flushFlows();
  }
  client.writer.names([
    {
      address: "198.51.0.1",
      name: "cdn.example",
      source: "sni",
      first_seen: START,
      last_seen: START,
    },
  ]);
  // Port writes arrive on their own channel: wait until the worker has committed them all.
  assert.equal(await port.drain(), true);
  assert.equal(await client.writer.drain(), true);
  const range = { from: START, to: START + 90 * 60 - 1 };
  const queries = {
    series: await client.query({ kind: "series", ...range, breakdown: "service" }),
    talkers: await client.query({ kind: "talkers", ...range, limit: 5 }),
    protocols: await client.query({ kind: "protocols", ...range }),
    flows: await client.query({ kind: "flows", query: { sort: "bytes", limit: 50 } }),
    names: await client.query({ kind: "names", address: "198.51.0.1" }),
  };
  assert.equal(queries.protocols!.bytes, data.reduce((a, m) => a + m.totals.bytes, 0));
  assert.equal(queries.flows!.total, 900);
  assert.equal(queries.names!.names[0].name, "cdn.example");
  assert.equal((await client.refreshStatus()).written.flows, 900);
  port.close();
  await client.close();
  const again = await openClient(dir);
  assert.deepEqual({
    series: await again.query({ kind: "series", ...range, breakdown: "service" }),
    talkers: await again.query({ kind: "talkers", ...range, limit: 5 }),
    protocols: await again.query({ kind: "protocols", ...range }),
    flows: await again.query({ kind: "flows", query: { sort: "bytes", limit: 50 } }),
    names: await again.query({ kind: "names", address: "198.51.0.1" }),
  }, queries);
  assert.equal(again.status().max_flow_id, 900);
  await again.close();
});

Deno.test("the client's status counts what was committed without being asked again", async () => {
  // /stats answers the client's last status without waiting: it must already count each
  // committed minute, or a sparse poller sees every minute a poll late.
  const dir = await Deno.makeTempDir();
  const client = await openClient(dir);
  assert.equal(client.status().written.minutes, 0);
  for (const m of month(3)) client.writer.minute(m.totals, m.hosts);
  assert.equal(await client.writer.drain(), true);
  assert.equal(client.status().written.minutes, 3);
  assert.equal(client.status().oldest["1m"], START);
  await client.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a full queue drops writes and counts them, keeping memory bounded", async () => {
  const dir = await Deno.makeTempDir();
  const client = await HistoryClient.open({
    path: `${dir}/h.db`,
    capBytes: 64 << 20,
    maxQueued: 50,
  });
  const flows = month(1)[0].flows;
  let accepted = 0;
  // Nothing is acknowledged within one turn of the event loop: the 6th batch of 10 is refused.
  for (let i = 0; i < 20; i++) if (client.writer.flows(flows)) accepted++;
  assert.equal(accepted, 5);
  assert.equal(client.status().dropped.queue, 150);
  await client.flush();
  assert.equal(client.writer.stats.queued, 0);
  const page = await client.query({ kind: "flows", query: { limit: 1 } });
  assert.equal(page!.total, 50);
  await client.close();
});

Deno.test("kill -9 while writing keeps every committed minute and a sound file", async () => {
  const dir = await Deno.makeTempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", WRITER, dir],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let output: string;
  try {
    // Thirty minutes committed, then the process dies mid-write.
    const { rest } = await waitForLine(
      child.stdout,
      new RegExp(`^durable ${START + 1800}$`),
      60_000,
      "writer",
    );
    child.kill("SIGKILL");
    output = await rest;
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
  }
  const values = (word: string) =>
    output.split("\n").filter((l) => l.startsWith(`${word} `)).map((l) => Number(l.split(" ")[1]));
  const durable = values("durable");
  const posted = values("posted");
  // Opening runs an integrity check, since the file was not closed cleanly.
  const stored = storedMinutes(`${dir}/netwatch.db`);
  for (const minute of durable) assert.ok(stored.includes(minute), `committed ${minute} lost`);
  // What is there is a prefix of what was sent, with no hole.
  assert.deepEqual(stored, posted.slice(0, stored.length));
  console.log(`kill -9: ${posted.length} minutes posted, ${stored.length} stored`);
});

Deno.test("SIGTERM flushes what was written before it", async () => {
  const dir = await Deno.makeTempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", WRITER, dir],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const { rest } = await waitForLine(
    child.stdout,
    new RegExp(`^posted ${START + 600}$`),
    60_000,
    "writer",
  );
  child.kill("SIGTERM");
  const output = await rest;
  assert.equal((await child.status).code, 0);
  assert.match(output, /^closed$/m);
  const posted = output.split("\n").filter((l) => l.startsWith("posted ")).length;
  assert.equal(storedMinutes(`${dir}/netwatch.db`).length, posted);
});

Deno.test("VACUUM INTO copies the database while the worker writes (the documented backup)", async () => {
  const dir = await Deno.makeTempDir();
  const client = await openClient(dir);
  const data = month(60);
  for (const m of data.slice(0, 30)) client.writer.minute(m.totals, m.hosts);
  await client.flush();
  for (const m of data.slice(30)) client.writer.minute(m.totals, m.hosts);
  const other = new DatabaseSync(`${dir}/netwatch.db`);
  other.exec(`VACUUM INTO '${dir}/backup.db'`);
  other.close();
  await client.close();
  // A consistent snapshot: at least what was committed before, a whole number of minutes.
  const minutes = storedMinutes(`${dir}/backup.db`);
  assert.ok(minutes.length >= 30, `${minutes.length} minutes in the copy`);
  assert.deepEqual(minutes, data.slice(0, minutes.length).map((m) => m.totals.minute));
});

Deno.test("a database that is not one is kept aside with one line, and a new one started", async () => {
  const dir = await Deno.makeTempDir();
  const garbage = new TextEncoder().encode("not a database, ".repeat(512));
  await Deno.writeFile(`${dir}/netwatch.db`, garbage);
  const lines: string[] = [];
  const client = await openClient(dir, lines);
  assert.equal(client.status().state, "ok");
  assert.equal(lines.length, 1, lines.join("\n"));
  assert.match(
    lines[0],
    /netwatch\.db was damaged; moved it to .*netwatch\.db\.corrupt-\d{8}T\d{6}Z/,
  );
  const aside = client.status().moved_aside!;
  assert.deepEqual(await Deno.readFile(aside), garbage);
  const m = month(1)[0];
  client.writer.minute(m.totals, m.hosts);
  await client.flush();
  assert.equal(
    (await client.query({ kind: "protocols", from: START, to: START + 59 }))!.bytes,
    m.totals.bytes,
  );
  await client.close();
});

Deno.test("damaged pages found after an unclean stop are kept aside too", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/netwatch.db`;
  const first = HistoryStore.open({ path, capBytes: 64 << 20 }).store!;
  for (const m of month(120)) {
    first.addMinute(m.totals, m.hosts);
    first.addFlows(m.flows);
  }
  first.close();
  // As after kill -9, then a few pages overwritten in the middle of the file.
  const db = new DatabaseSync(path);
  db.exec("UPDATE meta SET value = 0 WHERE key = 'clean_close'");
  db.close();
  const file = await Deno.open(path, { write: true });
  await file.seek(4096 * 20, Deno.SeekMode.Start);
  await file.write(new Uint8Array(4096 * 3).fill(0x5a));
  file.close();
  const lines: string[] = [];
  const client = await openClient(dir, lines);
  assert.equal(client.status().state, "ok");
  assert.equal(lines.length, 1, lines.join("\n"));
  assert.match(lines[0], /was damaged; moved it to/);
  assert.equal(client.status().written.minutes, 0);
  await client.close();
});

Deno.test("a locked database gets one line and the caller goes on without history", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/netwatch.db`;
  HistoryStore.open({ path, capBytes: 64 << 20 }).store!.close();
  const holder = new DatabaseSync(path);
  holder.exec("BEGIN EXCLUSIVE");
  try {
    const lines: string[] = [];
    const client = await openClient(dir, lines);
    assert.equal(client.status().state, "failed");
    assert.deepEqual(lines.length, 1);
    assert.match(lines[0], /History off.*is locked by another process/);
    // Writes are accepted and counted as lost; queries answer null; close resolves.
    const m = month(1)[0];
    assert.equal(client.writer.minute(m.totals, m.hosts), true);
    assert.equal(await client.query({ kind: "protocols", from: START, to: START + 60 }), null);
    await client.flush();
    assert.equal((await client.refreshStatus()).dropped.write_errors, 1 + m.hosts.length);
    await client.close();
  } finally {
    holder.exec("ROLLBACK");
    holder.close();
  }
});

Deno.test("a data directory that cannot be made gets one line, memory only", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/file`, "");
  const lines: string[] = [];
  const client = await openClient(`${dir}/file/history`, lines);
  assert.equal(client.status().state, "failed");
  assert.equal(lines.length, 1);
  assert.match(lines[0], /History off, keeping the last hour in memory only: cannot write/);
  assert.match(lines[0], /--data-dir/);
  await client.close();
});

Deno.test("an unwritable data directory, as a user without rights to it, gets one line", async () => {
  const home = await sharedHome();
  const dir = await Deno.makeTempDir(); // root's, mode 0700: nobody cannot enter it
  const script = `${home}/open.ts`;
  await Deno.writeTextFile(
    script,
    `import { HistoryClient } from "${
      new URL("../history/history_client.ts", import.meta.url).href
    }";
const client = await HistoryClient.open({ path: "${dir}/netwatch.db", capBytes: 1 << 24 });
console.log("state " + client.status().state);
await client.close();`,
  );
  const [program, ...args] = [...asNobody(home), Deno.execPath(), "run", "--allow-all", script];
  const result = await runProcess(program, args, { timeoutMs: 60_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^state failed$/m);
  const errors = result.stderr.split("\n").filter((l) =>
    l.trim() !== "" && !/^Download|^Warning/.test(l)
  );
  assert.equal(errors.length, 1, result.stderr);
  assert.match(errors[0], /History off.*cannot write .*netwatch\.db.*Permission denied/i);
});

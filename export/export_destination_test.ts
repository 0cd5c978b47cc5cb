// ExportDestination with a scripted sink: batching, retry with backoff, drops, refusals, drain.

import assert from "node:assert/strict";
import { ExportDestination } from "./export_destination.ts";
import { ExportError } from "./export_error.ts";
import type { ExportFlow, ExportSink } from "./types.ts";
import { exportFlow } from "../tests/helpers/export_flows.ts";

/** A sink whose health the test sets; it records what it was given. */
class ScriptedSink implements ExportSink {
  /** What the next open/send does: succeed, or throw this. */
  failure: Error | undefined;
  /** Refuse batches containing this id (as a destination refusing bad rows would). */
  refuseId = -1;
  opens = 0;
  received: number[] = [];
  sendCalls = 0;

  open(): Promise<void> {
    this.opens++;
    return this.failure ? Promise.reject(this.failure) : Promise.resolve();
  }

  send(batch: readonly ExportFlow[]): Promise<void> {
    this.sendCalls++;
    if (this.failure) return Promise.reject(this.failure);
    if (batch.some((f) => f.id === this.refuseId)) {
      return Promise.reject(new ExportError("Cannot parse input", "rejected"));
    }
    this.received.push(...batch.map((f) => f.id));
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Flow `id`, each from its own client port. */
function flow(id: number): ExportFlow {
  return exportFlow({ id, src_port: 1000 + id });
}

const FAST = { batchSize: 4, flushMs: 5, minBackoffMs: 5, maxBackoffMs: 20 };

/** Waits (polling) until `done()`; fails after 10 s saying what it waited for. */
async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("ExportDestination push() only queues; the timer sends in batches", async () => {
  const sink = new ScriptedSink();
  const d = new ExportDestination("test://a", "ipfix", sink, { ...FAST, queueCapacity: 100 });
  for (let i = 1; i <= 10; i++) d.push(flow(i));
  assert.equal(sink.sendCalls, 0, "push() does no I/O");
  assert.equal(d.status().state, "connecting");
  d.start();
  await until("10 records sent", () => d.status().sent === 10);
  assert.deepEqual(sink.received, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const s = d.status();
  assert.equal(s.state, "ok");
  assert.equal(s.queued, 0);
  assert.equal(s.dropped, 0);
  assert.ok(s.last_sent_ms !== null);
  await d.close();
});

Deno.test("ExportDestination keeps records while the sink is down and sends them after", async () => {
  const sink = new ScriptedSink();
  const d = new ExportDestination("test://b", "clickhouse", sink, { ...FAST, queueCapacity: 100 });
  d.start();
  sink.failure = new ExportError("connection refused");
  for (let i = 1; i <= 20; i++) d.push(flow(i));
  await until("three failures", () => d.status().failures >= 3);
  let s = d.status();
  assert.equal(s.state, "retrying");
  assert.equal(s.queued, 20);
  assert.equal(s.last_error, "connection refused");
  sink.failure = undefined;
  await until("everything sent", () => d.status().sent === 20);
  assert.deepEqual(sink.received, Array.from({ length: 20 }, (_, i) => i + 1));
  s = d.status();
  assert.equal(s.state, "ok");
  assert.equal(s.dropped, 0);
  assert.ok(sink.opens >= 2, "reopened after the failure");
  await d.close();
});

Deno.test("ExportDestination counts what a full queue drops while down", async () => {
  const sink = new ScriptedSink();
  sink.failure = new ExportError("down");
  const d = new ExportDestination("test://c", "ipfix", sink, { ...FAST, queueCapacity: 8 });
  d.start();
  for (let i = 1; i <= 30; i++) d.push(flow(i));
  assert.equal(d.status().dropped, 22);
  assert.equal(d.status().queued, 8);
  sink.failure = undefined;
  await until("the queue sent", () => d.status().queued === 0);
  assert.deepEqual(sink.received, [1, 2, 3, 4, 5, 6, 7, 8], "the oldest were kept");
  assert.equal(d.status().sent + d.status().dropped, 30, "every record is sent or counted");
  await d.close();
});

Deno.test("ExportDestination says 'failed' for errors a retry cannot fix", async () => {
  const sink = new ScriptedSink();
  sink.failure = new ExportError("Wrong password for user netwatch", "permanent");
  const d = new ExportDestination("test://d", "clickhouse", sink, { ...FAST, queueCapacity: 8 });
  d.start();
  await until("a failure", () => d.status().failures >= 1);
  assert.equal(d.status().state, "failed");
  assert.match(d.status().last_error ?? "", /Wrong password/);
  await d.close();
});

Deno.test("ExportDestination drops and counts a refused batch, then goes on", async () => {
  const sink = new ScriptedSink();
  sink.refuseId = 2;
  const d = new ExportDestination("test://e", "clickhouse", sink, { ...FAST, queueCapacity: 50 });
  for (let i = 1; i <= 8; i++) d.push(flow(i));
  d.start();
  await until("the queue emptied", () => d.status().queued === 0);
  assert.deepEqual(sink.received, [5, 6, 7, 8], "the batch with id 2 (ids 1-4) was refused");
  assert.equal(d.status().dropped, 4);
  assert.equal(d.status().sent, 4);
  assert.match(d.status().last_error ?? "", /Cannot parse input/);
  await d.close();
});

Deno.test("ExportDestination drain() delivers before a deadline, or says what is left", async () => {
  const sink = new ScriptedSink();
  const d = new ExportDestination("test://f", "ipfix", sink, {
    ...FAST,
    flushMs: 60_000, // only drain() sends
    queueCapacity: 50,
  });
  d.start();
  await until("opened", () => d.status().state === "ok");
  for (let i = 1; i <= 9; i++) d.push(flow(i));
  assert.equal(await d.drain(Date.now() + 5000), 0);
  assert.equal(sink.received.length, 9);
  sink.failure = new ExportError("down");
  d.push(flow(10));
  assert.equal(await d.drain(Date.now() + 50), 1, "the collector stayed down");
  await d.close();
});

// ExportHandoff: records are copied when they end (the engine reuses the slot at once), kept in
// order across the ring's wrap, and a full ring counts what it drops.

import assert from "node:assert/strict";
import { EndReason } from "../flows/flow_engine.ts";
import {
  ACTIVE_WORDS,
  F_BYTES_AB,
  F_FIRST,
  F_ID,
  F_LAST,
  FlowStore,
  W_ADDR,
  W_META,
  W_NAME,
  W_PKTS_AB,
  W_PORTS,
} from "../flows/flow_store.ts";
import { NameTable } from "../flows/identity/name_table.ts";
import { ExportDestination } from "./export_destination.ts";
import { ExportHandoff, FORCED } from "./export_handoff.ts";
import { Exporters } from "./exporters.ts";
import type { ExportFlow } from "./types.ts";

/** A store with one UDP/IPv4 slot 10.0.0.1:port -> 10.0.0.2:53 holding `packets` packets. */
function storeWith(port: number, packets: number): FlowStore {
  const store = new FlowStore(4, ACTIVE_WORDS);
  const r = 2 * ACTIVE_WORDS;
  store.u32[r + W_META] = 17;
  store.u32[r + W_ADDR] = 0x0a000001;
  store.u32[r + W_ADDR + 4] = 0x0a000002;
  store.u32[r + W_PORTS] = ((port << 16) | 53) >>> 0;
  store.u32[r + W_PKTS_AB] = packets;
  store.f64[(r >> 1) + F_BYTES_AB] = packets * 100;
  store.f64[(r >> 1) + F_FIRST] = 1700000000;
  store.f64[(r >> 1) + F_LAST] = 1700000001;
  store.f64[(r >> 1) + F_ID] = port;
  return store;
}

Deno.test("ExportHandoff keeps a copy: the engine may reuse the slot at once", () => {
  const handoff = new ExportHandoff(4);
  const store = storeWith(1000, 3);
  handoff.push(store, 2, EndReason.Idle);
  store.u32[2 * ACTIVE_WORDS + W_PKTS_AB] = 999; // the slot starts a new record
  const out: ExportFlow[] = [];
  assert.equal(handoff.drain((f) => out.push(f)), 1);
  assert.equal(out[0].packets_c2s, 3);
  assert.equal(out[0].src_ip, "10.0.0.1");
  assert.equal(out[0].src_port, 1000);
  assert.equal(out[0].end_reason, "idle");
  assert.equal(handoff.length, 0);
});

Deno.test("ExportHandoff holds a record's name until drained, whatever the name table sees", () => {
  const names = new NameTable(4);
  const labels = {
    nameText: (id: number) => names.nameOf(id) ?? null,
    appLabel: () => null,
    names,
  };
  const handoff = new ExportHandoff(4);
  handoff.labels = labels;
  const store = storeWith(1000, 3);
  const id = names.intern("video.example.com"); // the flow's own reference
  store.u32[2 * ACTIVE_WORDS + W_NAME] = id;
  handoff.push(store, 2, EndReason.Idle);
  names.release(id); // the flow ended for good
  // Other flows come and go with new names, more than the table holds, before the drain.
  for (let i = 0; i < 10; i++) names.release(names.intern(`other${i}.example.org`));
  const out: ExportFlow[] = [];
  handoff.drain((f) => out.push(f));
  assert.equal(out[0].server_name, "video.example.com");
  // Drained, the entry is nobody's: the next new name may take it.
  assert.equal(names.refsOf(id), 0);
});

Deno.test("ExportHandoff keeps order across the wrap and counts what a full ring drops", () => {
  const handoff = new ExportHandoff(3);
  const ids: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 2; i++) handoff.push(storeWith(round * 10 + i, 1), 2, EndReason.Evicted);
    handoff.drain((f) => ids.push(f.id));
  }
  assert.deepEqual(ids, [0, 1, 10, 11, 20, 21]);
  for (let i = 0; i < 5; i++) handoff.push(storeWith(100 + i, 1), 2, FORCED);
  assert.equal(handoff.dropped, 2);
  const reasons: string[] = [];
  handoff.drain((f) => reasons.push(`${f.id}:${f.end_reason}`));
  assert.deepEqual(reasons, ["100:forced", "101:forced", "102:forced"]);
});

Deno.test("Exporters count handoff drops against every destination", () => {
  const sink = {
    open: () => Promise.resolve(),
    send: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const options = {
    queueCapacity: 10,
    batchSize: 10,
    flushMs: 1000,
    minBackoffMs: 1,
    maxBackoffMs: 1,
  };
  const exporters = new Exporters([
    new ExportDestination("a://", "ipfix", sink, options),
    new ExportDestination("b://", "clickhouse", sink, options),
  ]);
  const store = storeWith(7, 1);
  for (let i = 0; i < exporters.handoff.capacity + 3; i++) exporters.record(store, 2, 0);
  assert.deepEqual(exporters.status().map((s) => s.dropped), [3, 3]);
  exporters.drainHandoff();
  // Each queue holds 10 of the drained records; the rest are its own drops.
  const drained = exporters.handoff.capacity;
  assert.deepEqual(exporters.status().map((s) => s.dropped), [3 + drained - 10, 3 + drained - 10]);
});
